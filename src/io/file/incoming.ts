// Receiver side of a file transfer (WIRE-NOTES §8.1, §8.5 step 7, SPEC §9.3),
// hardened against the reference's quirks: nothing is written before the user
// accepts (WIRE-NOTES §15.20), chunk indices and lengths must match the
// metadata (WIRE-NOTES §15.6; the ledger in protocol/file/chunks.ts),
// decompression stops as soon as it exceeds the announced size (gzip bomb,
// WIRE-NOTES §15.6; in-order-stream.ts, reassemble.ts), and the file lands
// under a sanitised, never-overwriting name inside the download directory
// (WIRE-NOTES §15.5; destination.ts). This module is the transfer's life cycle.
import { open, stat, statfs, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { bytesToHex, ctEqual, hexToBytes } from "../../protocol/bytes.js";
import { ChunkLedger } from "../../protocol/file/chunks.js";
import { CHUNK_SIZE, FileTransferError, asFileTransferError, validateMetadata, type FileLimits, type FileMetadata } from "../../protocol/file/metadata.js";
import { safeFileName } from "../../protocol/file/names.js";
import { placeFile } from "./destination.js";
import { InOrderStream } from "./in-order-stream.js";
import { reassembleFromPart } from "./reassemble.js";
import { OwnedTempFiles } from "./temp-files.js";
import { WrittenPages } from "./page-cache.js";

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
  private readonly ledger: ChunkLedger;
  private readonly inFlight = new Map<number, Promise<void>>();
  private fh: FileHandle | undefined;
  /** The .part file's pages leave the page cache once written (page-cache.ts). */
  private pages: WrittenPages | undefined;
  private readonly temps = new OwnedTempFiles();
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
    this.ledger = new ChunkLedger(this.metadata);
  }

  /** True while chunks have arrived in order, so finish() needs no second pass. */
  get streamingInOrder(): boolean {
    return this.stream !== null && !this.stream.abandoned;
  }

  get state(): IncomingState {
    return this._state;
  }
  /** Whether chunk `index` is written (a resume asks only for the others, docs/PROTOCOL-EXTENSIONS.md §5). */
  hasChunk(index: number): boolean {
    return this.ledger.has(index);
  }
  /** Number of distinct chunks written. */
  get received(): number {
    return this.ledger.received;
  }
  get bytesReceived(): number {
    return this.ledger.bytes;
  }
  /** All chunks are on disk (true right after accept() for an empty uncompressed file). */
  get isComplete(): boolean {
    return this._state === "accepted" && this.ledger.complete && this.inFlight.size === 0;
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
      const part = await this.temps.create(this.downloadDir, ".part");
      this.fh = part.handle;
      this.pages = new WrittenPages(part.handle.fd);
      this.partPath = part.path;
      if (this.streaming) this.stream = await InOrderStream.open(m, this.downloadDir, this.temps);
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
   * accepted (WIRE-NOTES §15.20), an index outside [0, total_chunks), or a
   * length that does not match the metadata (WIRE-NOTES §8.3); the transfer
   * itself stays usable — call abort() to give up on it. Chunks may arrive in
   * any order and concurrently. When the in-order stream finds the content
   * itself bad (decompressed output beyond file_size: file_too_large; corrupt
   * gzip: malformed), the transfer fails at once (state "failed", temp files
   * removed) and that error is thrown.
   */
  async writeChunk(index: number, data: Uint8Array): Promise<boolean> {
    if (this._state === "offered") throw new FileTransferError("chunk_rejected", "Chunk for a file that was not accepted.");
    if (this._state !== "accepted") throw new FileTransferError("chunk_rejected", `Chunk for a transfer that is ${this._state}.`);
    this.ledger.check(index, data.length);
    if (this.ledger.has(index) || this.inFlight.has(index)) return false;

    const fh = this.fh;
    if (!fh) throw new FileTransferError("chunk_rejected", "The transfer has no open file.");
    // Decided synchronously, so concurrent calls feed in call order.
    const feed = this.stream ? this.stream.feed(index, data, this.temps) : Promise.resolve();
    const write = (async () => {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, index * CHUNK_SIZE + off);
        off += bytesWritten;
      }
      this.pages?.written(index * CHUNK_SIZE, data.length);
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
    this.ledger.record(index, data.length);
    const failed = this.stream?.error;
    if (failed && this._state === "accepted") {
      // The content itself is bad (a bomb, corrupt gzip): no later chunk can fix that.
      this._state = "failed";
      await this.closeAndRemove();
      throw failed;
    }
    return true;
  }

  /**
   * Reassembles: gunzips if compressed (stopping with file_too_large as soon as
   * the output exceeds file_size), hashes what is written, requires exactly
   * file_size bytes and the announced BLAKE2b-256 (else hash_mismatch), then
   * gives the file its final name via placeFile (hard link from the temp
   * file, never overwriting). On any failure every temp file is removed and a
   * FileTransferError is thrown; the transfer is then "failed".
   * Calling it before isComplete is a programming error (plain Error, nothing changed).
   */
  async finish(): Promise<FinishedFile> {
    if (!this.isComplete) {
      throw new Error(`finish() on a transfer that is ${this._state} with ${this.ledger.received}/${this.metadata.total_chunks} chunks`);
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
      await this.pages?.settled();
      await this.fh?.close();
      this.fh = undefined;
      const part = this.partPath;
      if (part === undefined) throw new FileTransferError("io_error", "The temporary file is missing.");

      const st = this.stream;
      if (st && st.hasAll(m.total_chunks)) {
        // Every chunk was fed in order: the hash (and the gunzipped file) are ready.
        const r = await st.end();
        if (m.compressed) await this.temps.remove(part); // free the space early
        return await this.verifyAndPlace(r.outPath ?? part, r.bytes, r.digest);
      }
      if (st) {
        st.abandon(this.temps);
        await st.settled();
      }
      const r = await reassembleFromPart(part, m, this.downloadDir, this.temps, signal);
      return await this.verifyAndPlace(r.outPath ?? part, r.bytes, r.digest);
    } catch (err) {
      if (this._state !== "aborted") this._state = "failed";
      await this.closeAndRemove();
      if (signal.aborted && !(err instanceof FileTransferError)) {
        throw new FileTransferError("io_error", "The transfer was canceled.", { cause: err });
      }
      throw asFileTransferError(err, "Saving the received file failed");
    }
  }

  /** Size and hash checks, fsync, then the final name (WIRE-NOTES §8.1: FILE_COMPLETE only after this). */
  private async verifyAndPlace(finalTmp: string, bytes: number, digest: Uint8Array): Promise<FinishedFile> {
    const m = this.metadata;
    if (bytes !== m.file_size) {
      throw new FileTransferError("hash_mismatch", `The received file has ${bytes} bytes but ${m.file_size} were announced; it was discarded.`);
    }
    if (!ctEqual(digest, hexToBytes(m.file_hash))) {
      throw new FileTransferError("hash_mismatch", "The received file does not match its announced hash; it was discarded.");
    }
    if (this.durable) await syncFile(finalTmp);
    if (this.abortCtl.signal.aborted) throw new FileTransferError("io_error", "The transfer was canceled.");
    const { dest, tempRemains } = await placeFile(finalTmp, this.downloadDir, this.safeName);
    if (tempRemains) await this.temps.remove(finalTmp);
    else this.temps.forget(finalTmp);
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

  private async closeAndRemove(): Promise<void> {
    await this.stream?.close(); // the .out write stream is closed before its file goes
    const fh = this.fh;
    this.fh = undefined;
    await this.pages?.settled();
    await fh?.close().catch(() => undefined);
    await this.temps.removeAll();
  }
}

async function syncFile(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
