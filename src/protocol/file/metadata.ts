// File-transfer metadata: the FILE_* inner messages, transfer ids, the
// incompressible-extension rule and validation of what a peer announces.
// WIRE-NOTES §8 (values), WIRE-NOTES §4.6 (exact field order), SPEC §9.
import { createHash } from "node:crypto";
import { createBLAKE2b } from "hash-wasm";
import { NativeBlake2b256 } from "../crypto/blake2b-native.js";
import { SEND_CHUNK_SIZE, MessageType } from "../constants.js";

/** The inner FILE_METADATA record minus its "type" (WIRE-NOTES §4.6, §8.2). */
export type FileMetadata = {
  /** Sender-chosen id; ours is {@link transferId} (16 hex). Alphanumeric, 1..64 characters. */
  transfer_id: string;
  /**
   * The name exactly as the peer sent it. It is part of the transfer id, so it
   * is kept verbatim here; never use it as a path — use `safeFileName()` (names.ts).
   */
  filename: string;
  /** Original (uncompressed) size in bytes. */
  file_size: number;
  /** Lowercase hex BLAKE2b-256 of the original content. */
  file_hash: string;
  /** ceil(processed_size / 1 MiB). */
  total_chunks: number;
  compressed: boolean;
  /** Length of the stream actually chunked: gzip output if compressed, else the content. */
  processed_size: number;
};

/**
 * Why a transfer failed. A fixed list so that callers can map kinds to UI
 * text or to a FILE_REJECT without parsing messages.
 *   malformed      – metadata fields of the wrong type/shape, or a corrupt gzip stream
 *   bad_filename   – the announced name is unusable, or a path escaped the download directory
 *   file_too_large – over the configured limit, or decompression produced more than announced
 *   hash_mismatch  – the reassembled content differs from the announced hash or size
 *   chunk_rejected – a chunk with a bad index/length, or a chunk the user never accepted
 *   io_error       – local file-system trouble (disk full, permissions, file changed while sending)
 */
export type FileTransferErrorKind =
  | "malformed"
  | "bad_filename"
  | "file_too_large"
  | "hash_mismatch"
  | "chunk_rejected"
  | "io_error";

export class FileTransferError extends Error {
  readonly kind: FileTransferErrorKind;
  constructor(kind: FileTransferErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FileTransferError";
    this.kind = kind;
  }
}

/** Wraps anything thrown by fs/zlib into an io_error, leaving our own errors untouched. */
export function asFileTransferError(err: unknown, what: string): FileTransferError {
  if (err instanceof FileTransferError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new FileTransferError("io_error", `${what}: ${detail}`, { cause: err });
}

/** The chunk size is fixed by interop (WIRE-NOTES §8.3): the receiver writes chunk i at i × 1 MiB. */
export const CHUNK_SIZE = SEND_CHUNK_SIZE;

/** Default ceiling for announced file sizes (configurable per receiver). */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 ** 3;

/** Upper bound for a peer's raw filename before sanitising (a base name is ≤ 255 UTF-16 units on every common FS). */
export const MAX_RAW_FILENAME_BYTES = 1024;

/** WIRE-NOTES §8.2 (identical to file.json `incompressible_extensions`). */
export const INCOMPRESSIBLE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".7z", ".rar", ".hc", ".bin",
  ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".svgz", ".mp3", ".ogg", ".flac", ".aac", ".wav",
  ".mp4", ".mov", ".avi", ".mkv", ".webm", ".mpeg", ".mpg", ".pdf", ".dmg", ".apk", ".jar",
]);

/**
 * The extension as the reference computes it (Python's os.path.splitext on the
 * base name, lowercased — WIRE-NOTES §8.2): the suffix from the last "." of the
 * base name, but only if some character other than "." precedes that dot, so
 * leading dots do not count (`.bashrc`, `..gz` → ""; `.notes.gz` → ".gz";
 * `a.` → "."). Both separators are treated as directory separators.
 */
export function fileExtension(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "";
  for (let i = 0; i < dot; i++) if (base[i] !== ".") return base.slice(dot).toLowerCase();
  return "";
}

