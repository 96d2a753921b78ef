// File transfers in both directions (WIRE-NOTES §8, SPEC §9) on top of the
// file layer (src/protocol/file): offers, accept/reject, streaming chunk send
// with socket backpressure, ordered chunk writes with read backpressure, the
// hash check before FILE_COMPLETE, and clean failure on every path (no
// `.pqchat-*` temp file survives a failure, a reset or a disconnect).
import * as os from "node:os";
import * as path from "node:path";
import { CHUNK_SIZE, FileTransferError, REJECT_REASONS, fileAccept, fileComplete, fileReject, metadataInner, validateMetadata, type FileMetadata } from "../protocol/file/index.js";
import { IncomingTransfer, prepareOutgoingFile, type OutgoingFile } from "../io/file/index.js";
import type { JsonObject } from "../protocol/index.js";
import type { WorkerPool } from "../io/workers/pool.js";
import type { TransferState } from "./api.js";
import type { AcceptFilesPolicy, ClientEventMap, ClientEventName, Direction, ErrorKind, FileInfo } from "./events.js";
import { DiskReservations, InsufficientSpaceError } from "./disk-reservations.js";
import { Deadlines, EXPIRED_REASONS } from "./flood-limits.js";
import { errorText } from "../present/error-text.js";

/** At most this many incoming transfers (offered or active) at once; further offers are auto-rejected (§15.6). */
export const MAX_INCOMING = 8;
/** Pause reading from the socket while this many received chunk bytes wait for the disk. */
export const WRITE_HIGH_WATER = 8 * CHUNK_SIZE;
export const WRITE_LOW_WATER = 2 * CHUNK_SIZE;
/** file_progress at most every this many ms per transfer (plus the final one). */
export const PROGRESS_INTERVAL_MS = 100;

export interface TransferHost {
  emit<K extends ClientEventName>(name: K, payload: ClientEventMap[K]): void;
  error(kind: ErrorKind, text: string): void;
  /** Queues an inner message on the 250 ms loop; `auto` replies are capped. */
  queue(obj: JsonObject, opts?: { auto?: boolean; onSent?: (counter: number) => void }): void;
  /**
   * Takes the next counter for one FILE_CHUNK now and encrypts it (on a worker
   * for big chunks); the frame goes out strictly in counter order. Resolves
   * true once written or queued only behind earlier frames, false if the
   * session ended; rejects if encryption failed. `false` at once when there
   * is no session/connection. `data` is handed over (it may be detached).
   */
  sendChunk(transferId: string, index: number, data: Uint8Array): Promise<boolean> | false;
  /** Resolves true once a chunk may be started (write buffer low, few chunks encrypting, no rekey hold), false if the session ended. */
  waitWritable(): Promise<boolean>;
  /** The session's worker threads (gzip members while preparing), if there is a session. */
  workerPool(): WorkerPool | undefined;
  pauseReading(reason: string): void;
  resumeReading(reason: string): void;
  /** Bytes received so far into binary frames arriving in pieces (a chunk on its way: not a stall). */
  binaryBytesRead(): number;
  /**
   * How often we stopped reading ourselves (disk, decryption or a view
   * lagging), and whether we do now: meanwhile no chunk can arrive, and what
   * piled up in front of the chunks takes a while to clear — not the peer's fault.
   */
  readingPauses(): { count: number; now: boolean };
  readonly downloadDir: string;
  readonly maxFileSize: number;
  readonly gzipLevel: number;
  /** An unanswered offer expires after this long (flood-limits.ts). */
  readonly offerTimeoutMs: number;
  /** An accepted transfer without a chunk for this long has stalled (flood-limits.ts). */
  readonly stallTimeoutMs: number;
}

/** A copy for events, so views never share the record the transfer keeps. */
const info = (m: FileMetadata): FileInfo => ({ ...m });

