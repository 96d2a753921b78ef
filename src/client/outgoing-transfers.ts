// Files we send (WIRE-NOTES §8.1, SPEC §9): the offer (one read of the file:
// hash and gzip into a temp file), the peer's accept, reject or completion,
// and the chunk stream with socket back-pressure — one stream at a time, each
// chunk sealed on a worker while the next is read. Every way out removes the
// prepared temp file; an offer nobody answers and a stream the peer stops
// reading expire (flood-limits.ts).
import * as os from "node:os";
import * as path from "node:path";
import {
  FileTransferError,
  REJECT_REASONS,
  acceptedRanges,
  fileReject,
  inRanges,
  metadataInner,
  rangeBytes,
  rangeChunks,
  type ChunkRange,
  type FileMetadata,
} from "../protocol/file/index.js";
import { prepareOutgoingFile, type OutgoingFile } from "../io/file/index.js";
import type { JsonObject } from "../protocol/index.js";
import type { TransferState } from "./api.js";
import type { FileInfo } from "./events.js";
import { Deadlines, EXPIRED_REASONS } from "./flood-limits.js";
import { KeptTransfers } from "./kept-transfers.js";
import { PROGRESS_INTERVAL_MS, emitProgress, failureText, info, minutes, now, rate, type ExpiredReason, type TransferHost } from "./transfer-common.js";

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
  /** A resume: the bytes the receiver held, and the chunks it asked for (null: everything). */
  resumedFrom: number | null;
  need: ChunkRange[] | null;
}

const finished = (o: Outgoing): boolean => o.status === "done" || o.status === "failed" || o.status === "rejected";

export class OutgoingTransfers {
  private readonly out = new Map<string, Outgoing>();
  private streamChain: Promise<void> = Promise.resolve();
  /** Offer and stall timers, by transfer id. */
  private readonly deadlines = new Deadlines();
  /** Prepared files of interrupted transfers, offered again in the next session (docs/PROTOCOL-EXTENSIONS.md §5). */
  private readonly kept: KeptTransfers<Outgoing>;

  constructor(private readonly host: TransferHost) {
    this.kept = new KeptTransfers(host.resumeKeepMs, (o) => o.file.cleanup().catch(() => undefined));
  }

  /** Ours from FILE_ACCEPT until FILE_COMPLETE — once every chunk is out, for at most one stall period (Transfers.inProgress). */
  get inProgress(): boolean {
    const t = now();
    for (const o of this.out.values()) {
      if (o.status === "accepted" || o.status === "transferring") return true;
      if (o.status === "verifying" && t - o.lastSentAt < this.host.stallTimeoutMs) return true;
    }
    return false;
  }

  /** From FILE_ACCEPT until FILE_COMPLETE or failure (dummies pause meanwhile). */
  get active(): boolean {
    for (const o of this.out.values()) if (o.status === "accepted" || o.status === "transferring" || o.status === "verifying") return true;
    return false;
  }

  list(): TransferState[] {
    return [...this.out.values()].map((o) => ({
      ...info(o.meta),
      direction: "out",
      status: o.status,
      bytes: o.bytes,
      total: o.meta.processed_size,
      rate: o.startedAt ? rate(o.bytes, o.startedAt) : 0,
      path: o.path,
    }));
  }

