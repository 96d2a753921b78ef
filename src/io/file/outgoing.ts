// Sender side: one streaming read of the file computes the BLAKE2b-256 hash and,
// when compressing, the gzip stream into a temporary file (WIRE-NOTES §8.2, §8.4;
// issue 5 §3: never read-and-gzip twice like the reference). The gzip stream is
// a series of independent members, one per GZIP_BLOCK of input, compressed on
// worker threads and concatenated in order (a multi-member stream is valid gzip;
// the reference's reader and ours read it whole). Compression is skipped when a
// few spread-out samples of the file shrink by less than 10 %. The processed
// stream is then served as exact 1 MiB chunks (§8.3) straight from disk.
import { createReadStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzip } from "node:zlib";
import { WorkerPool, owned } from "../workers/pool.js";
import { tempFileName } from "./temp-files.js";
import {
  CHUNK_SIZE,
  FileTransferError,
  asFileTransferError,
  createFileHasher,
  describeFile,
  hasIncompressibleExtension,
  type FileMetadata,
} from "../../protocol/file/metadata.js";

export interface OutgoingChunk {
  index: number;
  /** A fresh buffer per chunk, owned by the consumer (see OutgoingFile.chunks). */
  data: Buffer;
}

export interface PrepareOptions {
  /** The user wants compression; it is still skipped for incompressible extensions (§8.2). */
  compress: boolean;
  /** zlib level 0..9 (default 6; the reference uses 9, ~4× slower for little gain — issue 2). */
  gzipLevel?: number;
  /** Where the temporary gzip file goes (default os.tmpdir()). */
  tmpDir?: string;
  /**
   * Send an empty file as a 20-byte gzip stream (1 chunk) instead of 0 chunks,
   * whatever the extension and the user's choice (default true). An uncompressed
   * empty file has total_chunks = 0 and never completes on a reference receiver
   * (WIRE-NOTES §15.7); a compressed one does, and every receiver must accept any
   * gzip stream (§8.4). `false` reproduces the reference sender exactly.
   */
  compressEmpty?: boolean;
  /**
   * Skip compression when samples of the content shrink by less than 10 %
   * (default true). `false` compresses whenever `compress` and the extension
   * allow it, as the reference does (for byte-comparisons with its vectors).
   */
  sampleCheck?: boolean;
  /** Threads for the gzip members (default: a private pool of 2, ended when done). */
  pool?: WorkerPool;
  /** Input bytes per gzip member (default GZIP_BLOCK). */
  blockSize?: number;
  /** Called as the file is read: bytes read so far and the size at start. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Cancels the preparation read; the temp file is removed. */
  signal?: AbortSignal;
}

export interface OutgoingFile {
  readonly metadata: FileMetadata;
  /** Path of the file whose bytes are chunked (the source itself or the temp gzip). */
  readonly processedPath: string;
  /**
   * Chunk i = bytes [i × 1 MiB, (i+1) × 1 MiB) of the processed stream, in order,
   * read from disk one chunk at a time (memory bounded by what the consumer keeps).
   * Every yielded `data` is a NEW buffer that is never reused or written again, so
   * the consumer may hold it as long as it likes (e.g. while a worker encrypts it).
   * May be iterated more than once (e.g. to resend). Fails with io_error if the
   * source file changed since preparation (uncompressed files are re-read from the
   * original path) or after cleanup().
   */
  chunks(): AsyncIterable<OutgoingChunk>;
  /** Removes the temporary file; idempotent, safe to call at any time. */
  cleanup(): Promise<void>;
}

/** Hashes and counts everything flowing through; optionally reports progress. */
class HashingCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly hasher: { update(data: Uint8Array): unknown },
    private readonly onBytes?: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.add(chunk);
    cb(null, chunk);
  }

  add(chunk: Uint8Array): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
  }
}

/**
 * Feeds the whole file through `sink` in CHUNK_SIZE pieces read into one
 * reused buffer: the hash-only pass of an uncompressed file makes no garbage.
 */
