// Frame reader for the relay (SPEC §4.3, WIRE-NOTES §2).
//
// A frame is handed out as one contiguous buffer holding the frame exactly as
// it arrived (4-byte length prefix + payload), so the relay forwards the
// original bytes and never re-encodes them. Where that buffer lives decides
// what forwarding costs:
//   * a frame that arrived whole in one read is a view into the read buffer.
//     When the read buffer is the relay's shared one (reused by the next read
//     of any connection) the view is only valid during the callback, and
//     keep() copies it; when it is a chunk of its own ('data' events) it is
//     kept as is;
//   * a frame that spans reads is assembled in a buffer of its own. For a
//     large frame that buffer comes from the frame pool, and once its length
//     is known the socket reads the rest of the frame straight into it
//     (readTarget()), so its body is never copied in user space; the buffer
//     returns to the pool when the write that forwards it completes;
//   * or a large frame is handed off at its start (LargeFrameHandoff): the
//     relay moves its body from socket to socket without reading it at all
//     (src/server/frame-splice.ts).
// A hostile length prefix allocates nothing: it is checked against the limit
// before anything else happens.
import { FrameTooLargeError } from "../protocol/frame.js";
import { framePool } from "./buffer-pool.js";

/**
 * Called once per complete frame: `frame` is prefix + payload, `length` the
 * payload length. The frame is valid only during the call unless the handler
 * keep()s it. Return false to stop processing the rest of the current chunk
 * (the connection is being closed).
 */
export type FrameHandler = (frame: Buffer, length: number) => boolean;

/**
 * Offered the start of each large frame whose first payload byte arrived:
 * `head` (prefix + the payload bytes read so far, a view valid during the
 * call) and `total`, the frame's wire size. Returning true takes the whole
 * frame over: the reader forgets it, and the caller must skip() whatever of
 * it the socket still delivers to the reader afterwards.
 */
export type LargeFrameHandoff = (head: Buffer, total: number) => boolean;

/** Frames larger than this on the wire are assembled in pooled buffers and read into directly. */
export const POOLED_FRAME_MIN = 64 * 1024 + 1;

const enum Held {
  /** A view into a read buffer that the next read reuses. */
  Transient,
  /** A view into a chunk nobody else writes to. */
  Stable,
  /** Assembled in a buffer of its own (garbage-collected). */
  Owned,
  /** Assembled in a pooled buffer. */
  Pooled,
}

