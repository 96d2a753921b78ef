// Frame buffers for the relay's large frames, reused instead of allocated per
// frame. A fresh buffer costs more than the bytes it carries on the machines
// this runs on: every 4 KiB page of it faults in on first touch (several µs
// each), and short-lived external buffers drive the garbage collector. So a
// frame buffer goes back here once the write that carried it has completed,
// and the next large frame reads straight into it. Idle buffers are bounded
// (IDLE_LIMIT_BYTES); beyond that a returned buffer is simply dropped.

/** Smallest pooled size class (2^17 = 128 KiB); smaller frames are not pooled. */
const MIN_CLASS_BITS = 17;
/** Idle bytes kept for reuse, all size classes together. */
export const IDLE_LIMIT_BYTES = 32 * 1024 * 1024;

/** Size class (a power of two, at least 128 KiB) that holds `bytes`. */
export function classBits(bytes: number): number {
  return Math.max(MIN_CLASS_BITS, 32 - Math.clz32(bytes - 1));
}

export class BufferPool {
  private readonly free: Buffer[][] = [];
  private idle = 0;

  constructor(private readonly idleLimit = IDLE_LIMIT_BYTES) {}

  /** A buffer of at least `bytes` bytes (its length is its size class); contents undefined. */
  take(bytes: number): Buffer {
    const bits = classBits(bytes);
    const list = this.free[bits];
    const b = list?.pop();
    if (b !== undefined) {
      this.idle -= b.length;
      return b;
    }
    // allocUnsafeSlow: its own memory, never a slice of Node's shared pool.
    return Buffer.allocUnsafeSlow(2 ** bits);
  }

  /** Gives back a buffer obtained from take(); it must no longer be in use anywhere. */
  give(b: Buffer): void {
    if (this.idle + b.length > this.idleLimit) return;
    const bits = classBits(b.length);
    (this.free[bits] ??= []).push(b);
    this.idle += b.length;
  }

  /** Bytes held idle for reuse. */
  get idleBytes(): number {
    return this.idle;
  }
}

/** The relay's pool (one per process: every connection shares it). */
export const framePool = new BufferPool();