export function hasIncompressibleExtension(name: string): boolean {
  return INCOMPRESSIBLE_EXTENSIONS.has(fileExtension(name));
}

/**
 * transfer_id = first 16 hex of SHA-256(UTF-8(filename || dec(file_size) || file_hash))
 * (WIRE-NOTES §8.2). Compression is not an input: re-offering a file yields the same id.
 */
export function transferId(filename: string, fileSize: number, fileHashHex: string): string {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new RangeError("fileSize must be a non-negative integer");
  return createHash("sha256")
    .update(filename + String(fileSize) + fileHashHex, "utf8")
    .digest("hex")
    .slice(0, 16);
}

/** total_chunks for a processed stream of `processedSize` bytes (0 only for an empty stream). */
export function chunkCount(processedSize: number): number {
  return Math.ceil(processedSize / CHUNK_SIZE);
}

/**
 * The FILE_METADATA record (WIRE-NOTES §8.2) of a file whose content has `fileSize` bytes
 * and BLAKE2b-256 `fileHash`, sent as a processed stream of `processedSize`
 * bytes (gzip when `compressed`): the derived fields (transfer_id,
 * total_chunks) computed the one way the reference does.
 */
export function describeFile(f: { filename: string; fileSize: number; fileHash: string; processedSize: number; compressed: boolean }): FileMetadata {
  return {
    transfer_id: transferId(f.filename, f.fileSize, f.fileHash),
    filename: f.filename,
    file_size: f.fileSize,
    file_hash: f.fileHash,
    total_chunks: chunkCount(f.processedSize),
    compressed: f.compressed,
    processed_size: f.processedSize,
  };
}

/** A running whole-file hash: BLAKE2b-256 (WIRE-NOTES §8.2). */
export interface FileHasher {
  init(): FileHasher;
  update(data: Uint8Array): FileHasher;
  digest(format: "binary"): Uint8Array;
  digest(format?: "hex"): string;
}

/**
 * A fresh BLAKE2b-256 hasher (digest length 32 — not a truncated BLAKE2b-512,
 * WIRE-NOTES §1): OpenSSL's BLAKE2b where the addon is usable
 * (crypto/blake2b-native.ts), else hash-wasm's; the same digests either way.
 */
export function createFileHasher(): Promise<FileHasher> {
  return Promise.resolve(NativeBlake2b256.create() ?? createBLAKE2b(256));
}

/** BLAKE2b-256 hex of an in-memory buffer (tests and small payloads). */
export async function fileHashHex(data: Uint8Array): Promise<string> {
  const h = await createFileHasher();
  h.init();
  h.update(data);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------
// Inner messages. Key order is the reference's (WIRE-NOTES §4.6); pyjson keeps
// insertion order, so these literals are the wire layout.

// Type aliases (not interfaces) so they are assignable to pyjson's JsonValue.
export type FileMetadataInner = FileMetadata & { type: 20 };

/** FILE_METADATA with "type" LAST: the reference copies the record, then adds the type (WIRE-NOTES §4.6). */
export function metadataInner(m: FileMetadata): FileMetadataInner {
  return {
    transfer_id: m.transfer_id,
    filename: m.filename,
    file_size: m.file_size,
    file_hash: m.file_hash,
    total_chunks: m.total_chunks,
    compressed: m.compressed,
    processed_size: m.processed_size,
    type: MessageType.FILE_METADATA,
  };
}

export function fileAccept(transferIdValue: string): { type: 21; transfer_id: string } {
  return { type: MessageType.FILE_ACCEPT, transfer_id: transferIdValue };
}

/** The reasons the reference sends (WIRE-NOTES §4.6); any string is legal on the wire. */
export const REJECT_REASONS = {
  declined: "User declined",
  disabled: "User disabled file transfers",
  canceled: "User canceled",
} as const;
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

export function fileReject(
  transferIdValue: string,
  reason: RejectReason | string,
): { type: 22; transfer_id: string; reason: string } {
  return { type: MessageType.FILE_REJECT, transfer_id: transferIdValue, reason };
}

export function fileComplete(transferIdValue: string): { type: 24; transfer_id: string } {
  return { type: MessageType.FILE_COMPLETE, transfer_id: transferIdValue };
}

// ---------------------------------------------------------------------------
// Validation of a received FILE_METADATA (SPEC §9.1: "MUST validate required
// fields ... reasonable values"; WIRE-NOTES §15.6: bound sizes and chunk counts).

export interface FileLimits {
  /** Largest accepted file_size in bytes (default {@link DEFAULT_MAX_FILE_SIZE}). */
  maxFileSize?: number;
}

const TRANSFER_ID_RE = /^[A-Za-z0-9]{1,64}$/; // ASCII only: Python's isalnum() would also pass non-ASCII letters.
const HASH_RE = /^[0-9a-f]{64}$/; // the reference compares hexdigest() (lowercase) as a string

/**
 * Largest processed_size we believe for a compressed file of `fileSize` bytes.
 * Worst case for incompressible input is deflate's stored blocks: 5 bytes per
 * 64 KiB block plus 18 bytes of gzip framing per member. We allow ~0.1 % + 64 KiB,
 * which also leaves room for multi-member streams (members of ≥ ~20 KiB) and
 * for some zero padding, while keeping the temp file bounded (WIRE-NOTES §15.6).
 */
export function maxCompressedSize(fileSize: number): number {
  return fileSize + Math.ceil(fileSize / 1024) + 65536;
}

function malformed(msg: string): FileTransferError {
  return new FileTransferError("malformed", `Invalid file offer: ${msg}.`);
}

function nonNegInt(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw malformed(`"${key}" must be a non-negative whole number`);
  }
  return v;
}

