// Where the receiver opens big FILE_CHUNK frames (WIRE-NOTES §8.5): on its own
// thread, or on the session's worker pool. A worker costs CPU of its own — its
// start (~0.15 CPU-s each), the hand-over of every chunk both ways and the
// fresh buffers that come with it — and gives nothing back unless the
// receiving thread is the bottleneck: a thread that keeps up opens a chunk
// for less CPU than a worker does. So chunks are opened inline until the
// receiving thread has been busy (on a CPU, not merely waiting for one) for
// most of the wall time over BUSY_STRETCHES stretches of chunks in a row;
// from then on, for the rest of the session, they go to the pool. One busy
// stretch is not enough: a thread that keeps up on average (60–80 % busy over a
// 256 MiB file here) still has busier stretches now and then (a collection, a
// burst of disk writes), and a pool started for one of them costs a third of
// a CPU-second that the transfer never gets back.
import { threadCpuSeconds } from "../io/thread-cpu.js";

/** Chunk bytes over which the receiving thread's load is judged. */
export const JUDGE_BYTES = 8 * 1024 * 1024;
/** …and at least this much wall time (the thread clock's resolution is coarse on some systems). */
export const JUDGE_MS = 200;
/**
 * Share of the wall time spent on a CPU from which the thread counts as the
 * bottleneck. Between 85 and 93 % it still mostly keeps up (a 256 MiB file
 * through one relay here, sender and relay on the same two cores): opening
 * inline cost 3.5–4.6 CPU-s per GiB, the pool 4.8–6.1, for 5–10 % more MiB/s.
 */
export const BUSY_SHARE = 0.95;
/** Chunks further apart than this start a new stretch: waiting is not load. */
export const GAP_MS = 1000;
/** Busy stretches in a row that make the thread the bottleneck. */
export const BUSY_STRETCHES = 2;

export interface Clocks {
  /** Milliseconds, monotonic. */
  wall(): number;
  /** CPU seconds of the receiving thread. */
  cpu(): number;
}

const systemClocks: Clocks = { wall: () => performance.now(), cpu: threadCpuSeconds };

/** The decision as the inbound line asks it; tests pass their own. */
export interface ChunkPlacement {
  /** A chunk frame of `bytes` is about to be opened: true to open it on the worker pool. */
  onWorkers(bytes: number): boolean;
  /** The session ended: the next one starts inline again. */
  reset(): void;
}

export class OpenPlacement implements ChunkPlacement {
  private workers = false;
  private start: { wall: number; cpu: number } | null = null;
  private last = 0;
  private bytes = 0;
  private busyInARow = 0;

  constructor(private readonly clocks: Clocks = systemClocks) {}

  onWorkers(bytes: number): boolean {
    if (this.workers) return true;
    const now = this.clocks.wall();
    if (this.start === null || now - this.last > GAP_MS) {
      if (this.start !== null) this.busyInARow = 0; // a gap ends the run of busy stretches
      this.start = { wall: now, cpu: this.clocks.cpu() };
      this.bytes = 0;
    }
    this.last = now;
    this.bytes += bytes;
    const span = now - this.start.wall;
    if (this.bytes >= JUDGE_BYTES && span >= JUDGE_MS) {
      const busy = ((this.clocks.cpu() - this.start.cpu) * 1000) / span;
      this.busyInARow = busy >= BUSY_SHARE ? this.busyInARow + 1 : 0;
      if (this.busyInARow >= BUSY_STRETCHES) this.workers = true;
      // The next stretch starts here (not at the next chunk): back-to-back stretches cover the time without a hole.
      this.start = { wall: now, cpu: this.clocks.cpu() };
      this.bytes = 0;
    }
    return this.workers;
  }

  reset(): void {
    this.workers = false;
    this.start = null;
    this.busyInARow = 0;
  }
}
