// One incoming transfer as IncomingTransfers (incoming-transfers.ts) keeps
// it: its state, its counts and the resume it may be; how views see it
// (TransferState); and what the standing policy does with an offer.
import type { IncomingTransfer } from "../io/file/index.js";
import type { FileMetadata } from "../protocol/file/index.js";
import type { TransferState } from "./api.js";
import type { AcceptFilesPolicy } from "./events.js";
import { info, rate } from "./transfer-common.js";

export type InStatus = "offered" | "accepting" | "accepted" | "verifying" | "done" | "failed" | "rejected" | "interrupted";

export interface Incoming {
  t: IncomingTransfer;
  meta: FileMetadata;
  status: InStatus;
  /** FILE_ACCEPT is on the wire: only from then on are chunks taken (WIRE-NOTES §15.20). */
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
  /** Bytes already held when this transfer resumed (null: not a resume). */
  resumedFrom: number | null;
  /** The sender of a resumed offer understands the resume fields (continuity.ts). */
  peerIsPqchat: boolean;
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

/** A new offer's record. */
export function newIncoming(t: IncomingTransfer, meta: FileMetadata): Incoming {
  return {
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
    resumedFrom: null,
    peerIsPqchat: false,
  };
}

/** What views see of it. */
export function incomingState(i: Incoming): TransferState {
  const status: TransferState["status"] =
    i.status === "accepting" ? "accepted" : i.status === "accepted" ? (i.chunks > 0 ? "transferring" : "accepted") : i.status === "interrupted" ? "failed" : i.status;
  return { ...info(i.meta), direction: "in", status, bytes: i.bytes, total: i.meta.processed_size, rate: i.startedAt ? rate(i.bytes, i.startedAt) : 0, path: i.path };
}
