// The sender's gzip stream as independent members, one per GZIP_BLOCK of
// input, compressed in parallel on libuv's thread pool (or on a lent
// WorkerPool) and written in order. A multi-member stream is valid gzip and
// every receiver must accept any valid gzip stream (WIRE-NOTES §8.4), so this
// is invisible on the wire.
import type { FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { gzipMemberAsync, gzipMemberAsyncInto, gzipOutputBound } from "../deflate.js";
import { WorkerPool, owned } from "../workers/pool.js";
import { memberLevel, type LevelMix } from "../../protocol/file/compression.js";

/**
 * Input per gzip member: big enough that the ratio is the single stream's
 * (on prose 2 MiB members lose 0.05 % against 4 MiB ones), small enough to keep
 * both cores busy, and the block and output buffers of the members in flight
 * few pages to fault in: against 4 MiB, 2 MiB members save the sender about
 * 1,500 fresh pages per file and the receiver's gunzip about 750.
 */
export const GZIP_BLOCK = 2 * 1024 * 1024;
/**
 * Members being compressed or waiting to be written, at most (memory: this ×
 * block size, twice): one per core, 2 to 4. More than the cores can compress
 * at once only wait, and each costs two more buffers of fresh pages per file
 * (on 2 cores, 3 in flight cost about 0.7 CPU-s per GiB more than 2 on a
 * 64 MiB file of prose).
 */
export const GZIP_IN_FLIGHT = Math.max(2, Math.min(4, availableParallelism()));
/** Compresses `data` into one member: into `out` when given and the engine can (a view of it), else into a new buffer. */
export type Compressor = (data: Uint8Array, level: number, out?: Uint8Array) => Promise<Uint8Array>;

export function poolCompressor(pool: WorkerPool): Compressor {
  return (data, level) => {
    const d = owned(data);
    return pool.run({ op: "gzip", data: d, level }, [d.buffer as ArrayBuffer]);
  };
}

/** The engine of deflate.ts on libuv's thread pool: members in parallel, no thread of our own to start (the default). */
export const uvCompressor: Compressor = (data, level, out) => (out ? gzipMemberAsyncInto(data, level, out) : gzipMemberAsync(data, level));

export interface GzipFileOptions {
  compress: Compressor;
  /** The level of each member (protocol/file/compression.ts). */
  mix: LevelMix;
  blockSize: number;
  /** Sees every block read, in order, before it is compressed (the hash). */
  onBlock: (block: Uint8Array) => void;
  signal?: AbortSignal;
}

/** Fills `buf` from `fh` at its position (short only at the end of the file). */
async function readFull(fh: FileHandle, buf: Uint8Array): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length; ) off += (await fh.write(data, off, data.length - off)).bytesWritten;
}

/**
 * Reads `src` once in blocks of `blockSize`, compresses each as one gzip
 * member (up to GZIP_IN_FLIGHT at once) and appends the members to `dst` in
 * order; returns the bytes written. An empty file still gives one (empty)
 * member, so the output is always a valid gzip stream. On libuv's pool the
 * block buffers and the members' output buffers are reused once their member
 * is written (no fresh pages per block); a lent WorkerPool takes each block
 * over instead.
 */
export async function gzipFile(src: FileHandle, dst: FileHandle, o: GzipFileOptions): Promise<number> {
  const reuse = o.compress === uvCompressor;
  const outBytes = reuse ? gzipOutputBound(o.blockSize) : 0;
  const free: { block: Uint8Array; member: Uint8Array | undefined }[] = [];
  const inflight: { block: Uint8Array; member: Uint8Array | undefined; out: Promise<Uint8Array> }[] = [];
  let written = 0;
  const writeOldest = async (): Promise<void> => {
    const m = inflight.shift()!;
    const z = await m.out;
    await writeAll(dst, z);
    written += z.length;
    if (reuse) free.push(m);
  };
  try {
    for (let members = 0; ; members++) {
      o.signal?.throwIfAborted();
      const { block, member } = free.pop() ?? { block: new Uint8Array(o.blockSize), member: outBytes > 0 ? new Uint8Array(outBytes) : undefined };
      const n = await readFull(src, block);
      if (n === 0 && members > 0) break;
      const data = block.subarray(0, n);
      o.onBlock(data);
      const out = o.compress(data, memberLevel(o.mix, members), member);
      out.catch(() => undefined); // awaited in order below; never an unhandled rejection if we fail earlier
      inflight.push({ block, member, out });
      if (inflight.length >= GZIP_IN_FLIGHT) await writeOldest();
      if (n < o.blockSize) break;
    }
    while (inflight.length > 0) await writeOldest();
  } finally {
    inflight.length = 0; // jobs still running keep their own reference to their block
  }
  return written;
}