/**
 * Checks a received FILE_METADATA inner object and returns it typed. Unknown
 * extra fields are ignored here (the inner allow-list, WIRE-NOTES §12.3, is applied by the
 * session layer). Throws FileTransferError (malformed / bad_filename / file_too_large).
 */
export function validateMetadata(obj: unknown, limits: FileLimits = {}): FileMetadata {
  const maxFileSize = limits.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw malformed("not a JSON object");
  const o = obj as Record<string, unknown>;

  const tid = o["transfer_id"];
  if (typeof tid !== "string" || !TRANSFER_ID_RE.test(tid)) {
    throw malformed("the transfer id must be 1 to 64 letters or digits");
  }

  const filename = o["filename"];
  if (typeof filename !== "string") throw malformed('"filename" must be a string');
  if (filename.length === 0) throw new FileTransferError("bad_filename", "The offered file has an empty name.");
  if (Buffer.byteLength(filename, "utf8") > MAX_RAW_FILENAME_BYTES) {
    throw new FileTransferError("bad_filename", "The offered file name is unreasonably long.");
  }

  const fileSize = nonNegInt(o, "file_size");
  const processedSize = nonNegInt(o, "processed_size");
  const totalChunks = nonNegInt(o, "total_chunks");

  const hash = o["file_hash"];
  if (typeof hash !== "string" || !HASH_RE.test(hash)) throw malformed('"file_hash" must be 64 lowercase hex digits');

  const compressed = o["compressed"];
  if (typeof compressed !== "boolean") throw malformed('"compressed" must be true or false');

  if (fileSize > maxFileSize) {
    throw new FileTransferError(
      "file_too_large",
      `The offered file is ${fileSize} bytes, more than the allowed ${maxFileSize} bytes.`,
    );
  }
  if (!compressed && processedSize !== fileSize) throw malformed("an uncompressed file must have processed_size = file_size");
  if (compressed) {
    // gzip output is never empty (20 bytes minimum), and cannot legitimately be
    // much larger than its input.
    if (processedSize === 0) throw malformed("a compressed stream cannot be empty");
    if (processedSize > maxCompressedSize(fileSize)) throw malformed("the compressed size is implausibly large for the file size");
  }
  if (totalChunks !== chunkCount(processedSize)) {
    throw malformed(`total_chunks must be ${chunkCount(processedSize)} for ${processedSize} bytes of data`);
  }

  return {
    transfer_id: tid,
    filename,
    file_size: fileSize,
    file_hash: hash,
    total_chunks: totalChunks,
    compressed,
    processed_size: processedSize,
  };
}
