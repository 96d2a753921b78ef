// Receiver side of a file transfer (WIRE-NOTES §8.1, §8.5 step 7, SPEC §9.3),
// hardened against the reference's quirks: nothing is written before the user
// accepts (§15.20), chunk indices and lengths must match the metadata (§15.6),
// decompression stops as soon as it exceeds the announced size (gzip bomb,
// §15.6), and the file lands under a sanitised, never-overwriting name inside
// the download directory (§15.5).
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { link, open, rename, rm, stat, statfs, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, type Gunzip } from "node:zlib";
import type { IHasher as FileHasher } from "hash-wasm";
import { bytesToHex, ctEqual, hexToBytes } from "../../protocol/bytes.js";
import {
  CHUNK_SIZE,
  FileTransferError,
  asFileTransferError,
  createFileHasher,
  validateMetadata,
  type FileLimits,
  type FileMetadata,
} from "../../protocol/file/metadata.js";
import { safeFileName } from "../../protocol/file/names.js";
import { uniqueDestination } from "./destination.js";
import { tempFileName, type TempFileSuffix } from "./temp-files.js";

export type IncomingState = "offered" | "accepted" | "finishing" | "done" | "failed" | "aborted";

export interface IncomingOptions extends FileLimits {
  /** fsync the finished file before it gets its final name (default true). */
  durable?: boolean;
  /**
   * Hash and gunzip chunks as they arrive in order (default true); false (or
   * chunks out of order) leaves all of it to finish().
   */
  streaming?: boolean;
}

export interface FinishedFile {
  /** Absolute path of the saved file, directly inside the download directory. */
  path: string;
  size: number;
  /** Lowercase hex BLAKE2b-256 of the bytes written to `path`. */
  blake2b: string;
}

/** gunzip output piece: big pieces mean few hops through the hash and the write stream (zlib's default is 16 KiB). */
const GUNZIP_CHUNK = 256 * 1024;

/** Link-based placement is not available on every file system (FAT, some network/FUSE mounts). */
const NO_LINK_CODES = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK", "ENOSYS", "EACCES"]);

/** Hashes, counts and (optionally) caps the bytes flowing through. */
class GuardedHasher extends Transform {
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

class Discard extends Writable {
  override _write(_c: Buffer, _e: BufferEncoding, cb: (e?: Error | null) => void): void {
    cb();
  }
}

/**
 * The receive-side stream (issue 5 §3): while chunks arrive in index order,
 * each one is also fed to gunzip (if compressed) and BLAKE2b as it is written,
 * so the hash is ready right after the last chunk. The first chunk out of
 * order ends it for good; finish() then makes the classic pass over the .part
 * file instead.
 */
interface InOrderStream {
  /** Next chunk index to feed. */
  next: number;
  hasher: FileHasher;
  /** Uncompressed: bytes hashed. Compressed: see guard.bytes. */
  bytes: number;
  gunzip: Gunzip | null;
  guard: GuardedHasher | null;
  /** Settles when the gunzip pipeline ended; never rejects (see `error`). */
  done: Promise<void>;
  outPath: string | null;
  /** Bomb, corrupt data or a write error: the transfer must fail with this. */
  error: FileTransferError | null;
  abandoned: boolean;
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

function tempPath(dir: string, suffix: TempFileSuffix): string {
  // A leading dot: safeFileName() strips leading dots, so a peer can never name or clash with it;
  // our pid in the name lets a later start remove it if we crash (temp-files.ts).
  return path.join(dir, tempFileName(suffix));
}

/**
 * One incoming file. Lifecycle: new (offered) → accept() → writeChunk()… →
 * finish() (done) — or abort() at any point. Chunks are written at index × 1 MiB
 * of `.pqchat-<hex>.part` in the download directory; finish() verifies and moves
 * the result into place. Temporary files never outlive a failure or abort().
 *
 * While chunks arrive in index order (the normal case), each is also hashed
 * and gunzipped as it is written (with the bomb guard: the stream fails with
 * file_too_large as soon as its output exceeds file_size), so finish() only
 * checks and places the result. Chunks out of order fall back to one pass over
 * the .part file in finish().
 */
export class IncomingTransfer {
  readonly metadata: FileMetadata;
  readonly downloadDir: string;
  /** The name the file will be saved under (before a " (n)" suffix); show this, not metadata.filename. */
  readonly safeName: string;

  private _state: IncomingState = "offered";
  private readonly durable: boolean;
  private readonly got: Uint8Array;
  private readonly inFlight = new Map<number, Promise<void>>();
  private _received = 0;
  private _bytes = 0;
  private fh: FileHandle | undefined;
  private readonly temps = new Set<string>();
  private partPath: string | undefined;
  private readonly abortCtl = new AbortController();
  private finishing: Promise<unknown> | undefined;
  private stream: InOrderStream | null = null;
  private readonly streaming: boolean;