type OutStatus = "offered" | "accepted" | "transferring" | "verifying" | "done" | "failed" | "rejected";
interface Outgoing {
  file: OutgoingFile;
  meta: FileMetadata;
  path: string;
  status: OutStatus;
  bytes: number;
  chunks: number;
  startedAt: number;
  lastProgress: number;
  /** When the last chunk went out (bounds the exemption while FILE_COMPLETE is awaited). */
  lastSentAt: number;
  cancelled: boolean;
}

type InStatus = "offered" | "accepting" | "accepted" | "verifying" | "done" | "failed" | "rejected";
interface Incoming {
  t: IncomingTransfer;
  meta: FileMetadata;
  status: InStatus;
  /** FILE_ACCEPT is on the wire: only from then on are chunks taken (§15.20). */
  acceptSent: boolean;
  seen: Uint8Array;
  queuedChunks: number;
  bytes: number;
  chunks: number;
  chain: Promise<void>;
  startedAt: number;
  lastProgress: number;
  ended: boolean;
  path: string | null;
}

const now = () => performance.now();

function rate(bytes: number, startedAt: number): number {
  const s = (now() - startedAt) / 1000;
  return s > 0 ? Math.round(bytes / s) : 0;
}

/** "10 minutes", "1.5 seconds": a timeout in words for the user. */
function minutes(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return ms === 60_000 ? "1 minute" : `${ms / 60_000} minutes`;
  const s = Math.round(ms / 100) / 10;
  return s === 1 ? "1 second" : `${s} seconds`;
}

/**
 * What the standing policy does with an offer: `true` means "from a peer I
 * verified" — anyone else (a stranger paired in the lobby, a relay in the
 * middle) is asked about; only "yes-unverified" takes files from anyone.
 */
export function autoAnswer(policy: AcceptFilesPolicy, peerVerified: boolean): "accept" | "reject" | null {
  if (policy === false) return "reject";
  if (policy === "yes-unverified" || (policy === true && peerVerified)) return "accept";
  return null;
}

function errorKind(err: unknown): ErrorKind {
  if (err instanceof FileTransferError) return err.kind;
  return "io_error";
}

export class Transfers {
  private readonly out = new Map<string, Outgoing>();
  private readonly inc = new Map<string, Incoming>();
  private streamChain: Promise<void> = Promise.resolve();
  private pendingWriteBytes = 0;
  /** Offer and stall timers, keyed "in:<id>" / "out:<id>". */
  private readonly deadlines = new Deadlines();
  /** Free space promised to accepted incoming transfers (disk-reservations.ts). */
  private readonly disk: DiskReservations;

  constructor(private readonly host: TransferHost) {
    this.disk = new DiskReservations(host.downloadDir);
  }

  // ------------------------------------------------------------------ state

  /**
   * A transfer in progress (SPEC §11.1), which lifts the rate and size limits
   * (flood-limits.ts): ours from FILE_ACCEPT until FILE_COMPLETE — but, once
   * every chunk is out, for at most one stall period, since the peer alone
   * decides when (or whether) FILE_COMPLETE comes; the peer's from our
   * FILE_ACCEPT on the wire until it is saved (its hash check is our own
   * work). Offers lift nothing; a stalled transfer ends (stall timer), so this
   * cannot stay true for good.
   */
  get inProgress(): boolean {
    const t = now();
    for (const o of this.out.values()) {
      if (o.status === "accepted" || o.status === "transferring") return true;
      if (o.status === "verifying" && t - o.lastSentAt < this.host.stallTimeoutMs) return true;
    }
    for (const i of this.inc.values()) if (!i.ended && i.acceptSent && (i.status === "accepted" || i.status === "verifying")) return true;
    return false;
  }

  /**
   * Dummies pause (§12.5) on the sending side from FILE_ACCEPT until FILE_COMPLETE
   * or failure, on the receiving side from accept until done or failure — and
   * resume afterwards on both sides (unlike the reference receiver, §15.22).
   */
  get active(): boolean {
    for (const o of this.out.values()) if (o.status === "accepted" || o.status === "transferring" || o.status === "verifying") return true;
    for (const i of this.inc.values()) if (!i.ended && i.status !== "offered") return true;
    return false;
  }

