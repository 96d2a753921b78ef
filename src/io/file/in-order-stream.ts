// The receive side's streaming pass: while chunks arrive in index order, each
// one is also fed to gunzip (if compressed) and BLAKE2b as it is written, so
// the hash is ready right after the last chunk. The first chunk out of order
// ends it for good; incoming.ts then makes the full pass over the .part file
// instead (reassemble.ts). Both passes stop a gzip bomb as soon as its output
// exceeds the announced size (WIRE-NOTES §15.6).
import { once } from "node:events";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, type Gunzip } from "node:zlib";
import type { IHasher as FileHasher } from "hash-wasm";
import { FileTransferError, asFileTransferError, createFileHasher, type FileMetadata } from "../../protocol/file/metadata.js";
import type { OwnedTempFiles } from "./temp-files.js";

/** gunzip output piece: big pieces mean few hops through the hash and the write stream (zlib's default is 16 KiB). */
export const GUNZIP_CHUNK = 256 * 1024;

/** Hashes, counts and caps the bytes flowing through. */
export class GuardedHasher extends Transform {
  bytes = 0;
  constructor(
    private readonly hasher: { update(d: Uint8Array): unknown },
    private readonly limit: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      // Fails the pipeline at once; pipeline() then destroys the gunzip stream,
      // so a bomb costs at most one zlib output buffer past the limit.
      cb(new FileTransferError("file_too_large", "The received file is larger than announced; it was discarded."));
      return;
    }
    this.hasher.update(chunk);
    cb(null, chunk);
  }
}

export class Discard extends Writable {
  override _write(_c: Buffer, _e: BufferEncoding, cb: (e?: Error | null) => void): void {
    cb();
  }
}

export function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/** What the stream computed once the last chunk went through it. */
export interface StreamResult {
  bytes: number;
  digest: Uint8Array;
  /** The gunzipped `.out` file, or null when the chunks themselves are the content. */
  outPath: string | null;
}

export class InOrderStream {
  /** Next chunk index to feed. */
  next = 0;
  /** Uncompressed: bytes hashed. Compressed: see guard.bytes. */
  private bytes = 0;
  /** Settles when the gunzip pipeline ended; never rejects (see `error`). */
  private done: Promise<void> = Promise.resolve();
  private gunzip: Gunzip | null = null;
  private guard: GuardedHasher | null = null;
  private outPath: string | null = null;
  /** Bomb, corrupt data or a write error: the transfer must fail with this. */
  error: FileTransferError | null = null;
  abandoned = false;

  private constructor(
    private readonly hasher: FileHasher,
    private readonly fileSize: number,
  ) {}

  /** Starts the stream; for a compressed file also the `.out` file gunzip writes to (registered in `temps`). */
  static async open(m: FileMetadata, downloadDir: string, temps: OwnedTempFiles): Promise<InOrderStream> {
    const hasher = await createFileHasher();
    hasher.init();
    const st = new InOrderStream(hasher, m.file_size);
    if (m.compressed) {
      const { path: outPath, handle: outFh } = await temps.create(downloadDir, ".out");
      st.outPath = outPath;
      st.gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK }); // multi-member streams and trailing zero bytes are accepted, as by the reference (WIRE-NOTES §8.4)
      st.guard = new GuardedHasher(hasher, m.file_size);
      st.done = pipeline(st.gunzip, st.guard, outFh.createWriteStream()).catch((err: unknown) => {
        if (st.abandoned) return;
        st.error = isZlibError(err)
          ? new FileTransferError("malformed", "The compressed data is corrupt.", { cause: err })
          : asFileTransferError(err, "Saving the received file failed");
      });
    }
    return st;
  }

  /** Whether the stream is still fed and has seen every one of `total` chunks. */
  hasAll(total: number): boolean {
    return !this.abandoned && this.next === total;
  }

  /** Feeds chunk `index` if it is the next one; otherwise abandons the stream. Resolves when gunzip can take more. */
  feed(index: number, data: Uint8Array, temps: OwnedTempFiles): Promise<void> {
    if (this.abandoned || this.error) return Promise.resolve();
    if (index !== this.next) {
      this.abandon(temps);
      return Promise.resolve();
    }
    this.next++;
    if (!this.gunzip) {
      this.bytes += data.length;
      this.hasher.update(data);
      return Promise.resolve();
    }
    const gz = this.gunzip;
    if (gz.write(data)) return Promise.resolve();
    // Wait for gunzip to catch up (or for the pipeline to end: a bomb or corrupt data).
    const ac = new AbortController();
    return Promise.race([once(gz, "drain", { signal: ac.signal }).then(() => undefined), this.done])
      .catch(() => undefined)
      .finally(() => ac.abort());
  }

  /** Chunks came out of order: drop the stream (its .out file too); the full pass takes over. */
  abandon(temps: OwnedTempFiles): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.gunzip?.destroy();
    const out = this.outPath;
    if (out !== null) void this.done.then(() => temps.remove(out)).catch(() => undefined);
  }

  /** Ends the stream after the last chunk; returns the byte count and digest, or throws its error. */
  async end(): Promise<StreamResult> {
    if (this.gunzip) {
      this.gunzip.end();
      await this.done;
    }
    if (this.error) throw this.error;
    const bytes = this.guard ? this.guard.bytes : this.bytes;
    if (bytes > this.fileSize) throw new FileTransferError("file_too_large", "The received file is larger than announced; it was discarded.");
    return { bytes, digest: this.hasher.digest("binary"), outPath: this.outPath };
  }

  /** Stops everything and waits until the `.out` write stream is closed, so its file can go. */
  async close(): Promise<void> {
    this.abandoned = true;
    this.gunzip?.destroy();
    await this.done;
  }

  /** Waits for the pipeline to settle (after abandon()). */
  settled(): Promise<void> {
    return this.done;
  }
}