  /** Re-validates `metadata` (throws FileTransferError) so a hand-built record gets the same checks. */
  constructor(metadata: FileMetadata, downloadDir: string, options: IncomingOptions = {}) {
    this.metadata = validateMetadata(metadata, options);
    this.downloadDir = path.resolve(downloadDir);
    this.safeName = safeFileName(this.metadata.filename);
    this.durable = options.durable ?? true;
    this.streaming = options.streaming ?? true;
    this.got = new Uint8Array(this.metadata.total_chunks);
  }

  /** True while chunks have arrived in order, so finish() needs no second pass. */
  get streamingInOrder(): boolean {
    return this.stream !== null && !this.stream.abandoned;
  }

  get state(): IncomingState {
    return this._state;
  }
  /** Number of distinct chunks written. */
  get received(): number {
    return this._received;
  }
  get bytesReceived(): number {
    return this._bytes;
  }
  /** All chunks are on disk (true right after accept() for an empty uncompressed file). */
  get isComplete(): boolean {
    return this._state === "accepted" && this._received === this.metadata.total_chunks && this.inFlight.size === 0;
  }

  /**
   * The user said yes: create the temporary file (exclusive create, mode 0600).
   * Before this, nothing touches the disk. Fails with io_error if the directory
   * is unusable or obviously lacks room for the data (best effort, via statfs).
   */
  async accept(): Promise<void> {
    if (this._state === "accepted") return;
    if (this._state !== "offered") throw new Error(`accept() on a transfer that is ${this._state}`);
    const m = this.metadata;
    try {
      const st = await stat(this.downloadDir);
      if (!st.isDirectory()) throw new FileTransferError("io_error", `Download folder is not a directory: ${this.downloadDir}`);
      // The .part file and (if compressed) the decompressed file coexist at the end.
      const needed = m.processed_size + (m.compressed ? m.file_size : 0);
      const fsInfo = await statfs(this.downloadDir).catch(() => undefined);
      if (fsInfo && fsInfo.bavail * fsInfo.bsize < needed) {
        throw new FileTransferError("io_error", `Not enough free space in ${this.downloadDir} for ${m.file_size} bytes.`);
      }
      const p = tempPath(this.downloadDir, ".part");
      this.fh = await open(p, "wx", 0o600);
      this.temps.add(p); // only once it is ours: never remove a file we did not create
      this.partPath = p;
      if (this.streaming) await this.openStream();
    } catch (err) {
      await this.closeAndRemove();
      throw asFileTransferError(err, "Cannot start saving the file");
    }
    if (this.abortCtl.signal.aborted) {
      // abort() ran while we were opening.
      await this.closeAndRemove();
      throw new FileTransferError("io_error", "The transfer was canceled.");
    }
    this._state = "accepted";
  }

  /**
   * Writes chunk `index` at offset index × 1 MiB. Returns true if written, false
   * for a duplicate of an index already received or being written: the first
   * copy wins (rewriting it could race with finish(); the session layer already
   * stops replays, so a duplicate is a peer quirk, and the final hash catches any
   * difference anyway). Throws chunk_rejected for a transfer not (or no longer)
   * accepted (§15.20), an index outside [0, total_chunks), or a length that does
   * not match the metadata; the transfer itself stays usable — call abort() to
   * give up on it. Chunks may arrive in any order and concurrently. When the
   * in-order stream finds the content itself bad (decompressed output beyond
   * file_size: file_too_large; corrupt gzip: malformed), the transfer fails at
   * once (state "failed", temp files removed) and that error is thrown.
   */
  async writeChunk(index: number, data: Uint8Array): Promise<boolean> {
    const m = this.metadata;
    if (this._state === "offered") throw new FileTransferError("chunk_rejected", "Chunk for a file that was not accepted.");
    if (this._state !== "accepted") throw new FileTransferError("chunk_rejected", `Chunk for a transfer that is ${this._state}.`);
    if (!Number.isSafeInteger(index) || index < 0 || index >= m.total_chunks) {
      throw new FileTransferError("chunk_rejected", `Chunk index ${index} is outside 0..${m.total_chunks - 1}.`);
    }
    // §8.3: every chunk but the last is exactly 1 MiB; the last holds the rest.
    const expected = index < m.total_chunks - 1 ? CHUNK_SIZE : m.processed_size - index * CHUNK_SIZE;
    if (data.length !== expected) {
      throw new FileTransferError("chunk_rejected", `Chunk ${index} has ${data.length} bytes, expected ${expected}.`);
    }
    if (this.got[index] === 1 || this.inFlight.has(index)) return false;

    const fh = this.fh;
    if (!fh) throw new FileTransferError("chunk_rejected", "The transfer has no open file.");
    // Decided synchronously, so concurrent calls feed in call order.
    const feed = this.feedInOrder(index, data);
    const write = (async () => {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, index * CHUNK_SIZE + off);
        off += bytesWritten;
      }
      await feed;
    })();
    this.inFlight.set(index, write);
    try {
      await write;
    } catch (err) {
      throw asFileTransferError(err, `Writing chunk ${index} failed`);
    } finally {
      this.inFlight.delete(index);
    }
    this.got[index] = 1;
    this._received++;
    this._bytes += data.length;
    const failed = this.stream?.error;
    if (failed && this._state === "accepted") {
      // The content itself is bad (a bomb, corrupt gzip): no later chunk can fix that.
      this._state = "failed";
      await this.closeAndRemove();
      throw failed;
    }
    return true;
  }

