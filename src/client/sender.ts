// The sender loop (WIRE-NOTES §12.5, SPEC §12.1): one queued item per tick
// (250 ms), a DUMMY_MESSAGE when the queue is empty and dummies are allowed.
// Encryption assigns the counter, so an item is encrypted only when the tick
// takes it, and handed to the ordered output (below) in the same synchronous
// step (WIRE-NOTES §13). The tick re-arms *after* sending, so two ticks are never closer
// than tickMs: a reference peer's 5-per-second limiter (WIRE-NOTES §12.1) then never
// drops our frames. A few items may leave at once instead, at most one per
// limiter window, where the peer's limiter allows it (pacing.ts).
//
// OrderedOutput is the one write path for encrypted frames: every encrypted
// item takes its place in line when its counter is assigned, and a frame is
// written only once every frame before it was written. File chunks are
// encrypted on worker threads and may finish in any order; a text encrypted
// meanwhile gets a higher counter and waits behind them, so the peer always
// sees strictly increasing counters (FILE_CHUNK frames have no out-of-order
// tolerance, WIRE-NOTES §8.5).
import { randomBytes } from "node:crypto";
import { DUMMY_DATA_BYTES, MessageType, b64encode, pyjson, toBytes } from "../protocol/index.js";
import { leavesAtOnce, type Unpaced } from "./pacing.js";

export interface QueueItem {
  /** The inner plaintext (pyjson UTF-8), encrypted when the tick takes it. */
  inner: Uint8Array;
  /** Rekey messages: sent first, and the only items let through while outgoing traffic is held (WIRE-NOTES §9). */
  rekey?: boolean;
  /** Generated in reply to peer input (receipts, rejects): capped, see Sender.push. */
  auto?: boolean;
  /**
   * Called with its counter in the same synchronous step that encrypted the
   * item and put it in line on the ordered output (written at once, or right
   * after the file chunks encrypted before it): nothing encrypted later can
   * reach the wire first, which is what the rekey switch relies on.
   */
  onSent?: (counter: number) => void;
  /** May leave at once instead of at the next tick when pacing.ts allows (never while held or behind rekey items). */
  unpaced?: Unpaced;
  /** Called when the item will never be sent: the queue was stopped (the session ended) or its encryption failed. */
  onDropped?: () => void;
}

export interface SenderHooks {
  /** May the loop send at all now (keys ready, ≥ 1 s after COMPLETE, socket open)? */
  ready(): boolean;
  /** Application items must wait (initiator between commit and commit_ack, WIRE-NOTES §9). */
  hold(): boolean;
  /** Dummies allowed now (option on, local user answered, no transfer or call, not held). */
  dummiesAllowed(): boolean;
  /** Encrypts one inner plaintext and puts it in line on the ordered output synchronously; the counter, or null if it could not be sent. */
  sendInner(inner: Uint8Array): number | null;
  /** The peer announced itself as pqchat in this session (pacing.ts). */
  peerIsPqchat?(): boolean;
  /** The inner plaintext of the next dummy (default: dummyInner()). */
  dummy?(): Uint8Array;
  /** Called after each tick that could send, off the path of any frame: time to prepare the next ones. */
  afterTick?(): void;
}

/** Auto-generated replies beyond this many waiting are not queued (a peer could otherwise grow the queue without bound). */
export const MAX_AUTO_QUEUED = 64;

export function dummyInner(): Uint8Array {
  // Always exactly 512 random bytes (WIRE-NOTES §12.5): 708-byte inner plaintext.
  return toBytes(pyjson({ type: MessageType.DUMMY_MESSAGE, data: b64encode(randomBytes(DUMMY_DATA_BYTES)) }));
}

export class Sender {
  private queue: QueueItem[] = [];
  private autoQueued = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastSent = -Infinity;
  private lastUnpaced = -Infinity;
  private immediate: (() => boolean) | null = null;

