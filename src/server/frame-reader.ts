// Zero-copy frame reader for the relay (SPEC §4.3, WIRE-NOTES §2).
//
// Unlike FrameDecoder (src/protocol/frame.ts), which copies each payload into
// one buffer, this reader hands out a frame as the list of *wire* slices it
// arrived in: the 4-byte length prefix followed by the payload, as views into
// the socket's read chunks. The relay writes exactly these slices to the peer,
// so a relayed frame is never re-encoded or copied, and memory is only ever
// held for bytes that actually arrived (a hostile length prefix allocates
// nothing: it is checked against the limit before anything else happens).
import { FrameTooLargeError } from "../protocol/frame.js";

/**
 * Called once per complete frame. `wire` is the frame exactly as received
 * (prefix + payload, split into one or more slices); `length` is the payload
 * length. Return false to stop processing the rest of the current chunk (the
 * connection is being closed).
 */
export type FrameHandler = (wire: Buffer[], length: number) => boolean;

export class FrameReader {
  private parts: Buffer[] = [];
  /** Bytes of the current frame collected so far (prefix included). */
  private have = 0;
  /** Total wire size of the current frame, or -1 while its prefix is incomplete. */
  private need = -1;
  private readonly hdr = Buffer.alloc(4);
  private hdrFill = 0;
  /** Number of frames completed so far (lets callers notice that a new frame started). */
  completed = 0;

  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** True while a frame (or its length prefix) has started but not finished. */
  get pending(): boolean {
    return this.have > 0;
  }

  /**
   * Feeds one chunk from the socket. Throws FrameTooLargeError when a length
   * prefix exceeds the limit (nothing is allocated for it); the reader must
   * not be used after that.
   */
  push(chunk: Buffer): void {
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (this.need < 0) {
        if (this.hdrFill === 0 && len - i >= 4) {
          // Fast path: the whole prefix is in this chunk.
          const n = chunk.readUInt32BE(i);
          if (n > this.maxFrame) throw new FrameTooLargeError(n, this.maxFrame);
          const total = 4 + n;
          if (len - i >= total) {
            // Whole frame inside the chunk: one slice, zero copies.
            const wire = chunk.subarray(i, i + total);
            i += total;
            this.completed++;
            if (!this.onFrame([wire], n)) return;
            continue;
          }
          this.parts = [chunk.subarray(i)];
          this.have = len - i;
          this.need = total;
          return;
        }
        // Prefix split across chunks: keep the slices (they are wire bytes
        // too) and assemble the 4 bytes on the side to read the length.
        const take = Math.min(4 - this.hdrFill, len - i);
        chunk.copy(this.hdr, this.hdrFill, i, i + take);
        this.parts.push(chunk.subarray(i, i + take));
        this.hdrFill += take;
        this.have += take;
        i += take;
        if (this.hdrFill < 4) return;
        this.hdrFill = 0;
        const n = this.hdr.readUInt32BE(0);
        if (n > this.maxFrame) throw new FrameTooLargeError(n, this.maxFrame);
        this.need = 4 + n;
        if (n === 0 && !this.finish(0)) return;
        continue;
      }
      const take = Math.min(this.need - this.have, len - i);
      this.parts.push(take === len && i === 0 ? chunk : chunk.subarray(i, i + take));
      this.have += take;
      i += take;
      if (this.have === this.need && !this.finish(this.need - 4)) return;
    }
  }

  private finish(length: number): boolean {
    const wire = this.parts;
    this.parts = [];
    this.have = 0;
    this.need = -1;
    this.completed++;
    return this.onFrame(wire, length);
  }
}

/** The payload of a frame as one buffer (a view when it arrived in one slice; a copy otherwise). */
export function payloadOf(wire: Buffer[]): Buffer {
  if (wire.length === 1) return wire[0]!.subarray(4);
  return Buffer.concat(wire).subarray(4);
}
