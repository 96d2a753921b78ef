// Sender side: one streaming read of the file computes the BLAKE2b-256 hash and,
// when compressing, the gzip stream into a temporary file (WIRE-NOTES §8.2 and
// WIRE-NOTES §8.4; never read-and-gzip twice like the reference). The gzip stream is a
// series of independent members compressed on libuv's thread pool (gzip-members.ts).
// Compression is skipped when a few spread-out samples of the file shrink by
// less than 10 %, and the same samples choose the members' levels (compress-sample.ts). The processed stream is then served as
// exact 1 MiB chunks (WIRE-NOTES §8.3) straight from disk (chunk-reader.ts).
import type { Stats } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { WorkerPool } from "../workers/pool.js";
import { tempFileName } from "./temp-files.js";
import { CHUNK_SIZE, FileTransferError, asFileTransferError, createFileHasher, describeFile, type FileMetadata } from "../../protocol/file/metadata.js";
import { oneLevel, wantsCompression, type LevelMix } from "../../protocol/file/compression.js";
import { readChunks, type ChunkSpace } from "./chunk-reader.js";
import { chooseGzip } from "./compress-sample.js";
import { DEFAULT_GZIP_LEVEL } from "../deflate.js";
import { GZIP_BLOCK, gzipFile, poolCompressor, uvCompressor, type Compressor } from "./gzip-members.js";

// Where these lived before the split, for the callers that import them from here.
export { GZIP_BLOCK } from "./gzip-members.js";
export type { ChunkSpace } from "./chunk-reader.js";
export { SAMPLE_BYTES, SAMPLE_COUNT } from "./compress-sample.js";
export { SAMPLE_MAX_RATIO } from "../../protocol/file/compression.js";

export interface OutgoingChunk {
  index: number;
  /** The chunk's bytes, owned by the consumer (see OutgoingFile.chunks). */
  data: Uint8Array;
}

export interface PrepareOptions {
  /** The user wants compression; it is still skipped for incompressible extensions (WIRE-NOTES §8.2). */
  compress: boolean;
  /**
   * zlib level 0..9. Default: chosen from samples of the file (compress-sample.ts):
   * as many members at the engine's cheaper levels as keep the ratio close to level 6's, the rest at 6
   * (6 without samples; the reference uses 9, ~4× slower for little gain).
   */
  gzipLevel?: number;
  /** Where the temporary gzip file goes (default os.tmpdir()). */
  tmpDir?: string;
  /**
   * Send an empty file as a 20-byte gzip stream (1 chunk) instead of 0 chunks,
   * whatever the extension and the user's choice (default true). An uncompressed
   * empty file has total_chunks = 0 and never completes on a reference receiver
   * (WIRE-NOTES §15.7); a compressed one does, and every receiver must accept any
   * gzip stream (WIRE-NOTES §8.4). `false` reproduces the reference sender exactly.
   */
  compressEmpty?: boolean;
  /**
   * Skip compression when samples of the content shrink by less than 10 %
   * (default true). `false` compresses whenever `compress` and the extension
   * allow it, as the reference does (for byte-comparisons with its vectors).
   */
  sampleCheck?: boolean;
  /** Threads for the gzip members (default: libuv's thread pool, no thread of our own). */
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
  /** The gzip levels the stream's members were compressed at; null when it was not compressed. */
  readonly gzip: LevelMix | null;
  /** Path of the file whose bytes are chunked (the source itself or the temp gzip). */
  readonly processedPath: string;
  /**
   * Chunk i = bytes [i × 1 MiB, (i+1) × 1 MiB) of the processed stream, in order,
   * read from disk one chunk at a time (memory bounded by what the consumer keeps).
   * Every yielded `data` is read into what `space` hands out (default: a NEW
   * buffer) and never touched by the reader again, so the consumer may hold it
   * as long as it likes (e.g. while a worker encrypts it).
   * May be iterated more than once (e.g. to resend). Fails with io_error if the
   * source file changed since preparation (uncompressed files are re-read from the
   * original path) or after cleanup(). With `want`, only the chunks it accepts
   * are read and yielded (a resumed transfer, docs/PROTOCOL-EXTENSIONS.md §5).
   */
  chunks(want?: (index: number) => boolean, space?: ChunkSpace): AsyncIterable<OutgoingChunk>;
  /** Removes the temporary file; idempotent, safe to call at any time. */
  cleanup(): Promise<void>;
}

