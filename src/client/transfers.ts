// File transfers in both directions (WIRE-NOTES §8, SPEC §9): files we send
// (outgoing-transfers.ts) and files we receive (incoming-transfers.ts), with
// what they share in transfer-common.ts. This module answers what concerns
// both: whether a transfer lifts the flood limits or pauses dummies, the list
// views show, a FILE_REJECT (which may name either direction) and the teardown
// that fails everything and leaves no `.pqchat-*` temp file behind.
import type { JsonObject } from "../protocol/index.js";
import type { TransferState } from "./api.js";
import type { AcceptFilesPolicy, FileInfo } from "./events.js";
import { IncomingTransfers } from "./incoming-transfers.js";
import { OutgoingTransfers } from "./outgoing-transfers.js";
import type { ResumeContext, TransferHost } from "./transfer-common.js";

export class Transfers {
  private readonly out: OutgoingTransfers;
  private readonly inc: IncomingTransfers;

  constructor(private readonly host: TransferHost) {
    this.out = new OutgoingTransfers(host);
    this.inc = new IncomingTransfers(host);
  }

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
    return this.out.inProgress || this.inc.inProgress;
  }

  /**
   * Dummies pause (WIRE-NOTES §12.5) on the sending side from FILE_ACCEPT
   * until FILE_COMPLETE or failure, on the receiving side from accept until
   * done or failure — and resume afterwards on both sides (unlike the
   * reference receiver, WIRE-NOTES §15.22).
   */
  get active(): boolean {
    return this.out.active || this.inc.active;
  }

  list(): TransferState[] {
    return [...this.out.list(), ...this.inc.list()];
  }

  // ---- sending
  offer(filePath: string, compress: boolean, stillValid?: () => boolean): Promise<FileInfo> {
    return this.out.offer(filePath, compress, stillValid);
  }

  onAccept(id: string, obj: JsonObject = {}): void {
    this.out.onAccept(id, obj);
  }

  onComplete(id: string): void {
    this.out.onComplete(id);
  }

  /** FILE_REJECT: for our offer (declined, or the receiver failed), else the sender canceled an incoming one. */
  onReject(id: string, reason: string): void {
    if (this.out.onReject(id, reason)) return;
    if (this.inc.onSenderCanceled(id)) return;
    this.host.error("protocol_violation", "Ignored a file rejection for an unknown transfer.");
  }

  // ---- receiving
  onMetadata(obj: JsonObject, policy: AcceptFilesPolicy, peerVerified: boolean, resume?: ResumeContext): void {
    this.inc.onMetadata(obj, policy, peerVerified, resume);
  }

  hasOffer(id: string): boolean {
    return this.inc.hasOffer(id);
  }

  accept(id: string): Promise<void> {
    return this.inc.accept(id);
  }

  reject(id: string, reason: string): boolean {
    return this.inc.reject(id, reason);
  }

  onChunk(id: string, index: number, data: Uint8Array): void {
    this.inc.onChunk(id, index, data);
  }

  /** Emergency close or the user's own disconnect: every transfer fails (kept ones too) and its temp files go. */
  async failAll(reason: string): Promise<void> {
    this.out.failAll(reason);
    await this.inc.failAll(reason);
  }

  /** The session ended unexpectedly: unfinished transfers are kept for a resume (docs/PROTOCOL-EXTENSIONS.md §5). */
  async interruptAll(reason: string): Promise<void> {
    this.out.interruptAll(reason);
    await this.inc.interruptAll(reason);
  }

  /** A new session is established: kept transfers of ours are offered again (`carried`) or the user is asked. */
  resumeKept(carried: boolean): void {
    this.out.resumeKept(carried);
  }

  /** The user's answer to file_resumable; false when no such transfer is kept. */
  resume(id: string, yes: boolean): boolean {
    return this.out.resume(id, yes);
  }
}