export class FrameReader {
  /** Assembly buffer of the frame in progress (whole pooled buffer, or exactly the frame), or null. */
  private buf: Buffer | null = null;
  private bufPooled = false;
  /** Wire size (prefix included) of the frame being assembled. */
  private need = 0;
  /** Bytes of it assembled so far. */
  private have = 0;
  /** A length prefix split across reads: its value so far and how many of its 4 bytes arrived. */
  private hdrValue = 0;
  private hdrFill = 0;
  /** How the frame now being handled is held (meaningful during the handler only). */
  private held = Held.Stable;
  /** The pooled buffer behind the frame being handled, until keep() takes it. */
  private heldPool: Buffer | null = null;
  /** Set by keep(): the pooled buffer the caller must give back once done with it, else null. */
  keptPool: Buffer | null = null;
  /** Number of frames completed so far (lets callers notice that a new frame started). */
  completed = 0;
  /** Bytes still to drop: the unread rest of a frame handed off and then abandoned. */
  private skipping = 0;

  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: FrameHandler,
    private readonly handoff: LargeFrameHandoff | null = null,
  ) {}

  /** True while a frame (or its length prefix, or bytes to skip) has started but not finished. */
  get pending(): boolean {
    return this.buf !== null || this.hdrFill > 0 || this.skipping > 0;
  }

  /** The next `n` bytes pushed are dropped (the rest of a frame handed off, then abandoned). */
  skip(n: number): void {
    this.skipping += n;
  }

  /**
   * Where the next read should go: the unfilled rest of a large frame being
   * assembled (then fill() reports the read), or else `shared`.
   */
  readTarget(shared: Buffer): Buffer {
    return this.buf !== null && this.bufPooled ? this.buf.subarray(this.have, this.need) : shared;
  }

  /** `n` bytes were read into readTarget()'s large-frame slice. */
  fill(n: number): void {
    this.have += n;
    if (this.have === this.need) this.finish();
  }

  /**
   * Feeds one chunk read from the socket. `stable`: the chunk is not reused
   * after this call (views into it may be kept). Throws FrameTooLargeError
   * when a length prefix exceeds the limit; the reader must not be used after that.
   */
  push(chunk: Buffer, stable: boolean): void {
    const len = chunk.length;
    let i = 0;
    if (this.skipping > 0) {
      i = Math.min(this.skipping, len);
      this.skipping -= i;
    }
    while (i < len) {
      const buf = this.buf;
      if (buf !== null) {
        const take = Math.min(this.need - this.have, len - i);
        chunk.copy(buf, this.have, i, i + take);
        this.have += take;
        i += take;
        if (this.have === this.need && !this.finish()) return;
        continue;
      }
      if (this.hdrFill === 0 && len - i >= 4) {
        // The whole prefix is in this chunk.
        const n = chunk.readUInt32BE(i);
        if (n > this.maxFrame) throw new FrameTooLargeError(n, this.maxFrame);
        const total = 4 + n;
        if (len - i >= total) {
          // Whole frame inside the chunk: a view, no copy.
          const frame = chunk.subarray(i, i + total);
          i += total;
          this.completed++;
          this.held = stable ? Held.Stable : Held.Transient;
          if (!this.onFrame(frame, n)) return;
          continue;
        }
        // Starts here, ends in a later read: hand it off, or assemble it (prefix included).
        if (total >= POOLED_FRAME_MIN && len - i > 4 && this.handoff !== null && this.handoff(chunk.subarray(i), total)) {
          this.completed++;
          return;
        }
        this.begin(total);
        continue;
      }
      // The prefix itself is split across reads.
      while (this.hdrFill < 4 && i < len) {
        this.hdrValue = this.hdrValue * 256 + chunk[i++]!;
        this.hdrFill++;
      }
      if (this.hdrFill < 4) return;
      const n = this.hdrValue;
      this.hdrFill = 0;
      this.hdrValue = 0;
      if (n > this.maxFrame) throw new FrameTooLargeError(n, this.maxFrame);
      this.begin(4 + n);
      this.buf!.writeUInt32BE(n, 0);
      this.have = 4;
      if (n === 0 && !this.finish()) return;
    }
  }

  /** During the frame handler: the frame is a view into a read buffer that the next read reuses. */
  get transient(): boolean {
    return this.held === Held.Transient;
  }

  /**
   * During the frame handler: the frame's bytes in a buffer the caller may
   * keep after the handler returns (the frame itself, or a copy when it is a
   * view into a reused read buffer). When keptPool is then non-null, it must
   * be given back to framePool once the kept buffer is no longer used.
   */
  keep(frame: Buffer): Buffer {
    this.keptPool = null;
    switch (this.held) {
      case Held.Stable:
      case Held.Owned:
        return frame;
      case Held.Pooled:
        this.keptPool = this.heldPool;
        this.heldPool = null;
        return frame;
      case Held.Transient: {
        if (frame.length < POOLED_FRAME_MIN) return Buffer.from(frame);
        const b = framePool.take(frame.length);
        frame.copy(b);
        this.keptPool = b;
        return b.subarray(0, frame.length);
      }
    }
  }

  /**
   * Forgets a frame in progress (the connection is closing). Its buffer is not
   * returned to the pool: the socket may still be set to read into it.
   */
  abandon(): void {
    this.buf = null;
    this.hdrFill = 0;
  }

  private begin(total: number): void {
    this.bufPooled = total >= POOLED_FRAME_MIN;
    this.buf = this.bufPooled ? framePool.take(total) : Buffer.allocUnsafe(total);
    this.need = total;
    this.have = 0;
  }

  private finish(): boolean {
    const buf = this.buf!;
    const frame = buf.length === this.need ? buf : buf.subarray(0, this.need);
    const pooled = this.bufPooled;
    this.buf = null;
    this.completed++;
    this.held = pooled ? Held.Pooled : Held.Owned;
    this.heldPool = pooled ? buf : null;
    const more = this.onFrame(frame, this.need - 4);
    // Not kept by the handler: the buffer is free again.
    if (this.heldPool !== null) {
      framePool.give(this.heldPool);
      this.heldPool = null;
    }
    return more;
  }
}