/** Hashes and counts everything read; optionally reports progress. */
class HashingCounter {
  bytes = 0;
  constructor(
    private readonly hasher: { update(data: Uint8Array): unknown },
    private readonly onBytes?: (n: number) => void,
  ) {}

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

/** The source file's stat, if it is a regular file we can read. */
async function statSource(filePath: string): Promise<Stats> {
  let st;
  try {
    st = await stat(filePath);
  } catch (err) {
    throw asFileTransferError(err, `Cannot read ${filePath}`);
  }
  if (!st.isFile()) throw new FileTransferError("io_error", `Not a regular file: ${filePath}`);
  return st;
}

/** The temporary gzip file of one preparation: removed once, by whoever comes first. */
class TempGzip {
  path: string | undefined;
  removed = false;

  async cleanup(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    if (this.path !== undefined) await rm(this.path, { force: true });
  }
}

/** The one read of the source: the hash, and the gzip stream into `tmp` when compressing. */
async function processSource(
  filePath: string,
  counter: HashingCounter,
  gz: { compressor: Compressor; mix: LevelMix; blockSize: number } | null,
  tmp: TempGzip,
  opts: PrepareOptions,
): Promise<{ processedPath: string; processedSize: number }> {
  if (!gz) {
    await readThrough(filePath, (piece) => counter.add(piece), opts.signal);
    return { processedPath: filePath, processedSize: counter.bytes };
  }
  const source = await open(filePath, "r");
  try {
    const p = path.join(opts.tmpDir ?? os.tmpdir(), tempFileName(".gz.tmp"));
    // "wx": never clobber anything already there; 0600: the content is the user's.
    const fh = await open(p, "wx", 0o600);
    tmp.path = p; // only once it is ours: cleanup() must never remove a file we did not create
    try {
      const size = await gzipFile(source, fh, { compress: gz.compressor, mix: gz.mix, blockSize: gz.blockSize, onBlock: (b) => counter.add(b), signal: opts.signal });
      return { processedPath: p, processedSize: size };
    } finally {
      await fh.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * Reads `filePath` once, computing its hash and (if compressing) its gzip stream
 * (independent members compressed on worker threads, concatenated in order)
 * into a temporary file, and returns the metadata plus a chunk source.
 * Compression happens when asked for, the extension allows it (
 * WIRE-NOTES §8.2) and samples of the content shrink by at least 10 % (see
 * `sampleCheck`); an empty file follows `compressEmpty`.
 */
export async function prepareOutgoingFile(filePath: string, opts: PrepareOptions): Promise<OutgoingFile> {
  const userLevel = opts.gzipLevel;
  if (userLevel !== undefined && (!Number.isInteger(userLevel) || userLevel < 0 || userLevel > 9)) throw new RangeError("gzipLevel must be an integer 0..9");
  let mix = oneLevel(userLevel ?? DEFAULT_GZIP_LEVEL);
  const st = await statSource(filePath);
  const filename = path.basename(filePath);
  const blockSize = opts.blockSize ?? GZIP_BLOCK;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError("blockSize must be a positive integer");
  let compressed = wantsCompression({ filename, size: st.size, userWants: opts.compress, compressEmpty: opts.compressEmpty ?? true });
  const compressor = opts.pool ? poolCompressor(opts.pool) : uvCompressor;
  const hasher = await createFileHasher();
  hasher.init();
  const onProgress = opts.onProgress;
  const counter = new HashingCounter(hasher, onProgress ? (n) => onProgress(n, st.size) : undefined);
  const tmp = new TempGzip();
  let processed;
  try {
    opts.signal?.throwIfAborted();
    if (compressed && st.size > 0 && (opts.sampleCheck ?? true)) ({ compress: compressed, mix } = await chooseGzip(filePath, st.size, compressor, userLevel, opts.signal));
    processed = await processSource(filePath, counter, compressed ? { compressor, mix, blockSize } : null, tmp, opts);
  } catch (err) {
    await tmp.cleanup();
    throw asFileTransferError(err, `Reading ${filename} failed`);
  }
  // What we hashed is what we announce (the file may have changed since stat()).
  const metadata = describeFile({ filename, fileSize: counter.bytes, fileHash: hasher.digest("hex"), processedSize: processed.processedSize, compressed });
  const { processedPath, processedSize } = processed;
  // For the uncompressed case chunks() re-reads the original; detect edits in between.
  let sourceMtime = 0;
  try {
    sourceMtime = (await stat(processedPath)).mtimeMs;
  } catch (err) {
    await tmp.cleanup();
    throw asFileTransferError(err, `Cannot read ${filename}`);
  }
  const chunks = (want?: (index: number) => boolean, space?: ChunkSpace) =>
    readChunks({ path: processedPath, size: processedSize, mtimeMs: sourceMtime, totalChunks: metadata.total_chunks, filename }, () => tmp.removed, want, space);
  return { metadata, gzip: compressed ? mix : null, processedPath, chunks, cleanup: () => tmp.cleanup() };
}