  // ------------------------------------------------------------------ in-order stream

  private async openStream(): Promise<void> {
    const m = this.metadata;
    const hasher = await createFileHasher();
    hasher.init();
    const st: InOrderStream = { next: 0, hasher, bytes: 0, gunzip: null, guard: null, done: Promise.resolve(), outPath: null, error: null, abandoned: false };
    if (m.compressed) {
      const outPath = tempPath(this.downloadDir, ".out");
      const outFh = await open(outPath, "wx", 0o600);
      this.temps.add(outPath);
      st.outPath = outPath;
      st.gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK }); // multi-member streams and trailing zero bytes are accepted, as by the reference (§8.4)
      st.guard = new GuardedHasher(hasher, m.file_size);
      st.done = pipeline(st.gunzip, st.guard, outFh.createWriteStream()).catch((err: unknown) => {
        if (st.abandoned) return;
        st.error = isZlibError(err)
          ? new FileTransferError("malformed", "The compressed data is corrupt.", { cause: err })
          : asFileTransferError(err, "Saving the received file failed");
      });
    }
    this.stream = st;
  }

  /** Feeds chunk `index` to the stream if it is the next one; otherwise abandons the stream. */
  private feedInOrder(index: number, data: Uint8Array): Promise<void> {
    const st = this.stream;
    if (!st || st.abandoned || st.error) return Promise.resolve();
    if (index !== st.next) {
      this.abandonStream();
      return Promise.resolve();
    }
    st.next++;
    if (!st.gunzip) {
      st.bytes += data.length;
      st.hasher.update(data);
      return Promise.resolve();
    }
    const gz = st.gunzip;
    if (gz.write(data)) return Promise.resolve();
    // Wait for gunzip to catch up (or for the pipeline to end: a bomb or corrupt data).
    const ac = new AbortController();
    return Promise.race([once(gz, "drain", { signal: ac.signal }).then(() => undefined), st.done])
      .catch(() => undefined)
      .finally(() => ac.abort());
  }

  /** Chunks came out of order: drop the stream (its .out file too); finish() does the full pass. */
  private abandonStream(): void {
    const st = this.stream;
    if (!st || st.abandoned) return;
    st.abandoned = true;
    st.gunzip?.destroy();
    const out = st.outPath;
    if (out !== null) void st.done.then(() => this.removeTemp(out)).catch(() => undefined);
  }

  /** Ends the stream after the last chunk; returns the byte count and digest, or throws its error. */
  private async endStream(st: InOrderStream): Promise<{ bytes: number; digest: Uint8Array; path: string }> {
    if (st.gunzip) {
      st.gunzip.end();
      await st.done;
    }
    if (st.error) throw st.error;
    const bytes = st.guard ? st.guard.bytes : st.bytes;
    if (bytes > this.metadata.file_size) throw new FileTransferError("file_too_large", "The received file is larger than announced; it was discarded.");
    return { bytes, digest: st.hasher.digest("binary"), path: st.outPath ?? this.partPath! };
  }

  /**
   * Reassembles: gunzips if compressed (stopping with file_too_large as soon as
   * the output exceeds file_size), hashes what is written, requires exactly
   * file_size bytes and the announced BLAKE2b-256 (else hash_mismatch), then
   * gives the file its final name via uniqueDestination (hard link from the temp
   * file, never overwriting). On any failure every temp file is removed and a
   * FileTransferError is thrown; the transfer is then "failed".
   * Calling it before isComplete is a programming error (plain Error, nothing changed).
   */
  async finish(): Promise<FinishedFile> {
    if (!this.isComplete) {
      throw new Error(`finish() on a transfer that is ${this._state} with ${this._received}/${this.metadata.total_chunks} chunks`);
    }
    this._state = "finishing";
    const run = this.doFinish();
    this.finishing = run;
    return run;
  }

  private async doFinish(): Promise<FinishedFile> {
    const m = this.metadata;
    const signal = this.abortCtl.signal;
    try {
      await this.fh?.close();
      this.fh = undefined;
      const part = this.partPath;
      if (part === undefined) throw new FileTransferError("io_error", "The temporary file is missing.");

      const st = this.stream;
      if (st && !st.abandoned && st.next === m.total_chunks) {
        // Every chunk was fed in order: the hash (and the gunzipped file) are ready.
        const r = await this.endStream(st);
        if (m.compressed) await this.removeTemp(part); // free the space early
        return await this.verifyAndPlace(r.path, r.bytes, r.digest);
      }
      this.abandonStream();
      await st?.done;

      const hasher = await createFileHasher();
      hasher.init();
      const guard = new GuardedHasher(hasher, m.file_size);
      let finalTmp: string;
      if (m.compressed) {
        finalTmp = tempPath(this.downloadDir, ".out");
        const outFh = await open(finalTmp, "wx", 0o600);
        this.temps.add(finalTmp);
        try {
          await pipeline(
            createReadStream(part, { highWaterMark: CHUNK_SIZE }),
            createGunzip({ chunkSize: GUNZIP_CHUNK }), // multi-member streams and trailing zero bytes are accepted, as by the reference (§8.4)
            guard,
            outFh.createWriteStream(), // closes outFh when done or destroyed
            { signal },
          );
        } catch (err) {
          if (isZlibError(err)) throw new FileTransferError("malformed", "The compressed data is corrupt.", { cause: err });
          throw err;
        }
        await this.removeTemp(part); // free the space early
      } else {
        finalTmp = part;
        await pipeline(createReadStream(part, { highWaterMark: CHUNK_SIZE }), guard, new Discard(), { signal });
      }

      return await this.verifyAndPlace(finalTmp, guard.bytes, hasher.digest("binary"));
    } catch (err) {
      if (this._state !== "aborted") this._state = "failed";
      await this.closeAndRemove();
      if (signal.aborted && !(err instanceof FileTransferError)) {
        throw new FileTransferError("io_error", "The transfer was canceled.", { cause: err });
      }
      throw asFileTransferError(err, "Saving the received file failed");
    }
  }

  /** Size and hash checks, fsync, then the final name (§8.1: FILE_COMPLETE only after this). */
  private async verifyAndPlace(finalTmp: string, bytes: number, digest: Uint8Array): Promise<FinishedFile> {
    const m = this.metadata;
    if (bytes !== m.file_size) {
      throw new FileTransferError("hash_mismatch", `The received file has ${bytes} bytes but ${m.file_size} were announced; it was discarded.`);
    }
    if (!ctEqual(digest, hexToBytes(m.file_hash))) {
      throw new FileTransferError("hash_mismatch", "The received file does not match its announced hash; it was discarded.");
    }
    if (this.durable) await this.sync(finalTmp);
    if (this.abortCtl.signal.aborted) throw new FileTransferError("io_error", "The transfer was canceled.");
    const dest = await this.place(finalTmp);
    this._state = "done";
    return { path: dest, size: bytes, blake2b: bytesToHex(digest) };
  }

  /**
   * Gives up: removes every temporary file. Idempotent. Waits for writes and for a
   * running finish() (which is interrupted and cleans up); once finish() has
   * placed the file, abort() leaves it alone.
   */
  async abort(): Promise<void> {
    if (this._state === "done" || this._state === "aborted") return;
    this._state = "aborted";
    this.abortCtl.abort();
    await Promise.allSettled([...this.inFlight.values(), ...(this.finishing ? [this.finishing] : [])]);
    await this.closeAndRemove();
  }

  // -------------------------------------------------------------------------

  private async sync(p: string): Promise<void> {
    const fh = await open(p, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Hard-links the verified temp file to the first free "name", "name (1).ext", …
   * (link() fails with EEXIST instead of replacing — no check-then-rename race),
   * then drops the temp name. Where hard links are unsupported: claim the name by
   * exclusive create and rename onto that empty placeholder we own.
   */
  private async place(tmp: string): Promise<string> {
    let dest: string;
    try {
      dest = await uniqueDestination(this.downloadDir, this.safeName, (c) => link(tmp, c));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined || !NO_LINK_CODES.has(code)) throw err;
      dest = await uniqueDestination(this.downloadDir, this.safeName);
      try {
        await rename(tmp, dest);
      } catch (renameErr) {
        await rm(dest, { force: true }); // our empty placeholder
        throw renameErr;
      }
      this.temps.delete(tmp);
      return dest;
    }
    await this.removeTemp(tmp);
    return dest;
  }

  private async removeTemp(p: string): Promise<void> {
    await rm(p, { force: true });
    this.temps.delete(p);
  }

  private async closeAndRemove(): Promise<void> {
    const st = this.stream;
    if (st) {
      st.abandoned = true;
      st.gunzip?.destroy();
      await st.done; // the .out write stream is closed before its file goes
    }
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    for (const p of [...this.temps]) await this.removeTemp(p).catch(() => undefined);
  }
}
