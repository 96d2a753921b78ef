// Length-prefixed framing (SPEC §4.3, WIRE-NOTES §2): BE32(N) || payload.
// The decoder checks the prefix against a maximum before allocating anything,
// so a hostile 4 GiB prefix costs nothing (WIRE-NOTES §15.4).
import { uninitialized } from "./bytes.js";

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly max: number) {
    super(`frame of ${length} bytes exceeds the limit of ${max} bytes`);
    this.name = "FrameTooLargeError";
  }
}

/** One full 1 MiB FILE_CHUNK frame is ~1,048,784 bytes; leave headroom. */
export const DEFAULT_MAX_FRAME = 1048576 + 64 * 1024;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

export function frameHeader(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length, false);
  return h;
}

/**
 * Incremental decoder: push any split of the byte stream, get whole payloads.
 * Payloads are fresh copies unless they arrive whole inside one chunk, in which
 * case they are views into that chunk (the caller must not reuse it).
 */
export class FrameDecoder {
  private readonly max: number;
  private header = new Uint8Array(4);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;

  private readonly copy: boolean;
  private readonly alloc: (n: number) => Uint8Array;

  /**
   * `copy`: every payload is a buffer of its own, never a view into the
   * pushed chunk, for callers that reuse one read buffer for every chunk.
   * `alloc`: where payload buffers come from (default: fresh ones); each must
   * be exactly `n` bytes and no one else's, as it is filled and handed out.
   */
  constructor(opts: { maxFrame?: number; copy?: boolean; alloc?: (n: number) => Uint8Array } = {}) {
    this.max = opts.maxFrame ?? DEFAULT_MAX_FRAME;
    this.copy = opts.copy ?? false;
    this.alloc = opts.alloc ?? uninitialized;
  }

  /**
   * Bytes taken so far into binary (non-JSON) frames that arrived in more than
   * one piece: lets a stall check see a file chunk still arriving on a slow link.
   */
  binaryBytes = 0;

  /** Bytes of the frame in progress (header or body) still awaited; 0 between frames. */
  get pending(): boolean {
    return this.headerFill > 0 || this.body !== null;
  }

  /** Throws FrameTooLargeError; after that the decoder must not be used again. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.body === null) {
        // Fast path: whole header and body inside this chunk.
        if (this.headerFill === 0 && chunk.length - i >= 4) {
          const n = ((chunk[i]! << 24) | (chunk[i + 1]! << 16) | (chunk[i + 2]! << 8) | chunk[i + 3]!) >>> 0;
          if (n > this.max) throw new FrameTooLargeError(n, this.max);
          if (chunk.length - i - 4 >= n) {
            const view = chunk.subarray(i + 4, i + 4 + n);
            if (this.copy) {
              const own = this.alloc(n);
              own.set(view);
              out.push(own);
            } else out.push(view);
            i += 4 + n;
            continue;
          }
          this.body = this.alloc(n); // filled whole before it is handed out
          this.bodyFill = 0;
          i += 4;
          continue;
        }
        const take = Math.min(4 - this.headerFill, chunk.length - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFill);
        this.headerFill += take;
        i += take;
        if (this.headerFill < 4) break;
        const n = new DataView(this.header.buffer).getUint32(0, false);
        this.headerFill = 0;
        if (n > this.max) throw new FrameTooLargeError(n, this.max);
        this.body = this.alloc(n); // filled whole before it is handed out
        this.bodyFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - i);
      this.body.set(chunk.subarray(i, i + take), this.bodyFill);
      this.bodyFill += take;
      if (this.body[0] !== 0x7b) this.binaryBytes += take;
      i += take;
      if (this.bodyFill === this.body.length) {
        out.push(this.body);
        this.body = null;
      }
    }
    // Zero-length frame announced at the very end of a chunk.
    if (this.body !== null && this.body.length === 0) {
      out.push(this.body);
      this.body = null;
    }
    return out;
  }
}