  /** Prepares (one read: hash + gzip into a temp file) and queues the offer. */
  async offer(filePath: string, compress: boolean, stillValid: () => boolean = () => true): Promise<FileInfo> {
    const abs = path.resolve(filePath);
    let file: OutgoingFile;
    try {
      file = await prepareOutgoingFile(abs, { compress, gzipLevel: this.host.gzipLevel, tmpDir: os.tmpdir() });
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
    if (existing && !finished(existing)) {
      await file.cleanup();
      throw new FileTransferError("io_error", "This file is already being offered or sent.");
    }
    // Offered afresh: a kept earlier preparation of the same file is no longer needed.
    const stale = this.kept.take(meta.transfer_id);
    if (stale) void stale.file.cleanup().catch(() => undefined);
    this.startOffer(file, meta, abs, false);
    return info(meta);
  }

  /** The offer goes out (WIRE-NOTES §8.1); `again`: a kept transfer offered again with the same transfer_id (WIRE-NOTES §14 erratum 11). */
  private startOffer(file: OutgoingFile, meta: FileMetadata, abs: string, again: boolean): void {
    const o: Outgoing = { file, meta, path: abs, status: "offered", bytes: 0, chunks: 0, startedAt: 0, lastProgress: 0, lastSentAt: 0, cancelled: false, resumedFrom: null, need: null };
    this.out.set(meta.transfer_id, o);
    this.deadlines.arm(meta.transfer_id, this.host.offerTimeoutMs, () => this.expire(o, "offer"));
    // At once to a pqchat peer, at the next tick to any other (pacing.ts).
    this.host.queue(metadataInner(meta), { unpaced: "pqchat-peer" });
    this.host.emit("file_offered", { ...info(meta), direction: "out", path: abs, ...(again ? { resumed: true as const } : {}) });
  }

  /** FILE_ACCEPT; with the resume fields (docs/PROTOCOL-EXTENSIONS.md §5) only the chunks the receiver lacks are sent. */
  onAccept(id: string, obj: JsonObject = {}): void {
    const o = this.out.get(id);
    if (!o || o.status !== "offered") {
      this.host.error("protocol_violation", "Ignored a file acceptance for no pending offer.");
      return;
    }
    const need = acceptedRanges(obj, o.meta.total_chunks);
    if (need === "malformed") this.host.error("malformed", "The peer's request to resume a file was malformed; the whole file is sent.");
    o.status = "accepted";
    this.armStall(o);
    if (need !== null && need !== "malformed") {
      o.need = need;
      o.resumedFrom = o.meta.processed_size - rangeBytes(o.meta, need);
      o.bytes = o.resumedFrom;
      o.chunks = o.meta.total_chunks - rangeChunks(need);
    }
    this.host.emit("file_accepted", { transfer_id: id, direction: "out", ...(o.resumedFrom === null ? {} : { resume_from: o.resumedFrom }) });
    // One stream at a time: the chunks of one transfer go out back to back.
    this.streamChain = this.streamChain.then(() => this.stream(o));
  }

  /**
   * Streams the chunks: each is read while the ones before it are encrypted
   * (here, or on a worker thread once this one is the bottleneck: WritePath.sendChunk);
   * waitWritable bounds what is in flight and buffered.
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
      const need = o.need;
      const host = this.host;
      const space = host.chunkSpace && ((index: number, len: number) => host.chunkSpace!(id, index, len));
      for await (const { index, data } of o.file.chunks(need ? (k) => inRanges(need, k) : undefined, space)) {
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
            if (ok) this.chunkSent(o, len);
            else ended = true;
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
      // The prepared file stays until FILE_COMPLETE: written is not delivered, and a resume may need it.
      this.allSent(o);
    } catch (err) {
      await Promise.allSettled(inflight);
      if (o.cancelled) return;
      this.fail(o, failureText(err), true);
    }
  }

  private chunkSent(o: Outgoing, len: number): void {
    o.bytes += len;
    o.chunks++;
    if (!o.cancelled) this.armStall(o);
    // The final figure is reported once, after the loop.
    if (o.bytes < o.meta.processed_size) this.progress(o, false);
  }

  private allSent(o: Outgoing): void {
    this.progress(o, true);
    // Every chunk is out: the receiver hashes (minutes for a big file) and confirms; nothing to time out.
    this.deadlines.clear(o.meta.transfer_id);
    o.lastSentAt = now();
    o.status = "verifying";
    this.host.emit("file_sent", { transfer_id: o.meta.transfer_id, direction: "out" });
  }

  private progress(o: Outgoing, final: boolean): void {
    const t = now();
    if (!final && t - o.lastProgress < PROGRESS_INTERVAL_MS) return;
    o.lastProgress = t;
    emitProgress(this.host, o.meta, "out", o.bytes, o.chunks, o.startedAt, o.resumedFrom ?? 0);
  }

  /** Ends our transfer: the temp file goes, the peer is told if `tellPeer`, then file_send_failed (file_expired when we gave up waiting). */
  private fail(o: Outgoing, error: string, tellPeer: boolean, expired?: ExpiredReason): void {
    if (finished(o)) return;
    o.cancelled = true;
    o.status = "failed";
    const id = o.meta.transfer_id;
    this.out.delete(id);
    this.deadlines.clear(id);
    void o.file.cleanup().catch(() => undefined);
    if (tellPeer) this.host.queue(fileReject(id, expired ? EXPIRED_REASONS[expired] : REJECT_REASONS.canceled), { auto: true });
    if (expired) this.host.emit("file_expired", { transfer_id: id, direction: "out", reason: expired, text: error });
    else this.host.emit("file_send_failed", { transfer_id: id, direction: "out", error });
  }

  /** Chunks go out while the peer reads; a peer that stops reading stalls the stream. */
  private armStall(o: Outgoing): void {
    this.deadlines.arm(o.meta.transfer_id, this.host.stallTimeoutMs, () => this.expire(o, "stalled"));
  }

  private expire(o: Outgoing, why: ExpiredReason): void {
    const mins = minutes(why === "offer" ? this.host.offerTimeoutMs : this.host.stallTimeoutMs);
    const text =
      why === "offer"
        ? `Your offer of a file was not answered within ${mins}; it was withdrawn.`
        : `Sending a file stalled (the peer took nothing for ${mins}); it was canceled.`;
    this.fail(o, text, true, why);
  }

  /** FILE_COMPLETE: the peer saved the file and its hash matched. */
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
    this.deadlines.clear(id);
    void o.file.cleanup().catch(() => undefined);
    this.host.emit("file_complete", { transfer_id: id, direction: "out" });
  }

