// The sender's gzip stream as independent members, one per GZIP_BLOCK of
// input, compressed in parallel (on worker threads, or on libuv's pool for a
// single block) and concatenated in order. A multi-member stream is valid gzip
// and every receiver must accept any valid gzip stream (WIRE-NOTES §8.4), so
// this is invisible on the wire.
import { Transform, type TransformCallback } from "node:stream";
import { gzip } from "node:zlib";
import { WorkerPool, owned } from "../workers/pool.js";

/** Input per gzip member: big enough that the ratio is the single stream's, small enough to keep both cores busy. */
export const GZIP_BLOCK = 4 * 1024 * 1024;
/** Members being compressed or waiting to be written, at most (memory: this × block size, twice). */
const GZIP_IN_FLIGHT = 3;
export type Compressor = (data: Uint8Array, level: number) => Promise<Uint8Array>;

export function poolCompressor(pool: WorkerPool): Compressor {
  return (data, level) => {
    const d = owned(data);
    return pool.run({ op: "gzip", data: d, level }, [d.buffer as ArrayBuffer]);
  };
}

/** zlib on libuv's thread pool: for inputs of at most one block, where threads of our own would not pay off. */
export const uvCompressor: Compressor = (data, level) =>
  new Promise((resolve, reject) => gzip(data, { level }, (err, out) => (err ? reject(err) : resolve(out))));

/**
 * gzip as independent members of `blockSize` input bytes each, compressed in
 * parallel and emitted in order. An empty input still yields one (empty)
 * member, so the output is always a valid gzip stream.
 */
export class ParallelGzip extends Transform {
  private parts: Buffer[] = [];
  private fill = 0;
  private members = 0;
  private readonly inflight: Promise<Uint8Array>[] = [];
  bytesOut = 0;

  constructor(
    private readonly compress: Compressor,
    private readonly level: number,
    private readonly blockSize: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.blockSize - this.fill, chunk.length - off);
      this.parts.push(chunk.subarray(off, off + take));
      this.fill += take;
      off += take;
      if (this.fill === this.blockSize) this.submit();
    }
    // Backpressure: read on only while fewer than GZIP_IN_FLIGHT members are pending.
    this.drainTo(GZIP_IN_FLIGHT - 1).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.fill > 0 || this.members === 0) this.submit();
    this.drainTo(0).then(() => cb(), cb);
  }

  private submit(): void {
    const block = this.parts.length === 1 ? Uint8Array.from(this.parts[0]!) : Buffer.concat(this.parts, this.fill);
    this.parts = [];
    this.fill = 0;
    this.members++;
    const p = this.compress(block, this.level);
    p.catch(() => undefined); // awaited in order below; never an unhandled rejection if we fail earlier
    this.inflight.push(p);
  }

  private async drainTo(n: number): Promise<void> {
    while (this.inflight.length > n) {
      const out = await this.inflight.shift()!;
      this.bytesOut += out.length;
      this.push(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    }
  }
}
