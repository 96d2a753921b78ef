// What both directions of a file transfer share: the host the client core
// provides (transfers.ts wires it), progress events, rates and timeouts in
// words, and how a failure becomes an ErrorKind and a text for the user.
import { FileTransferError, type FileMetadata } from "../protocol/file/index.js";
import type { JsonObject } from "../protocol/index.js";
import { errorText } from "../present/error-text.js";
import type { Unpaced } from "./pacing.js";
import type { ClientEventMap, ClientEventName, Direction, ErrorKind, FileInfo } from "./events.js";

/** file_progress at most every this many ms per transfer (plus the final one). */
export const PROGRESS_INTERVAL_MS = 100;

export interface TransferHost {
  emit<K extends ClientEventName>(name: K, payload: ClientEventMap[K]): void;
  error(kind: ErrorKind, text: string): void;
  /** Queues an inner message on the 250 ms loop; `auto` replies are capped. */
  queue(obj: JsonObject, opts?: { auto?: boolean; onSent?: (counter: number) => void; unpaced?: Unpaced }): void;
  /**
   * Takes the next counter for one FILE_CHUNK now and encrypts it (on a worker
   * for big chunks while this thread is the bottleneck); the frame goes out
   * strictly in counter order. Resolves
   * true once written or queued only behind earlier frames, false if the
   * session ended; rejects if encryption failed. `false` at once when there
   * is no session/connection. `data` is handed over (it may be detached).
   */
  sendChunk(transferId: string, index: number, data: Uint8Array): Promise<boolean> | false;
  /** Where to read a chunk so that sendChunk seals it where it lies (WritePath.chunkSpace); absent: a new buffer per chunk. */
  chunkSpace?(transferId: string, index: number, len: number): Uint8Array;
  /** Resolves true once a chunk may be started (write buffer low, few chunks encrypting, no rekey hold), false if the session ended. */
  waitWritable(): Promise<boolean>;
  /** A received chunk's bytes are on disk and will never be read again: their frame's buffer may be reused (frame-buffers.ts). */
  chunkWritten(data: Uint8Array): void;
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
  /** The user's gzip level; undefined: chosen per file (io/file/compress-sample.ts). */
  readonly gzipLevel: number | undefined;
  /** An unanswered offer expires after this long (flood-limits.ts). */
  readonly offerTimeoutMs: number;
  /** An accepted transfer without a chunk for this long has stalled (flood-limits.ts). */
  readonly stallTimeoutMs: number;
  /** An interrupted transfer is kept this long for a resume (kept-transfers.ts); 0: never kept. */
  readonly resumeKeepMs: number;
}

/** What the new session tells a resume (docs/PROTOCOL-EXTENSIONS.md §5). */
export interface ResumeContext {
  /** The peer proved it is the peer verified before (continuity.ts): resume without asking. */
  carried: boolean;
  /** The peer sent a continuity message: it understands the resume fields. */
  peerIsPqchat: boolean;
}

/** Why we gave up waiting on a transfer (file_expired.reason). */
export type ExpiredReason = "offer" | "stalled";

export const now = (): number => performance.now();

/** A copy for events, so views never share the record the transfer keeps. */
export const info = (m: FileMetadata): FileInfo => ({ ...m });

export function rate(bytes: number, startedAt: number): number {
  const s = (now() - startedAt) / 1000;
  return s > 0 ? Math.round(bytes / s) : 0;
}

/** "10 minutes", "1.5 seconds": a timeout in words for the user. */
export function minutes(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return ms === 60_000 ? "1 minute" : `${ms / 60_000} minutes`;
  const s = Math.round(ms / 100) / 10;
  return s === 1 ? "1 second" : `${s} seconds`;
}

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof FileTransferError) return err.kind;
  return "io_error";
}

/** What the user reads for a transfer's failure (the views' policy, src/present/error-text.ts). */
export function failureText(err: unknown): string {
  return errorText(err, "Unknown error.");
}

/** One file_progress event (rate and time left from the transfer's start; `base`: bytes held before a resume). */
export function emitProgress(host: TransferHost, m: FileMetadata, direction: Direction, bytes: number, chunks: number, startedAt: number, base = 0): void {
  const r = rate(bytes - base, startedAt);
  const left = m.processed_size - bytes;
  host.emit("file_progress", {
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
