// Files we receive (WIRE-NOTES §8.1, §8.5, SPEC §9): the peer's offer is
// validated and answered by the standing policy or the user; accepting
// reserves disk space and creates the temp file before FILE_ACCEPT goes out;
// chunks are taken only once FILE_ACCEPT is on the wire (WIRE-NOTES §15.20),
// written in order with read back-pressure while the disk lags, and the hash
// is checked before FILE_COMPLETE. Every failure removes the partial file.
import {
  CHUNK_SIZE,
  FileTransferError,
  REJECT_REASONS,
  fileAccept,
  fileComplete,
  fileReject,
  neededRanges,
  resumeAccept,
  sameTransfer,
  validateMetadata,
  type FileMetadata,
} from "../protocol/file/index.js";
import { IncomingTransfer } from "../io/file/index.js";
import type { JsonObject } from "../protocol/index.js";
import type { TransferState } from "./api.js";
import type { AcceptFilesPolicy, ErrorKind } from "./events.js";
import { DiskReservations, InsufficientSpaceError } from "./disk-reservations.js";
import { Deadlines, EXPIRED_REASONS } from "./flood-limits.js";
import { autoAnswer, incomingState, newIncoming, type Incoming } from "./incoming-record.js";
import { KeptTransfers } from "./kept-transfers.js";
import { PROGRESS_INTERVAL_MS, emitProgress, errorKind, failureText, info, minutes, now, type ExpiredReason, type ResumeContext, type TransferHost } from "./transfer-common.js";

/** At most this many incoming transfers (offered or active) at once; further offers are auto-rejected (WIRE-NOTES §15.6). */
export const MAX_INCOMING = 8;
/** Pause reading from the socket while this many received chunk bytes wait for the disk. */
export const WRITE_HIGH_WATER = 8 * CHUNK_SIZE;
export const WRITE_LOW_WATER = 2 * CHUNK_SIZE;

export class IncomingTransfers {
  private readonly inc = new Map<string, Incoming>();
  private pendingWriteBytes = 0;
  /** Offer and stall timers, by transfer id. */
  private readonly deadlines = new Deadlines();
  /** Free space promised to accepted incoming transfers (disk-reservations.ts). */
  private readonly disk: DiskReservations;
  /** Partial files of interrupted transfers, waiting for the sender's re-offer (docs/PROTOCOL-EXTENSIONS.md §5). */
  private readonly kept: KeptTransfers<Incoming>;

  constructor(private readonly host: TransferHost) {
    this.disk = new DiskReservations(host.downloadDir);
    this.kept = new KeptTransfers(host.resumeKeepMs, (i) => this.dropKept(i));
  }

  /** The peer's transfer, from our FILE_ACCEPT on the wire until it is saved (Transfers.inProgress). */
  get inProgress(): boolean {
    for (const i of this.inc.values()) if (!i.ended && i.acceptSent && (i.status === "accepted" || i.status === "verifying")) return true;
    return false;
  }

  /** From accept until done or failure (dummies pause meanwhile). */
  get active(): boolean {
    for (const i of this.inc.values()) if (!i.ended && i.status !== "offered") return true;
    return false;
  }

  list(): TransferState[] {
    return [...this.inc.values()].map(incomingState);
  }