  constructor(
    private readonly hooks: SenderHooks,
    private readonly tickMs: number,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues an item (or writes it at once, see `unpaced`); false when an auto reply was refused by the cap. */
  push(item: QueueItem): boolean {
    if (this.sendUnpaced(item)) return true;
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
    const dropped = this.queue;
    this.queue = [];
    this.autoQueued = 0;
    this.immediate = null;
    this.lastSent = -Infinity;
    this.lastUnpaced = -Infinity;
    for (const item of dropped) item.onDropped?.();
  }

  /**
   * Writes an `unpaced` item now when pacing.ts allows it and nothing must go
   * first: the loop runs and may send, no hold, no rekey item or sendSoon frame
   * waiting. The tick keeps its own schedule (ticks stay one interval apart).
   */
  private sendUnpaced(item: QueueItem): boolean {
    if (!item.unpaced || !this.running || this.immediate || this.queue[0]?.rekey) return false;
    const now = performance.now();
    const pace = { sinceUnpacedMs: now - this.lastUnpaced, peerIsPqchat: this.hooks.peerIsPqchat?.() ?? false };
    if (!leavesAtOnce(item.unpaced, pace) || !this.hooks.ready() || this.hooks.hold()) return false;
    const counter = this.hooks.sendInner(item.inner);
    if (counter === null) return false;
    this.lastSent = this.lastUnpaced = performance.now();
    item.onSent?.(counter);
    return true;
  }

  /**
   * A frame that goes out "immediately" (KEY_VERIFICATION, WIRE-NOTES §10) but must not
   * break the pace: if the last frame to the peer left at least one interval
   * ago it is written now and the next tick moves a full interval later;
   * otherwise it takes the very next tick slot, ahead of the queue (latest
   * call wins). So the peer never sees two of our frames closer than tickMs,
   * and its 5-per-second limiter (WIRE-NOTES §12.1) never drops one even with jitter.
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
      if (this.hooks.ready()) {
        this.sendOne();
        this.hooks.afterTick?.();
      }
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
      } else {
        item.onDropped?.();
      }
      return;
    }
    if (!held && this.hooks.dummiesAllowed() && this.hooks.sendInner(this.hooks.dummy?.() ?? dummyInner()) !== null) this.lastSent = performance.now();
  }
}

/** A place in line on an OrderedOutput, filled (or skipped) later. */
export interface OutputTicket {
  readonly generation: number;
}

interface OutputSlot extends OutputTicket {
  frame: Uint8Array | null;
  skipped: boolean;
  /** Called once the frame was written (see OrderedOutput.send). */
  onWritten?: () => void;
}

/** Writes a frame; false when the connection is gone. `onWritten`: as Connection.write's. */
export type FrameWriter = (frame: Uint8Array, onWritten?: () => void) => boolean;

/**
 * The serialized write path of WIRE-NOTES §13 for frames whose counters were assigned in
 * order but whose bytes may be ready out of order. `send` (frame ready now)
 * writes at once when nothing is waiting, else queues behind; `reserve` takes
 * a place for a frame still being encrypted, `fill` delivers it and `skip`
 * gives the place up (the counter is then simply never seen by the peer, a gap
 * every receiver tolerates). `clear` forgets everything (session ended): later
 * fills of old tickets are ignored.
 */
export class OrderedOutput {
  private slots: OutputSlot[] = [];
  private generation = 0;
  private queued = 0;
  /** Frames written so far (tests and statistics). */
  written = 0;

  /** `write` returns false when the connection is gone (the frame is dropped then). */
  constructor(private readonly write: FrameWriter) {}

  /** Places in line not yet written (reserved or waiting). */
  get pending(): number {
    return this.slots.length;
  }

  /** Bytes of finished frames waiting behind an unfinished one. */
  get queuedBytes(): number {
    return this.queued;
  }

  /**
   * A frame that is ready now: written at once if nothing is ahead of it.
   * `onWritten` is called once the kernel has it; never for a frame that is
   * dropped (connection gone, clear()), whose memory is then left alone.
   */
  send(frame: Uint8Array, onWritten?: () => void): boolean {
    if (this.slots.length === 0) {
      this.written++;
      return this.write(frame, onWritten);
    }
    this.slots.push({ generation: this.generation, frame, skipped: false, onWritten });
    this.queued += frame.length;
    return true;
  }

  reserve(): OutputTicket {
    const slot: OutputSlot = { generation: this.generation, frame: null, skipped: false };
    this.slots.push(slot);
    return slot;
  }

  /** Delivers a reserved frame; it goes out as soon as everything before it did. False if the ticket is stale. */
  fill(ticket: OutputTicket, frame: Uint8Array): boolean {
    const slot = ticket as OutputSlot;
    if (slot.generation !== this.generation || slot.frame !== null || slot.skipped) return false;
    slot.frame = frame;
    this.queued += frame.length;
    this.flush();
    return true;
  }

  skip(ticket: OutputTicket): void {
    const slot = ticket as OutputSlot;
    if (slot.generation !== this.generation || slot.frame !== null || slot.skipped) return;
    slot.skipped = true;
    this.flush();
  }

  /** Writes an out-of-line frame at once, dropping everything in line (emergency close). */
  abandonAndSend(frame: Uint8Array): boolean {
    this.clear();
    this.written++;
    return this.write(frame);
  }

  clear(): void {
    this.generation++;
    this.slots = [];
    this.queued = 0;
  }

  private flush(): void {
    while (this.slots.length > 0) {
      const head = this.slots[0]!;
      if (head.skipped) {
        this.slots.shift();
        continue;
      }
      if (head.frame === null) return;
      this.slots.shift();
      this.queued -= head.frame.length;
      this.written++;
      this.write(head.frame, head.onWritten);
    }
  }
}