async function readThrough(filePath: string, sink: (piece: Uint8Array) => void, signal?: AbortSignal): Promise<void> {
  const fh = await open(filePath, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      sink(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/** Input per gzip member: big enough that the ratio is the single stream's, small enough to keep both cores busy. */
export const GZIP_BLOCK = 4 * 1024 * 1024;
/** Members being compressed or waiting to be written, at most (memory: this × block size, twice). */
const GZIP_IN_FLIGHT = 3;
/** Compression is worth it when the samples shrink to less than this share of their size. */
export const SAMPLE_MAX_RATIO = 0.9;
export const SAMPLE_BYTES = 256 * 1024;
export const SAMPLE_COUNT = 4;

type Compressor = (data: Uint8Array, level: number) => Promise<Uint8Array>;

function poolCompressor(pool: WorkerPool): Compressor {
  return (data, level) => {
    const d = owned(data);
    return pool.run({ op: "gzip", data: d, level }, [d.buffer as ArrayBuffer]);
  };
}

/** zlib on libuv's thread pool: for inputs of at most one block, where threads of our own would not pay off. */
const uvCompressor: Compressor = (data, level) =>
  new Promise((resolve, reject) => gzip(data, { level }, (err, out) => (err ? reject(err) : resolve(out))));

/**
 * gzip as independent members of `blockSize` input bytes each, compressed in
 * parallel and emitted in order. An empty input still yields one (empty)
 * member, so the output is always a valid gzip stream.
 */
class ParallelGzip extends Transform {
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

/**
 * Does the content compress by at least 10 %? gzips up to SAMPLE_COUNT
 * samples of SAMPLE_BYTES spread over the file (the whole file if it is
 * smaller) at the chosen level.
 */
async function worthCompressing(filePath: string, size: number, level: number, compress: Compressor, signal?: AbortSignal): Promise<boolean> {
  const total = SAMPLE_BYTES * SAMPLE_COUNT;
  const ranges: [number, number][] = [];
  if (size <= total) ranges.push([0, size]);
  else for (let i = 0; i < SAMPLE_COUNT; i++) ranges.push([Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLE_COUNT - 1)), SAMPLE_BYTES]);
  const fh = await open(filePath, "r");
  const samples: Uint8Array[] = [];
  try {
    for (const [off, len] of ranges) {
      const b = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(b, got, len - got, off + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      samples.push(b.subarray(0, got));
    }
  } finally {
    await fh.close();
  }
  signal?.throwIfAborted();
  const inBytes = samples.reduce((n, b) => n + b.length, 0);
  if (inBytes === 0) return true;
  const outs = await Promise.all(samples.map((b) => compress(b, level)));
  const outBytes = outs.reduce((n, b) => n + b.length, 0);
  return outBytes < inBytes * SAMPLE_MAX_RATIO;
}

/** A sink that only counts (the uncompressed case needs no copy of the file). */
function tempName(): string {
  return tempFileName(".gz.tmp");
}

/**
 * Reads `filePath` once, computing its hash and (if compressing) its gzip stream
 * (independent members compressed on worker threads, concatenated in order)
 * into a temporary file, and returns the metadata plus a chunk source.
 * Compression happens when asked for, the extension allows it (§8.2) and
 * samples of the content shrink by at least 10 % (see `sampleCheck`); an empty
 * file follows `compressEmpty`.
 */
export async function prepareOutgoingFile(filePath: string, opts: PrepareOptions): Promise<OutgoingFile> {
  const level = opts.gzipLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError("gzipLevel must be an integer 0..9");

  let st;
  try {
    st = await stat(filePath);
  } catch (err) {
    throw asFileTransferError(err, `Cannot read ${filePath}`);
  }
  if (!st.isFile()) throw new FileTransferError("io_error", `Not a regular file: ${filePath}`);

  const filename = path.basename(filePath);
  const empty = st.size === 0;
  const blockSize = opts.blockSize ?? GZIP_BLOCK;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError("blockSize must be a positive integer");
  let compressed = empty && (opts.compressEmpty ?? true) ? true : opts.compress && !hasIncompressibleExtension(filename);

  // Threads only pay off for more than one member; the pool is ours to end unless the caller lent it.
  let pool = opts.pool;
  const ownPool = compressed && !empty && !pool && st.size > blockSize;
  if (ownPool) pool = new WorkerPool();
  const compressor = pool && st.size > blockSize ? poolCompressor(pool) : uvCompressor;

  const hasher = await createFileHasher();
  hasher.init();
  const onProgress = opts.onProgress;
  const counter = new HashingCounter(hasher, onProgress ? (n) => onProgress(n, st.size) : undefined);

  let tmpPath: string | undefined;
  let removed = false;
  const cleanup = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    if (tmpPath !== undefined) await rm(tmpPath, { force: true });
  };

  let processedPath = filePath;
  let processedSize: number;
  let source: ReturnType<typeof createReadStream> | undefined;
  try {
    opts.signal?.throwIfAborted();
    if (compressed && !empty && (opts.sampleCheck ?? true)) {
      compressed = await worthCompressing(filePath, st.size, level, compressor, opts.signal);
    }
    if (compressed) {
      source = createReadStream(filePath, { highWaterMark: CHUNK_SIZE });
      const p = path.join(opts.tmpDir ?? os.tmpdir(), tempName());
      // "wx": never clobber anything already there; 0600: the content is the user's.
      const fh = await open(p, "wx", 0o600);
      tmpPath = p; // only once it is ours: cleanup() must never remove a file we did not create
      const out = fh.createWriteStream(); // closes fh when done or destroyed
      const gz = new ParallelGzip(compressor, level, blockSize);
      await pipeline(source, counter, gz, out, { signal: opts.signal });
      processedPath = tmpPath;
      processedSize = out.bytesWritten;
    } else {
      await readThrough(filePath, (piece) => counter.add(piece), opts.signal);
      processedSize = counter.bytes;
    }
  } catch (err) {
    source?.destroy(); // no-op after pipeline(); closes the fd if we failed before it
    await cleanup();
    throw asFileTransferError(err, `Reading ${filename} failed`);
  } finally {
    if (ownPool) await pool?.terminate();
  }

  // What we hashed is what we announce (the file may have changed since stat()).
  const metadata = describeFile({ filename, fileSize: counter.bytes, fileHash: hasher.digest("hex"), processedSize, compressed });

  // For the uncompressed case chunks() re-reads the original; detect edits in between.
  let sourceMtime = 0;
  try {
    sourceMtime = (await stat(processedPath)).mtimeMs;
  } catch (err) {
    await cleanup();
    throw asFileTransferError(err, `Cannot read ${filename}`);
  }

  async function* chunks(): AsyncGenerator<OutgoingChunk> {
    if (removed) throw new FileTransferError("io_error", "The prepared file was already cleaned up.");
    let fh;
    try {
      fh = await open(processedPath, "r");
      const now = await fh.stat();
      if (now.size !== processedSize || now.mtimeMs !== sourceMtime) {
        throw new FileTransferError("io_error", `${filename} changed after it was offered; offer it again.`);
      }
    } catch (err) {
      await fh?.close();
      throw asFileTransferError(err, `Cannot read ${filename}`);
    }
    try {
      for (let index = 0; index < metadata.total_chunks; index++) {
        const offset = index * CHUNK_SIZE;
        const len = Math.min(CHUNK_SIZE, processedSize - offset);
        // allocUnsafe is fine: the loop below fills every byte or throws before yielding.
        const data = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(data, got, len - got, offset + got);
          if (bytesRead === 0) throw new FileTransferError("io_error", `${filename} became shorter while sending.`);
          got += bytesRead;
        }
        yield { index, data };
      }
    } catch (err) {
      throw asFileTransferError(err, `Reading ${filename} failed`);
    } finally {
      await fh.close();
    }
  }

  return { metadata, processedPath, chunks, cleanup };
}