  /** FILE_REJECT for our offer (declined, or the receiver failed); false when `id` is not ours. */
  onReject(id: string, reason: string): boolean {
    const o = this.out.get(id);
    if (!o) return false;
    o.cancelled = true;
    o.status = "rejected";
    this.out.delete(id);
    this.deadlines.clear(id);
    void o.file.cleanup().catch(() => undefined);
    this.host.emit("file_rejected", { transfer_id: id, direction: "out", reason });
    return true;
  }

  /** Emergency close or the user's own disconnect: every transfer fails, kept ones included, and its temp file goes. */
  failAll(reason: string): void {
    this.deadlines.clearAll();
    void this.kept.dropAll();
    for (const o of [...this.out.values()]) this.fail(o, reason, false);
  }

  /**
   * The session ended unexpectedly (docs/PROTOCOL-EXTENSIONS.md §5): every
   * transfer not confirmed yet is kept with its prepared file, to be offered
   * again in the next session — even one whose chunks were all written, since
   * written is not delivered (a receiver that has them all finishes on its own,
   * and takes the offer again as a new one).
   */
  interruptAll(reason: string): void {
    for (const o of [...this.out.values()]) {
      if (this.host.resumeKeepMs <= 0) {
        this.fail(o, reason, false);
        continue;
      }
      o.cancelled = true; // this session's stream stops; a new record streams in the next
      const id = o.meta.transfer_id;
      this.out.delete(id);
      this.deadlines.clear(id);
      this.kept.keep(id, o);
      const error = `${reason} The file is offered again when the peer is back (kept for ${minutes(this.host.resumeKeepMs)}).`;
      this.host.emit("file_send_failed", { transfer_id: id, direction: "out", error, resumable: true });
    }
  }

  /**
   * The next session is established: `carried` (the peer proved it is the one
   * verified before) offers every kept transfer again at once; otherwise the
   * user is asked about each (file_resumable), never sending to an unverified
   * peer by itself.
   */
  resumeKept(carried: boolean): void {
    for (const id of this.kept.ids()) {
      if (carried) this.resume(id, true);
      else {
        const o = this.kept.peek(id)!;
        this.host.emit("file_resumable", { ...info(o.meta), direction: "out", bytes: o.bytes });
      }
    }
  }

  /** Offers a kept transfer again (`yes`) or drops it; false when there is no such kept transfer. */
  resume(id: string, yes: boolean): boolean {
    const o = this.kept.take(id);
    if (!o) return false;
    if (yes) this.startOffer(o.file, o.meta, o.path, true);
    else void o.file.cleanup().catch(() => undefined);
    return true;
  }
}
