// Pipelined FILE_CHUNK opens: frames whose chain step and message key are
// derived in counter order on the session's thread while their AEAD runs
// elsewhere (a worker), committed later in the same order. This module keeps
// the speculative state — the receive chain as it will be once every begun
// frame committed — apart from the session's committed state, which only
// Session.finishChunkOpen changes (WIRE-NOTES §8.5 steps 3–6).
import { wipe } from "./bytes.js";
import { SessionError } from "./errors.js";

/**
 * A FILE_CHUNK frame whose chain step and message key are done
 * (Session.beginChunkOpen) and whose AEAD may run elsewhere; the result goes
 * back through Session.finishChunkOpen, in the order the frames were begun.
 */
export interface ChunkOpenJob {
  readonly counter: number;
  /** 32 bytes; hand it over (transfer) or wipe it after use. */
  readonly messageKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  /** View of the frame's ciphertext (frame[48..]). */
  readonly ciphertext: Uint8Array;
}

/** A begun job with what its commit needs. */
export interface ChunkOpenState extends ChunkOpenJob {
  /** ratchet(ck, n): the receive chain after this frame commits. */
  next: Uint8Array;
  epoch: number;
  settled: boolean;
}

export class ChunkOpens {
  private specCounter = 0;
  private specChain: Uint8Array | null = null;
  private readonly jobs: ChunkOpenState[] = [];
  /** Bumped on every key change: jobs begun under older keys cannot commit. */
  private epoch = 0;

  /** Frames begun and not yet finished. */
  get pending(): number {
    return this.jobs.length;
  }

  /**
   * Where a new frame's walk starts: after the last begun frame while any are
   * pending, else the committed state the caller passes in.
   */
  from(committedCounter: number, committedChain: Uint8Array): { counter: number; chain: Uint8Array } {
    return this.jobs.length > 0 ? { counter: this.specCounter, chain: this.specChain! } : { counter: committedCounter, chain: committedChain };
  }

  /** Queues a begun frame; its `next` chain becomes where the following frame starts. */
  add(job: Omit<ChunkOpenState, "epoch" | "settled">): ChunkOpenJob {
    const st: ChunkOpenState = { ...job, epoch: this.epoch, settled: false };
    if (this.specChain) wipe(this.specChain);
    this.specChain = Uint8Array.from(st.next);
    this.specCounter = st.counter;
    this.jobs.push(st);
    return st;
  }

  /**
   * Takes `job` off the queue (it must be the oldest, and only once) and wipes
   * its message key. `current` is false when the keys changed since it began.
   * The caller commits or drops it and wipes `state.next`.
   */
  settle(job: ChunkOpenJob): { state: ChunkOpenState; current: boolean } {
    const st = job as ChunkOpenState;
    const i = this.jobs.indexOf(st);
    if (i < 0 || st.settled) throw new SessionError("not_ready", "this file chunk was not begun or is already finished");
    if (i !== 0) throw new SessionError("not_ready", "file chunks must be finished in the order they were begun");
    st.settled = true;
    this.jobs.shift();
    if (this.jobs.length === 0) this.resetSpeculation();
    wipeUnlessDetached(st.messageKey);
    return { state: st, current: st.epoch === this.epoch };
  }

  /** Forgets every begun frame (a key change or the end of the session): none of them can commit. */
  drop(): void {
    this.epoch++;
    for (const j of this.jobs) {
      j.settled = true;
      wipeUnlessDetached(j.messageKey);
      wipe(j.next);
    }
    this.jobs.length = 0;
    this.resetSpeculation();
  }

  private resetSpeculation(): void {
    wipe(this.specChain);
    this.specChain = null;
    this.specCounter = 0;
  }
}

/** A message key handed to a worker by transfer is detached here (byteLength 0): nothing left to wipe. */
function wipeUnlessDetached(b: Uint8Array): void {
  if (b.byteLength > 0) b.fill(0);
}