  list(): TransferState[] {
    const res: TransferState[] = [];
    for (const o of this.out.values()) {
      res.push({ ...info(o.meta), direction: "out", status: o.status, bytes: o.bytes, total: o.meta.processed_size, rate: o.startedAt ? rate(o.bytes, o.startedAt) : 0, path: o.path });
    }
    for (const i of this.inc.values()) {
      const status: TransferState["status"] = i.status === "accepting" ? "accepted" : i.status === "accepted" ? (i.chunks > 0 ? "transferring" : "accepted") : i.status;
      res.push({ ...info(i.meta), direction: "in", status, bytes: i.bytes, total: i.meta.processed_size, rate: i.startedAt ? rate(i.bytes, i.startedAt) : 0, path: i.path });
    }
    return res;
  }

  // ------------------------------------------------------------------ sending

  /** Prepares (one read: hash + gzip into a temp file) and queues the offer. */
  async offer(filePath: string, compress: boolean, stillValid: () => boolean = () => true): Promise<FileInfo> {
    const abs = path.resolve(filePath);
    let file: OutgoingFile;
    try {
      file = await prepareOutgoingFile(abs, { compress, gzipLevel: this.host.gzipLevel, tmpDir: os.tmpdir(), pool: this.host.workerPool() });
    } catch (err) {
      // The session's threads end with it: say why rather than "the worker pool was terminated".
      if (!stillValid()) throw new FileTransferError("io_error", "The session ended while the file was being prepared; offer it again.");
      throw err;
    }
    const meta = file.metadata;
    if (!stillValid()) {
      // The session ended (or a new peer arrived) while the file was read: never offer it to someone else.
      await file.cleanup();
      throw new FileTransferError("io_error", "The session ended while the file was being prepared; offer it again.");
    }
    const existing = this.out.get(meta.transfer_id);
    if (existing && existing.status !== "done" && existing.status !== "failed" && existing.status !== "rejected") {
      await file.cleanup();
      throw new FileTransferError("io_error", "This file is already being offered or sent.");
    }
    const o: Outgoing = { file, meta, path: abs, status: "offered", bytes: 0, chunks: 0, startedAt: 0, lastProgress: 0, lastSentAt: 0, cancelled: false };
    this.out.set(meta.transfer_id, o);
    this.deadlines.arm(`out:${meta.transfer_id}`, this.host.offerTimeoutMs, () => this.expireOut(o, "offer"));
    this.host.queue(metadataInner(meta));
    this.host.emit("file_offered", { ...info(meta), direction: "out", path: abs });
    return info(meta);
  }

  onAccept(id: string): void {
    const o = this.out.get(id);
    if (!o || o.status !== "offered") {
      this.host.error("protocol_violation", "Ignored a file acceptance for no pending offer.");
      return;
    }
    o.status = "accepted";
    this.armOutStall(o);
    this.host.emit("file_accepted", { transfer_id: id, direction: "out" });
    // One stream at a time: the chunks of one transfer go out back to back.
    this.streamChain = this.streamChain.then(() => this.stream(o));
  }