  /** FILE_METADATA: a new offer, validated, then answered by `policy` or left to the user. */
  onMetadata(obj: JsonObject, policy: AcceptFilesPolicy, peerVerified: boolean, resume: ResumeContext = { carried: false, peerIsPqchat: false }): void {
    let meta: FileMetadata;
    try {
      meta = validateMetadata(obj, { maxFileSize: this.host.maxFileSize });
    } catch (err) {
      this.host.error(errorKind(err), failureText(err));
      const tid = obj["transfer_id"];
      if (typeof tid === "string" && tid.length <= 64) this.host.queue(fileReject(tid, REJECT_REASONS.declined), { auto: true });
      return;
    }
    const id = meta.transfer_id;
    const kept = this.kept.peek(id);
    if (kept && !this.inc.has(id)) {
      // The same transfer_id (WIRE-NOTES §14 erratum 11) and every other field the same: the kept part serves it.
      if (sameTransfer(kept.meta, meta)) return this.revive(this.kept.take(id)!, resume, peerVerified);
      void this.dropKept(this.kept.take(id)!);
    }
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
      this.host.error(errorKind(err), failureText(err));
      this.host.queue(fileReject(id, REJECT_REASONS.declined), { auto: true });
      return;
    }
    const rec = newIncoming(t, meta);
    this.inc.set(id, rec);
    this.deadlines.arm(id, this.host.offerTimeoutMs, () => this.expire(rec, "offer"));
    const auto = autoAnswer(policy, peerVerified);
    this.host.emit("file_offer", { ...info(meta), direction: "in", auto, peer_key_verified: peerVerified });
    if (auto === "accept") void this.accept(id);
    else if (auto === "reject") this.reject(id, REJECT_REASONS.disabled);
  }

  hasOffer(id: string): boolean {
    const i = this.inc.get(id);
    return !!i && i.status === "offered";
  }

  /**
   * A re-offer of a transfer we kept (docs/PROTOCOL-EXTENSIONS.md §5): offered
   * again, with what we hold. Only a carried session (the peer proved it is
   * the one verified before) resumes without asking; otherwise the user
   * decides, whatever the standing policy.
   */
  private revive(i: Incoming, resume: ResumeContext, peerVerified: boolean): void {
    const id = i.meta.transfer_id;
    i.status = "offered";
    i.resumedFrom = i.t.bytesReceived;
    i.peerIsPqchat = resume.peerIsPqchat;
    this.inc.set(id, i);
    this.deadlines.arm(id, this.host.offerTimeoutMs, () => this.expire(i, "offer"));
    const auto = resume.carried ? "accept" : null;
    this.host.emit("file_offer", { ...info(i.meta), direction: "in", auto, peer_key_verified: peerVerified, resume_from: i.resumedFrom });
    if (auto === "accept") void this.accept(id);
  }

  /** The local user accepted: reserve the space, create the temp file, then queue FILE_ACCEPT. */
  async accept(id: string): Promise<void> {
    const i = this.inc.get(id);
    if (!i || i.status !== "offered") return;
    i.status = "accepting";
    this.deadlines.clear(id);
    if (i.resumedFrom !== null) return this.acceptResume(i);
    const m = i.meta;
    try {
      // The .part file and (if compressed) the decompressed file coexist at the end.
      await this.disk.reserve(id, m.processed_size + (m.compressed ? m.file_size : 0), () => i.bytes);
      if (i.ended) return this.disk.release(id);
      await i.t.accept();
    } catch (err) {
      await this.fail(i, err, true, err instanceof InsufficientSpaceError ? "insufficient_space" : undefined);
      return;
    }
    if (i.ended) return;
    // The peer is in its bypass while its offer is pending (WIRE-NOTES §12.2): no need to wait for the tick (pacing.ts).
    this.host.queue(fileAccept(id), { onSent: () => this.acceptSent(i), unpaced: "peer-bypass" });
  }

  /**
   * Accepting a resume: the space is still reserved and the partial file open;
   * once the writes under way when the session ended are done, the accept
   * names the chunks still needed. Only a pqchat sender gets the resume fields
   * (docs/PROTOCOL-EXTENSIONS.md §5); any other gets a plain FILE_ACCEPT, sends
   * everything, and the chunks we hold are skipped.
   */
  private async acceptResume(i: Incoming): Promise<void> {
    await i.chain;
    if (i.ended) return;
    const id = i.meta.transfer_id;
    i.resumedFrom = i.t.bytesReceived;
    const ranges = neededRanges((k) => i.t.hasChunk(k), i.meta.total_chunks);
    this.host.queue(i.peerIsPqchat ? resumeAccept(id, ranges) : fileAccept(id), { onSent: () => this.acceptSent(i), unpaced: "peer-bypass" });
  }

  /** Our FILE_ACCEPT is on the wire: from now on chunks are taken. */
  private acceptSent(i: Incoming): void {
    if (i.ended) return;
    i.acceptSent = true;
    i.status = "accepted";
    i.startedAt = now();
    this.armStall(i);
    const resumed = i.resumedFrom === null ? {} : { resume_from: i.resumedFrom };
    this.host.emit("file_accepted", { transfer_id: i.meta.transfer_id, direction: "in", ...resumed });
    // An empty uncompressed file (0 chunks) is complete right away (WIRE-NOTES §15.7).
    if (i.t.isComplete) i.chain = i.chain.then(() => this.finish(i));
  }

  /** The local user declined (or canceled an accepted transfer). */
  reject(id: string, reason: string): boolean {
    const i = this.inc.get(id);
    if (!i || i.ended) return false;
    i.ended = true;
    i.status = "rejected";
    this.inc.delete(id);
    this.deadlines.clear(id);
    this.disk.release(id);
    this.host.queue(fileReject(id, reason), { auto: true });
    const rejected = () => this.host.emit("file_rejected", { transfer_id: id, direction: "in", reason });
    void i.t.abort().then(rejected, rejected);
    return true;
  }

  /** FILE_REJECT from the sender of an incoming transfer (it withdrew or canceled); false when `id` is not one. */
  onSenderCanceled(id: string): boolean {
    const i = this.inc.get(id);
    if (!i) return false;
    const text = i.status === "offered" ? "The sender withdrew the offer." : "The sender canceled the transfer.";
    void this.fail(i, new FileTransferError("io_error", text), false, "connection_error");
    return true;
  }

  /** A decrypted FILE_CHUNK (WIRE-NOTES §8.5 step 7). Writes are chained per transfer so they stay ordered. */
  onChunk(id: string, index: number, data: Uint8Array): void {
    const i = this.inc.get(id);
    if (!i || i.ended) return this.host.error("chunk_rejected", "Dropped a file chunk for no active transfer.");
    // WIRE-NOTES §15.20: never write anything the user has not accepted.
    if (!i.acceptSent) return this.host.error("chunk_rejected", "Dropped a file chunk for a transfer that was not accepted.");
    if (i.status !== "accepted") return this.host.error("chunk_rejected", "Dropped a file chunk for a transfer that is already complete.");
    const m = i.meta;
    if (!Number.isSafeInteger(index) || index < 0 || index >= m.total_chunks) {
      void this.fail(i, new FileTransferError("chunk_rejected", "A file chunk had an index outside the announced range."), true);
      return;
    }
    const expected = index < m.total_chunks - 1 ? CHUNK_SIZE : m.processed_size - index * CHUNK_SIZE;
    if (data.length !== expected) {
      void this.fail(i, new FileTransferError("chunk_rejected", "A file chunk had the wrong length."), true);
      return;
    }
    if (i.seen[index] === 1) {
      // A resume's sender that sends everything (a plain accept): the chunks we hold are skipped quietly.
      if (i.resumedFrom !== null) return;
      return this.host.error("chunk_rejected", "Ignored a duplicate file chunk.");
    }
    i.seen[index] = 1;
    i.queuedChunks++;
    if (i.queuedChunks < m.total_chunks) this.armStall(i);
    else this.deadlines.clear(id); // every chunk is here: the rest is local work
    this.addPending(data.length);
    const last = i.queuedChunks === m.total_chunks;
    i.chain = i.chain
      .then(() => this.write(i, index, data, last))
      .catch((err: unknown) => this.fail(i, err, true))
      .finally(() => this.addPending(-data.length));
  }

  private async write(i: Incoming, index: number, data: Uint8Array, last: boolean): Promise<void> {
    if (i.ended) return;
    await i.t.writeChunk(index, data);
    this.host.chunkWritten(data); // written, hashed and gunzipped (or a duplicate, dropped): its buffer may be reused
    i.bytes += data.length;
    i.chunks++;
    // A slow disk pauses our reading, so chunks stop arriving: a finished write is progress too.
    if (!last && !i.ended && i.status === "accepted") this.armStall(i);
    this.progress(i, last);
    if (last && i.t.isComplete) await this.finish(i);
  }

  private addPending(n: number): void {
    this.pendingWriteBytes += n;
    if (this.pendingWriteBytes >= WRITE_HIGH_WATER) this.host.pauseReading("disk");
    else if (this.pendingWriteBytes <= WRITE_LOW_WATER) this.host.resumeReading("disk");
  }

  private progress(i: Incoming, final: boolean): void {
    const t = now();
    if (!final && t - i.lastProgress < PROGRESS_INTERVAL_MS) return;
    i.lastProgress = t;
    emitProgress(this.host, i.meta, "in", i.bytes, i.chunks, i.startedAt, i.resumedFrom ?? 0);
  }

  /** Hash check and atomic move; FILE_COMPLETE only after the hash matched (WIRE-NOTES §8.1). */
  private async finish(i: Incoming): Promise<void> {
    if (i.ended) return;
    i.status = "verifying";
    let res;
    try {
      res = await i.t.finish();
    } catch (err) {
      await this.fail(i, err, true);
      return;
    }
    if (i.ended) return;
    i.ended = true;
    i.status = "done";
    i.path = res.path;
    const id = i.meta.transfer_id;
    this.inc.delete(id);
    this.kept.take(id); // its last write finished after the session ended
    this.disk.release(id);
    // A pqchat sender is in its bypass until FILE_COMPLETE (flood-limits.ts); any other peer gets it at the tick (pacing.ts).
    this.host.queue(fileComplete(id), { unpaced: "pqchat-peer" });
    const resumed = i.resumedFrom === null ? {} : { resumed_from: i.resumedFrom };
    this.host.emit("file_received", { transfer_id: id, direction: "in", path: res.path, size: res.size, blake2b: res.blake2b, hash_ok: res.blake2b === i.meta.file_hash, ...resumed });
  }

  /** Ends an incoming transfer: temp files removed first, then file_receive_failed (file_expired when we gave up waiting). */
  private async fail(i: Incoming, err: unknown, tellPeer: boolean, kind?: ErrorKind, expired?: ExpiredReason): Promise<void> {
    if (i.ended) return;
    i.ended = true;
    i.status = "failed";
    const id = i.meta.transfer_id;
    this.inc.delete(id);
    this.kept.take(id);
    this.deadlines.clear(id);
    this.disk.release(id);
    // Tell a pqchat sender to stop streaming (the reference sends nothing on failure, WIRE-NOTES §8.1; a reject is harmless).
    if (tellPeer) this.host.queue(fileReject(id, expired ? EXPIRED_REASONS[expired] : REJECT_REASONS.canceled), { auto: true });
    await i.t.abort().catch(() => undefined);
    if (expired) this.host.emit("file_expired", { transfer_id: id, direction: "in", reason: expired, text: failureText(err) });
    else this.host.emit("file_receive_failed", { transfer_id: id, direction: "in", error: failureText(err), kind: kind ?? errorKind(err) });
  }

  /** Chunks must keep coming; one still arriving piece by piece (a slow link) is not a stall. */
  private armStall(i: Incoming): void {
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
    this.deadlines.arm(i.meta.transfer_id, this.host.stallTimeoutMs, () => this.expire(i, "stalled"), arriving);
  }

  private expire(i: Incoming, why: ExpiredReason): void {
    const mins = minutes(why === "offer" ? this.host.offerTimeoutMs : this.host.stallTimeoutMs);
    const text =
      why === "offer"
        ? `The peer's file offer was not answered within ${mins}; it was declined.`
        : `Receiving a file stalled (no data for ${mins}); it was canceled and the partial file removed.`;
    void this.fail(i, new FileTransferError("io_error", text), true, "connection_error", why);
  }

  /** Emergency close or the user's own disconnect: every transfer fails, kept ones included, and its temp files go. */
  async failAll(reason: string): Promise<void> {
    this.deadlines.clearAll();
    const kept = this.kept.dropAll();
    this.disk.releaseAll();
    const jobs = [...this.inc.values()].map((i) => this.fail(i, new FileTransferError("io_error", reason), false, "connection_error"));
    await Promise.allSettled([kept, ...jobs]);
  }

  /**
   * The session ended unexpectedly (docs/PROTOCOL-EXTENSIONS.md §5): accepted
   * transfers keep their partial file and space for a resume; one whose
   * chunks are all here finishes on its own; the rest fail.
   */
  async interruptAll(reason: string): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const i of [...this.inc.values()]) {
      if (i.status === "verifying") continue;
      if (i.status === "accepted" && i.acceptSent && this.host.resumeKeepMs > 0) this.keepForResume(i, reason);
      else jobs.push(this.fail(i, new FileTransferError("io_error", reason), false, "connection_error"));
    }
    await Promise.allSettled(jobs);
  }

  private keepForResume(i: Incoming, reason: string): void {
    const id = i.meta.transfer_id;
    this.deadlines.clear(id);
    this.inc.delete(id);
    i.status = "interrupted";
    i.acceptSent = false;
    this.kept.keep(id, i);
    const error = `${reason} The part received so far is kept for ${minutes(this.host.resumeKeepMs)}: the transfer continues if the sender offers the file again.`;
    this.host.emit("file_receive_failed", { transfer_id: id, direction: "in", error, kind: "connection_error", resumable: true });
  }

  /** A kept partial file expired, was pushed out or is no longer wanted: it goes, with its reserved space. */
  private async dropKept(i: Incoming): Promise<void> {
    if (i.ended) return;
    i.ended = true;
    i.status = "failed";
    this.disk.release(i.meta.transfer_id);
    await i.t.abort().catch(() => undefined);
  }
}
