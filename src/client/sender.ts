// The sender loop (WIRE-NOTES §12.5, SPEC §12.1): one queued item per tick
// (250 ms), a DUMMY_MESSAGE when the queue is empty and dummies are allowed.
// Encryption assigns the counter, so an item is encrypted only when the tick
// takes it, and encrypted and written in the same synchronous step (§13).
// The tick re-arms *after* sending, so two frames are never closer than tickMs:
// a reference peer's 5-per-second limiter (§12.1) then never drops our frames.
import { randomBytes } from "node:crypto";
import { DUMMY_DATA_BYTES, MessageType, b64encode, pyjson, toBytes } from "../protocol/index.js";

export interface QueueItem {
  /** The inner plaintext (pyjson UTF-8), encrypted when the tick takes it. */
  inner: Uint8Array;
  /** Rekey messages: sent first, and the only items let through while outgoing traffic is held (§9). */
  rekey?: boolean;
  /** Generated in reply to peer input (receipts, rejects): capped, see Sender.push. */
  auto?: boolean;
  /** Called right after the frame was written, with its counter, in the same synchronous step. */
  onSent?: (counter: number) => void;
}

export interface SenderHooks {
  /** May the loop send at all now (keys ready, ≥ 1 s after COMPLETE, socket open)? */
  ready(): boolean;
  /** Application items must wait (initiator between commit and commit_ack, §9). */
  hold(): boolean;
  /** Dummies allowed now (option on, local user answered, no transfer or call, not held). */
  dummiesAllowed(): boolean;
  /** Encrypts and writes one inner plaintext synchronously; returns the counter or null if it could not be sent. */
  sendInner(inner: Uint8Array): number | null;
}

/** Auto-generated replies beyond this many waiting are not queued (a peer could otherwise grow the queue without bound). */
export const MAX_AUTO_QUEUED = 64;

export function dummyInner(): Uint8Array {
  // Always exactly 512 random bytes (§12.5): 708-byte inner plaintext.
  return toBytes(pyjson({ type: MessageType.DUMMY_MESSAGE, data: b64encode(randomBytes(DUMMY_DATA_BYTES)) }));
}

export class Sender {
  private queue: QueueItem[] = [];
  private autoQueued = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastSent = -Infinity;
  private immediate: (() => boolean) | null = null;

  constructor(
    private readonly hooks: SenderHooks,
    private readonly tickMs: number,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues an item; false when an auto reply was refused by the cap. */
  push(item: QueueItem): boolean {
    if (item.auto) {
      if (this.autoQueued >= MAX_AUTO_QUEUED) return false;
      this.autoQueued++;
    }
    if (item.rekey) {
      // After any rekey items already waiting, before everything else.
      let i = 0;
      while (i < this.queue.length && this.queue[i]!.rekey) i++;
      this.queue.splice(i, 0, item);
    } else {
      this.queue.push(item);
    }
    return true;
  }

  /** Starts ticking; the first tick happens after `firstDelayMs`. */
  start(firstDelayMs: number): void {
    this.running = true;
    this.arm(Math.max(0, firstDelayMs));
  }

  /** Stops ticking and forgets every queued item. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.autoQueued = 0;
    this.immediate = null;
    this.lastSent = -Infinity;
  }

  /**
   * A frame that goes out "immediately" (KEY_VERIFICATION, §10) but must not
   * break the pace: if the last frame to the peer left at least one interval
   * ago it is written now and the next tick moves a full interval later;
   * otherwise it takes the very next tick slot, ahead of the queue (latest
   * call wins). So the peer never sees two of our frames closer than tickMs,
   * and its 5-per-second limiter (§12.1) never drops one even with jitter.
   */
  sendSoon(write: () => boolean): void {
    if (!this.running) {
      write();
      return;
    }
    if (performance.now() - this.lastSent >= this.tickMs) {
      if (write()) this.lastSent = performance.now();
      this.arm(this.tickMs);
    } else {
      this.immediate = write;
    }
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    try {
      if (this.hooks.ready()) this.sendOne();
    } finally {
      if (this.running) this.arm(this.tickMs);
    }
  }

  private sendOne(): void {
    if (this.immediate) {
      const write = this.immediate;
      this.immediate = null;
      if (write()) this.lastSent = performance.now();
      return;
    }
    const held = this.hooks.hold();
    const idx = held ? (this.queue[0]?.rekey ? 0 : -1) : this.queue.length > 0 ? 0 : -1;
    if (idx >= 0) {
      const item = this.queue.splice(idx, 1)[0]!;
      if (item.auto) this.autoQueued--;
      const counter = this.hooks.sendInner(item.inner);
      if (counter !== null) {
        this.lastSent = performance.now();
        item.onSent?.(counter);
      }
      return;
    }
    if (!held && this.hooks.dummiesAllowed() && this.hooks.sendInner(dummyInner()) !== null) this.lastSent = performance.now();
  }
}