  /**
   * Streams the chunks: each is read while the ones before it are encrypted on
   * the worker threads; waitWritable bounds what is in flight and buffered.
   * "file_sent" once every frame is written or in line behind earlier ones.
   */
  private async stream(o: Outgoing): Promise<void> {
    if (o.cancelled) return;
    const id = o.meta.transfer_id;
    o.status = "transferring";
    o.startedAt = now();
    const inflight = new Set<Promise<void>>();
    let failure: unknown = null;
    let ended = false;
    try {
      for await (const { index, data } of o.file.chunks()) {
        if (o.cancelled || failure !== null) break;
        if (!(await this.host.waitWritable()) || o.cancelled) {
          ended = true;
          break;
        }
        const len = data.length; // data is handed over (detached) by sendChunk
        const sent = this.host.sendChunk(id, index, data);
        if (sent === false) {
          ended = true; // session gone: failAll reports it
          break;
        }
        const p: Promise<void> = sent.then(
          (ok) => {
            if (!ok) {
              ended = true;
              return;
            }
            o.bytes += len;
            o.chunks++;
            if (!o.cancelled) this.armOutStall(o);
            // The final figure is reported once, after the loop.
            if (o.bytes < o.meta.processed_size) this.progressOut(o, false);
          },
          (err: unknown) => {
            failure ??= err;
          },
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await Promise.all(inflight);
      if (failure !== null) throw failure;
      if (o.cancelled || ended) return;
      this.progressOut(o, true);
      // Every chunk is out: the receiver hashes (minutes for a big file) and confirms; nothing to time out.
      this.deadlines.clear(`out:${id}`);
      o.lastSentAt = now();
      o.status = "verifying";
      this.host.emit("file_sent", { transfer_id: id, direction: "out" });
      await o.file.cleanup();
    } catch (err) {
      await Promise.allSettled(inflight);
      if (o.cancelled) return;
      this.failOut(o, errorText(err, "Unknown error."), true);
    }
  }

  private progressOut(o: Outgoing, final: boolean): void {
    const t = now();
    if (!final && t - o.lastProgress < PROGRESS_INTERVAL_MS) return;
    o.lastProgress = t;
    this.emitProgress(o.meta, "out", o.bytes, o.chunks, o.startedAt);
  }

  private emitProgress(m: FileMetadata, direction: Direction, bytes: number, chunks: number, startedAt: number): void {
    const r = rate(bytes, startedAt);
    const left = m.processed_size - bytes;
    this.host.emit("file_progress", {
      transfer_id: m.transfer_id,
      direction,
      bytes,
      total: m.processed_size,
      chunks,
      total_chunks: m.total_chunks,
      rate: r,
      eta: left <= 0 ? 0 : r > 0 ? Math.round((left / r) * 10) / 10 : null,
    });
  }

  private failOut(o: Outgoing, error: string, tellPeer: boolean, expired?: "offer" | "stalled"): void {
    if (o.status === "done" || o.status === "failed" || o.status === "rejected") return;
    o.cancelled = true;
    o.status = "failed";
    const id = o.meta.transfer_id;
    this.out.delete(id);
    this.deadlines.clear(`out:${id}`);
    void o.file.cleanup().catch(() => undefined);
    if (tellPeer) this.host.queue(fileReject(id, expired ? EXPIRED_REASONS[expired] : REJECT_REASONS.canceled), { auto: true });
    if (expired) this.host.emit("file_expired", { transfer_id: id, direction: "out", reason: expired, text: error });
    else this.host.emit("file_send_failed", { transfer_id: id, direction: "out", error });
  }

  /** Chunks go out while the peer reads; a peer that stops reading stalls the stream. */
  private armOutStall(o: Outgoing): void {
    this.deadlines.arm(`out:${o.meta.transfer_id}`, this.host.stallTimeoutMs, () => this.expireOut(o, "stalled"));
  }

  private expireOut(o: Outgoing, why: "offer" | "stalled"): void {
    const mins = minutes(why === "offer" ? this.host.offerTimeoutMs : this.host.stallTimeoutMs);
    const text =
      why === "offer"
        ? `Your offer of a file was not answered within ${mins}; it was withdrawn.`
        : `Sending a file stalled (the peer took nothing for ${mins}); it was canceled.`;
    this.failOut(o, text, true, why);
  }

  onComplete(id: string): void {
    const o = this.out.get(id);
    if (!o || (o.status !== "verifying" && o.status !== "transferring")) {
      this.host.error("protocol_violation", "Ignored a file completion for no transfer in progress.");
      return;
    }
    if (o.status === "transferring") {
      this.host.error("protocol_violation", "Ignored a file completion that arrived before all chunks were sent.");
      return;
    }
    o.status = "done";
    this.out.delete(id);
    this.deadlines.clear(`out:${id}`);
    void o.file.cleanup().catch(() => undefined);
    this.host.emit("file_complete", { transfer_id: id, direction: "out" });
  }

  /** FILE_REJECT: for our offer (declined, or the receiver failed), else the sender canceled an incoming one. */
  onReject(id: string, reason: string): void {
    const o = this.out.get(id);
    if (o) {
      o.cancelled = true;
      o.status = "rejected";
      this.out.delete(id);
      this.deadlines.clear(`out:${id}`);
      void o.file.cleanup().catch(() => undefined);
      this.host.emit("file_rejected", { transfer_id: id, direction: "out", reason });
      return;
    }
    const i = this.inc.get(id);
    if (i) {
      const text = i.status === "offered" ? "The sender withdrew the offer." : "The sender canceled the transfer.";
      void this.failIn(i, new FileTransferError("io_error", text), false, "connection_error");
      return;
    }
    this.host.error("protocol_violation", "Ignored a file rejection for an unknown transfer.");
  }

  // ------------------------------------------------------------------ receiving

  onMetadata(obj: JsonObject, policy: AcceptFilesPolicy, peerVerified: boolean): void {
    let meta: FileMetadata;
    try {
      meta = validateMetadata(obj, { maxFileSize: this.host.maxFileSize });
    } catch (err) {
      this.host.error(errorKind(err), errorText(err, "Unknown error."));
      const tid = obj["transfer_id"];
      if (typeof tid === "string" && tid.length <= 64) this.host.queue(fileReject(tid, REJECT_REASONS.declined), { auto: true });
      return;
    }
    const id = meta.transfer_id;
    if (this.inc.has(id)) {
      this.host.error("protocol_violation", "Ignored a repeated offer for a transfer already in progress.");
      return;
    }
    if (this.inc.size >= MAX_INCOMING) {
      this.host.error("rate_limited", `Too many file offers at once (at most ${MAX_INCOMING}); one was rejected.`);
      this.host.queue(fileReject(id, "Too many pending file offers"), { auto: true });
      return;
    }
    let t: IncomingTransfer;
    try {
      t = new IncomingTransfer(meta, this.host.downloadDir, { maxFileSize: this.host.maxFileSize });
    } catch (err) {
      this.host.error(errorKind(err), errorText(err, "Unknown error."));
      this.host.queue(fileReject(id, REJECT_REASONS.declined), { auto: true });
      return;
    }
    const rec: Incoming = {
      t,
      meta,
      status: "offered",
      acceptSent: false,
      seen: new Uint8Array(meta.total_chunks),
      queuedChunks: 0,
      bytes: 0,
      chunks: 0,
      chain: Promise.resolve(),
      startedAt: 0,
      lastProgress: 0,
      ended: false,
      path: null,
    };
    this.inc.set(id, rec);
    this.deadlines.arm(`in:${id}`, this.host.offerTimeoutMs, () => this.expireIn(rec, "offer"));
    const auto = autoAnswer(policy, peerVerified);
    this.host.emit("file_offer", { ...info(meta), direction: "in", auto, peer_key_verified: peerVerified });
    if (auto === "accept") void this.accept(id);
    else if (auto === "reject") this.reject(id, REJECT_REASONS.disabled);
  }

  hasOffer(id: string): boolean {
    const i = this.inc.get(id);
    return !!i && i.status === "offered";
  }

  /** The local user accepted: create the temp file, then queue FILE_ACCEPT. */
  async accept(id: string): Promise<void> {
    const i = this.inc.get(id);
    if (!i || i.status !== "offered") return;
    i.status = "accepting";
    this.deadlines.clear(`in:${id}`);
    const m = i.meta;
    try {
      // The .part file and (if compressed) the decompressed file coexist at the end.
      await this.disk.reserve(id, m.processed_size + (m.compressed ? m.file_size : 0), () => i.bytes);
      if (i.ended) return this.disk.release(id);
      await i.t.accept();
    } catch (err) {
      await this.failIn(i, err, true, err instanceof InsufficientSpaceError ? "insufficient_space" : undefined);
      return;
    }
    if (i.ended) return;
    this.host.queue(fileAccept(id), {
      onSent: () => {
        if (i.ended) return;
        i.acceptSent = true;
        i.status = "accepted";
        i.startedAt = now();
        this.armInStall(i);
        this.host.emit("file_accepted", { transfer_id: id, direction: "in" });
        // An empty uncompressed file (0 chunks) is complete right away (§15.7).
        if (i.t.isComplete) i.chain = i.chain.then(() => this.finishIn(i));
      },
    });
  }

  /** The local user declined (or canceled an accepted transfer). */
  reject(id: string, reason: string): boolean {
    const i = this.inc.get(id);
    if (!i || i.ended) return false;
    i.ended = true;
    i.status = "rejected";
    this.inc.delete(id);
    this.deadlines.clear(`in:${id}`);
    this.disk.release(id);
    this.host.queue(fileReject(id, reason), { auto: true });
    void i.t.abort().then(
      () => this.host.emit("file_rejected", { transfer_id: id, direction: "in", reason }),
      () => this.host.emit("file_rejected", { transfer_id: id, direction: "in", reason }),
    );
    return true;
  }

  /** A decrypted FILE_CHUNK (§8.5 step 7). Writes are chained per transfer so they stay ordered. */
  onChunk(id: string, index: number, data: Uint8Array): void {
    const i = this.inc.get(id);
    if (!i || i.ended) {
      this.host.error("chunk_rejected", "Dropped a file chunk for no active transfer.");
      return;
    }
    if (!i.acceptSent) {
      // §15.20: never write anything the user has not accepted.
      this.host.error("chunk_rejected", "Dropped a file chunk for a transfer that was not accepted.");
      return;
    }
    if (i.status !== "accepted") {
      this.host.error("chunk_rejected", "Dropped a file chunk for a transfer that is already complete.");
      return;
    }
    const m = i.meta;
    if (!Number.isSafeInteger(index) || index < 0 || index >= m.total_chunks) {
      void this.failIn(i, new FileTransferError("chunk_rejected", "A file chunk had an index outside the announced range."), true);
      return;
    }
    const expected = index < m.total_chunks - 1 ? CHUNK_SIZE : m.processed_size - index * CHUNK_SIZE;
    if (data.length !== expected) {
      void this.failIn(i, new FileTransferError("chunk_rejected", "A file chunk had the wrong length."), true);
      return;
    }
    if (i.seen[index] === 1) {
      this.host.error("chunk_rejected", "Ignored a duplicate file chunk.");
      return;
    }
    i.seen[index] = 1;
    i.queuedChunks++;
    if (i.queuedChunks < m.total_chunks) this.armInStall(i);
    else this.deadlines.clear(`in:${id}`); // every chunk is here: the rest is local work
    this.addPending(data.length);
    const last = i.queuedChunks === m.total_chunks;
    i.chain = i.chain
      .then(async () => {
        if (i.ended) return;
        await i.t.writeChunk(index, data);
        i.bytes += data.length;
        i.chunks++;
        // A slow disk pauses our reading, so chunks stop arriving: a finished write is progress too.
        if (!last && !i.ended) this.armInStall(i);
        this.progressIn(i, last);
        if (last && i.t.isComplete) await this.finishIn(i);
      })
      .catch((err: unknown) => this.failIn(i, err, true))
      .finally(() => this.addPending(-data.length));
  }

  private addPending(n: number): void {
    this.pendingWriteBytes += n;
    if (this.pendingWriteBytes >= WRITE_HIGH_WATER) this.host.pauseReading("disk");
    else if (this.pendingWriteBytes <= WRITE_LOW_WATER) this.host.resumeReading("disk");
  }

  private progressIn(i: Incoming, final: boolean): void {
    const t = now();
    if (!final && t - i.lastProgress < PROGRESS_INTERVAL_MS) return;
    i.lastProgress = t;
    this.emitProgress(i.meta, "in", i.bytes, i.chunks, i.startedAt);
  }

  /** Hash check and atomic move; FILE_COMPLETE only after the hash matched (§8.1). */
  private async finishIn(i: Incoming): Promise<void> {
    if (i.ended) return;
    i.status = "verifying";
    let res;
    try {
      res = await i.t.finish();
    } catch (err) {
      await this.failIn(i, err, true);
      return;
    }
    if (i.ended) return;
    i.ended = true;
    i.status = "done";
    i.path = res.path;
    this.inc.delete(i.meta.transfer_id);
    this.disk.release(i.meta.transfer_id);
    this.host.queue(fileComplete(i.meta.transfer_id));
    this.host.emit("file_received", {
      transfer_id: i.meta.transfer_id,
      direction: "in",
      path: res.path,
      size: res.size,
      blake2b: res.blake2b,
      hash_ok: res.blake2b === i.meta.file_hash,
    });
  }

  /** Ends an incoming transfer: temp files removed first, then file_receive_failed (file_expired when we gave up waiting). */
  private async failIn(i: Incoming, err: unknown, tellPeer: boolean, kind?: ErrorKind, expired?: "offer" | "stalled"): Promise<void> {
    if (i.ended) return;
    i.ended = true;
    i.status = "failed";
    const id = i.meta.transfer_id;
    this.inc.delete(id);
    this.deadlines.clear(`in:${id}`);
    this.disk.release(id);
    // Tell a pqchat sender to stop streaming (the reference sends nothing on failure, §8.1; a reject is harmless).
    if (tellPeer) this.host.queue(fileReject(id, expired ? EXPIRED_REASONS[expired] : REJECT_REASONS.canceled), { auto: true });
    await i.t.abort().catch(() => undefined);
    if (expired) this.host.emit("file_expired", { transfer_id: id, direction: "in", reason: expired, text: errorText(err, "Unknown error.") });
    else this.host.emit("file_receive_failed", { transfer_id: id, direction: "in", error: errorText(err, "Unknown error."), kind: kind ?? errorKind(err) });
  }

  /** Chunks must keep coming; one still arriving piece by piece (a slow link) is not a stall. */
  private armInStall(i: Incoming): void {
    let seen = this.host.binaryBytesRead();
    let pauses = this.host.readingPauses().count;
    const arriving = (): boolean => {
      const n = this.host.binaryBytesRead();
      const p = this.host.readingPauses();
      const waitedOnUs = p.now || p.count !== pauses;
      const moved = n !== seen;
      seen = n;
      pauses = p.count;
      return (moved || waitedOnUs) && !i.ended;
    };
    this.deadlines.arm(`in:${i.meta.transfer_id}`, this.host.stallTimeoutMs, () => this.expireIn(i, "stalled"), arriving);
  }

  private expireIn(i: Incoming, why: "offer" | "stalled"): void {
    const mins = minutes(why === "offer" ? this.host.offerTimeoutMs : this.host.stallTimeoutMs);
    const text =
      why === "offer"
        ? `The peer's file offer was not answered within ${mins}; it was declined.`
        : `Receiving a file stalled (no data for ${mins}); it was canceled and the partial file removed.`;
    void this.failIn(i, new FileTransferError("io_error", text), true, "connection_error", why);
  }

  // ------------------------------------------------------------------ teardown

  /** Reset, disconnect or emergency close: every transfer fails and its temp files go. */
  async failAll(reason: string): Promise<void> {
    this.deadlines.clearAll();
    this.disk.releaseAll();
    const jobs: Promise<void>[] = [];
    for (const o of [...this.out.values()]) this.failOut(o, reason, false);
    for (const i of [...this.inc.values()]) jobs.push(this.failIn(i, new FileTransferError("io_error", reason), false, "connection_error"));
    await Promise.allSettled(jobs);
  }
}
