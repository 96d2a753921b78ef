// Sender side: one streaming read of the file computes the BLAKE2b-256 hash and,
// when compressing, the gzip stream into a temporary file (WIRE-NOTES §8.2, §8.4;
// issue 5 §3: never read-and-gzip twice like the reference). The processed stream
// is then served as exact 1 MiB chunks (§8.3) straight from disk.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import {
  CHUNK_SIZE,
  FileTransferError,
  asFileTransferError,
  chunkCount,
  createFileHasher,
  hasIncompressibleExtension,
  transferId,
  type FileMetadata,
} from "./metadata.js";

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
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
}

/** A sink that only counts (the uncompressed case needs no copy of the file). */
class Discard extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    cb();
  }
}

function tempName(): string {
  return `.pqchat-${randomBytes(8).toString("hex")}.gz.tmp`;
}

/**
 * Reads `filePath` once, computing its hash and (if compressing) its gzip stream
 * into a temporary file, and returns the metadata plus a chunk source.
 *
 * The gzip step is a plain Transform in the pipeline; issue 5's multi-member gzip
 * on worker threads replaces exactly that stage (ordered members concatenated
 * into the same temp file) without changing anything around it.
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
  const compressed = empty && (opts.compressEmpty ?? true) ? true : opts.compress && !hasIncompressibleExtension(filename);

  const hasher = await createFileHasher();
  hasher.init();
  const onProgress = opts.onProgress;
  const counter = new HashingCounter(hasher, onProgress ? (n) => onProgress(n, st.size) : undefined);
  const source = createReadStream(filePath, { highWaterMark: CHUNK_SIZE });

  let tmpPath: string | undefined;
  let removed = false;
  const cleanup = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    if (tmpPath !== undefined) await rm(tmpPath, { force: true });
  };

  let processedPath = filePath;
  let processedSize: number;
  try {
    if (compressed) {
      const p = path.join(opts.tmpDir ?? os.tmpdir(), tempName());
      // "wx": never clobber anything already there; 0600: the content is the user's.
      const fh = await open(p, "wx", 0o600);
      tmpPath = p; // only once it is ours: cleanup() must never remove a file we did not create
      const out = fh.createWriteStream(); // closes fh when done or destroyed
      await pipeline(source, counter, createGzip({ level }), out, { signal: opts.signal });
      processedPath = tmpPath;
      processedSize = out.bytesWritten;
    } else {
      await pipeline(source, counter, new Discard(), { signal: opts.signal });
      processedSize = counter.bytes;
    }
  } catch (err) {
    source.destroy(); // no-op after pipeline(); closes the fd if we failed before it
    await cleanup();
    throw asFileTransferError(err, `Reading ${filename} failed`);
  }

  // What we hashed is what we announce (the file may have changed since stat()).
  const fileSize = counter.bytes;
  const fileHash = hasher.digest("hex");
  const metadata: FileMetadata = {
    transfer_id: transferId(filename, fileSize, fileHash),
    filename,
    file_size: fileSize,
    file_hash: fileHash,
    total_chunks: chunkCount(processedSize),
    compressed,
    processed_size: processedSize,
  };

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
