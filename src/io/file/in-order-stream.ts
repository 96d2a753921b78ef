// The receive side's streaming pass: while chunks arrive in index order, each
// one is also fed to gunzip (if compressed) and BLAKE2b as it is written, so
// the hash is ready right after the last chunk. The first chunk out of order
// ends it for good; incoming.ts then makes the full pass over the .part file
// instead (reassemble.ts). Both passes stop a gzip bomb as soon as its output
// exceeds the announced size (WIRE-NOTES §15.6).
import { Transform, Writable, type TransformCallback } from "node:stream";
import type { FileHandle } from "node:fs/promises";
import { FileTransferError, asFileTransferError, createFileHasher, type FileHasher, type FileMetadata } from "../../protocol/file/metadata.js";
import { MemberGunzip, type GunzipSink } from "./member-gunzip.js";
import { WrittenPages } from "./page-cache.js";
import type { OwnedTempFiles } from "./temp-files.js";

export { GUNZIP_CHUNK } from "./member-gunzip.js";

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

/** The bomb guard, the hash and the `.out` file behind a MemberGunzip: counts, caps, hashes and appends each piece. */
export class GuardedFileSink {
  bytes = 0;
  private readonly pages: WrittenPages;
  constructor(
    private readonly hasher: { update(d: Uint8Array): unknown },
    private readonly limit: number,
    private readonly fh: FileHandle,
  ) {
    this.pages = new WrittenPages(fh.fd);
  }

  readonly take: GunzipSink = async (piece) => {
    const at = this.bytes;
    this.bytes += piece.length;
    // Fails the stream at once: a bomb costs at most one output piece past the limit.
    if (this.bytes > this.limit) throw new FileTransferError("file_too_large", "The received file is larger than announced; it was discarded.");
    this.hasher.update(piece);
    let off = 0;
    while (off < piece.length) off += (await this.fh.write(piece, off, piece.length - off, null)).bytesWritten;
    this.pages.written(at, piece.length);
  };

  /** Closes the file once its page-cache flushes are done. */
  async close(): Promise<void> {
    await this.pages.settled();
    await this.fh.close();
  }
}

/** The transfer's error for what failed a gunzip stream. */
export function gunzipFailure(err: unknown): FileTransferError {
  return isZlibError(err) ? new FileTransferError("malformed", "The compressed data is corrupt.", { cause: err }) : asFileTransferError(err, "Saving the received file failed");
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
  /** Uncompressed: bytes hashed. Compressed: see sink.bytes. */
  private bytes = 0;
  private gunzip: MemberGunzip | null = null;
  private sink: GuardedFileSink | null = null;
  private outOpen = false;
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
      st.outOpen = true;
      st.sink = new GuardedFileSink(hasher, m.file_size, outFh);
      st.gunzip = new MemberGunzip(m.file_size, st.sink.take);
    }
    return st;
  }

  /** Whether the stream is still fed and has seen every one of `total` chunks. */
  hasAll(total: number): boolean {
    return !this.abandoned && this.next === total;
  }

  /** Feeds chunk `index` if it is the next one; otherwise abandons the stream. Resolves when its bytes went through gunzip (or wait for the rest of their member). */
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
    return this.gunzip.write(data).catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.abandoned) return;
    this.error ??= gunzipFailure(err);
  }

  /** Chunks came out of order: drop the stream (its .out file too); the full pass takes over. */
  abandon(temps: OwnedTempFiles): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.gunzip?.destroy();
    const out = this.outPath;
    if (out !== null) void this.close().then(() => temps.remove(out)).catch(() => undefined);
  }

  /** Ends the stream after the last chunk; returns the byte count and digest, or throws its error. */
  async end(): Promise<StreamResult> {
    if (this.gunzip) {
      await this.gunzip.end().catch((err: unknown) => this.fail(err));
      await this.closeOut();
    }
    if (this.error) throw this.error;
    const bytes = this.sink ? this.sink.bytes : this.bytes;
    if (bytes > this.fileSize) throw new FileTransferError("file_too_large", "The received file is larger than announced; it was discarded.");
    return { bytes, digest: this.hasher.digest("binary"), outPath: this.outPath };
  }

  /** Stops everything and waits until the `.out` file is closed, so it can go. */
  async close(): Promise<void> {
    this.abandoned = true;
    this.gunzip?.destroy();
    await this.gunzip?.settled();
    await this.closeOut().catch(() => undefined);
  }

  private async closeOut(): Promise<void> {
    if (!this.outOpen) return;
    this.outOpen = false;
    await this.sink?.close();
  }

  /** Waits for the stream to settle (after abandon()). */
  async settled(): Promise<void> {
    await this.gunzip?.settled();
  }
}
