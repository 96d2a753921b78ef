// Reused buffers for big received frames. Every 1 MiB FILE_CHUNK frame needs
// a buffer of its own (the socket reads into one shared buffer), and a fresh
// one costs more than the chunk's decryption on the virtual machines this
// project runs on: its pages fault in one by one, and the garbage collector
// frees it only later. So once a received chunk is on disk its frame's buffer
// comes back here (incoming-transfers.ts) and the next frame of the same size
// is read into it. Only whole, unshared ArrayBuffers of one size at a time are
// kept, at most MAX_KEPT of them (as many as can be in flight between the
// socket and the disk: incoming-transfers.ts and inbound-line.ts pause reading
// beyond 8 MiB each), and none once no frame took one for IDLE_MS; anything
// else is left to the collector.
import { uninitialized } from "../protocol/bytes.js";

/** Frames smaller than this are cheap to allocate: never kept. */
export const MIN_KEPT_BYTES = 64 * 1024;
/** Buffers kept at most (16 MiB of 1 MiB chunk frames). */
export const MAX_KEPT = 16;
/** Kept buffers are let go once no frame took one for this long. */
export const IDLE_MS = 5000;

export class FrameBuffers {
  private size = 0;
  private readonly free: ArrayBuffer[] = [];
  private lastTaken = 0;
  private idle: NodeJS.Timeout | null = null;
  /** Buffers handed out again instead of allocated (tests look at it). */
  reused = 0;

  constructor(private readonly idleMs = IDLE_MS) {}

  /** Buffers kept now. */
  get kept(): number {
    return this.free.length;
  }

  /** A buffer of exactly `n` bytes for a frame (FrameDecoder's `alloc`). */
  readonly take = (n: number): Uint8Array => {
    if (n === this.size) {
      const b = this.free.pop();
      if (b) {
        this.reused++;
        this.lastTaken = performance.now();
        return new Uint8Array(b);
      }
    }
    return uninitialized(n);
  };

  /**
   * The frame whose bytes `view` is a view of is done with: nothing may read
   * or write any part of it afterwards. Kept if it is whole (a buffer of its
   * own, not transferred away) and big, else left to the garbage collector.
   */
  give(view: Uint8Array): void {
    const b = view.buffer;
    if (!(b instanceof ArrayBuffer) || b.byteLength < MIN_KEPT_BYTES) return;
    if (b.byteLength !== this.size) {
      this.size = b.byteLength;
      this.free.length = 0;
    }
    if (this.free.length < MAX_KEPT && !this.free.includes(b)) this.free.push(b);
    this.watchIdle();
  }

  /** Lets the kept buffers go once none was taken for idleMs (an unref'd timer: it never keeps a process alive). */
  private watchIdle(): void {
    if (this.idle !== null) return;
    this.lastTaken ||= performance.now();
    this.idle = setTimeout(() => {
      this.idle = null;
      if (performance.now() - this.lastTaken >= this.idleMs) {
        this.free.length = 0;
        this.lastTaken = 0;
      } else if (this.free.length > 0) this.watchIdle();
    }, this.idleMs);
    this.idle.unref();
  }
}
