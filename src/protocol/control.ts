// Plaintext control messages exchanged with the relay, byte-exact as the
// reference server sends them (WIRE-NOTES §4.2–4.4, vectors/server.json templates).
import { MessageType, PROTOCOL_VERSION } from "./constants.js";
import { toBytes } from "./bytes.js";
import { pyFloat, pyjson } from "./pyjson.js";

export const ServerText = {
  initiate: "Starting key exchange...",
  complete: "Key exchange completed successfully",
  reset: "Key exchange reset - other client disconnected",
  keepaliveTimeout: "Keepalive timeout: no response after 3 attempts",
  /** The reference concatenates without a separator (WIRE-NOTES §15.14); kept for compatibility. */
  tooManyUnexpected: "Too many unexpected messages",
  unexpectedDuringExchange: "unexpected message during key exchange",
  verificationBeforeExchange: "verification before key exchange",
  keepaliveWithoutRequest: "keepalive response without request",
  shuttingDown: "Server shutting down",
  defaultDisconnect: "Server disconnect",
  exchangeFailedNoPeer: "Key exchange failed - no other client",
  verificationFailedNoPeer: "Verification failed - no other client",
} as const;

export const serverVersionInfo = (version: string = PROTOCOL_VERSION): Uint8Array =>
  toBytes(pyjson({ type: MessageType.SERVER_VERSION_INFO, protocol_version: version }));
export const initiateKeyExchange = (): Uint8Array =>
  toBytes(pyjson({ type: MessageType.INITIATE_KEY_EXCHANGE, message: ServerText.initiate }));
export const keyExchangeComplete = (): Uint8Array =>
  toBytes(pyjson({ type: MessageType.KEY_EXCHANGE_COMPLETE, message: ServerText.complete }));
export const keyExchangeReset = (): Uint8Array =>
  toBytes(pyjson({ type: MessageType.KEY_EXCHANGE_RESET, message: ServerText.reset }));
export const serverFull = (): Uint8Array => toBytes(pyjson({ type: MessageType.SERVER_FULL }));
export const serverDisconnect = (reason: string): Uint8Array =>
  toBytes(pyjson({ type: MessageType.SERVER_DISCONNECT, reason }));
export const serverError = (error: string): Uint8Array => toBytes(pyjson({ type: MessageType.ERROR, error }));
/** KEEP_ALIVE carries a Python float timestamp (WIRE-NOTES §4.2). */
export const keepAlive = (nowMs: number): Uint8Array =>
  toBytes(`{"type": ${MessageType.KEEP_ALIVE}, "timestamp": ${pyFloat(nowMs / 1000)}}`);
export const keepAliveResponse = (): Uint8Array => toBytes(pyjson({ type: MessageType.KEEP_ALIVE_RESPONSE }));
export const clientDisconnect = (): Uint8Array => toBytes(pyjson({ type: MessageType.CLIENT_DISCONNECT }));
export const keyVerification = (verified: boolean): Uint8Array =>
  toBytes(pyjson({ type: MessageType.KEY_VERIFICATION, verified }));
/** Room codes of the JOIN extension (docs/PROTOCOL-EXTENSIONS.md). */
export const ROOM_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidRoomCode(room: unknown): room is string {
  return typeof room === "string" && ROOM_CODE_PATTERN.test(room);
}

/** pqchat extension: room code, sent first by our clients (docs/PROTOCOL-EXTENSIONS.md). */
export const join = (room: string): Uint8Array => toBytes(pyjson({ type: MessageType.JOIN, room }));

/** Outer plaintext allow-list of the reference client (WIRE-NOTES §12.1 step 5). */
const OUTER_BASE = ["type", "protocol_version", "version"];
const OUTER_EXTRA: Record<number, string[]> = {
  5: ["public_key", "dh_public_key"],
  4: ["ciphertext", "public_key", "dh_public_key"],
  10: ["counter", "nonce", "ciphertext", "dh_public_key", "verification"],
  62: ["verified"],
  3: ["message"],
  // ERROR's "error" field is added here on purpose: the reference drops every
  // ERROR (errata 21); we surface it.
  43: ["reason", "message", "timestamp", "error"],
};
for (const t of [44, 2, 1, 40, 41, 42]) OUTER_EXTRA[t] = ["reason", "message", "timestamp"];

/** Returns the first field not allowed for this outer type, or null. */
export function unexpectedOuterField(type: number, obj: Record<string, unknown>): string | null {
  const extra = OUTER_EXTRA[type] ?? [];
  for (const k of Object.keys(obj)) if (!OUTER_BASE.includes(k) && !extra.includes(k)) return k;
  return null;
}

/** Inner allow-list applied while the local user has not verified the peer (WIRE-NOTES §12.3). */
const INNER_ALLOWED = new Set([
  "type", "message", "reason", "text", "confirmed_counter", "transfer_id", "filename", "file_size",
  "file_hash", "total_chunks", "processed_size", "compressed", "action", "public_key", "ciphertext",
  "data", "mode", "owner_id", "nickname", "rate", "chunk_size", "audio_format", "audio_data",
]);

export function unexpectedInnerField(obj: Record<string, unknown>): string | null {
  for (const k of Object.keys(obj)) if (!INNER_ALLOWED.has(k)) return k;
  return null;
}
