// Protocol constants: message type numbers (SPEC §5, WIRE-NOTES §4.1) and the version.
export const PROTOCOL_VERSION = "6.0.1";

export const MessageType = {
  INITIATE_KEY_EXCHANGE: 1,
  KEY_EXCHANGE_COMPLETE: 2,
  KEY_EXCHANGE_RESET: 3,
  KEY_EXCHANGE_RESPONSE: 4,
  KEY_EXCHANGE_INIT: 5,
  ENCRYPTED_MESSAGE: 10,
  DELIVERY_CONFIRMATION: 11,
  DUMMY_MESSAGE: 12,
  TEXT_MESSAGE: 13,
  FILE_METADATA: 20,
  FILE_ACCEPT: 21,
  FILE_REJECT: 22,
  FILE_CHUNK: 23,
  FILE_COMPLETE: 24,
  VOICE_CALL_INIT: 30,
  VOICE_CALL_ACCEPT: 31,
  VOICE_CALL_REJECT: 32,
  VOICE_CALL_DATA: 33,
  VOICE_CALL_END: 34,
  SERVER_FULL: 40,
  SERVER_VERSION_INFO: 41,
  SERVER_DISCONNECT: 42,
  ERROR: 43,
  KEEP_ALIVE: 44,
  CLIENT_DISCONNECT: 50,
  KEEP_ALIVE_RESPONSE: 51,
  EMERGENCY_CLOSE: 60,
  EPHEMERAL_MODE_CHANGE: 61,
  KEY_VERIFICATION: 62,
  NICKNAME_CHANGE: 63,
  REKEY: 64,
  /** pqchat extension (docs/PROTOCOL-EXTENSIONS.md): client -> server room code. */
  JOIN: 70,
} as const;
/**
 * pqchat extension (docs/PROTOCOL-EXTENSIONS.md): an inner type only, the
 * pqchat-peer marker that takes the place of a session's first dummy. Not in
 * MessageType, which lists the outer types a frame may carry too.
 */
export const PQCHAT_PEER_MARKER_TYPE = 71;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeValue = (typeof MessageType)[MessageTypeName];

const KNOWN = new Set<number>(Object.values(MessageType));
export function isKnownType(t: number): t is MessageTypeValue {
  return KNOWN.has(t);
}

/** Server-originated control types a peer must never be able to forge (WIRE-NOTES §15.2). */
export const SERVER_CONTROL_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 40, 41, 42, 43, 44]);

/** 1 MiB chunks are mandatory for interop (WIRE-NOTES §8.3). */
export const SEND_CHUNK_SIZE = 1048576;
/** A reference receiver drops larger non-chunk frames outside bypass (WIRE-NOTES §12.1). */
export const MAX_UNBYPASSED_FRAME = 8192;
/** Largest inner plaintext that always fits under the 8 KiB rule (WIRE-NOTES §4.5). */
export const MAX_SAFE_INNER_PLAINTEXT = 5887;
/** Saved-chain cache capacity (SPEC §8.2, WIRE-NOTES §7). */
export const SAVED_CHAIN_CAPACITY = 1000;
export const DUMMY_DATA_BYTES = 512;
export const SEND_INTERVAL_MS = 250;
export const NICKNAME_MAX = 32;

export type Compatibility = "same" | "patch" | "minor" | "breaking";

/** SPEC §4.2.1: breaking -> warning, minor -> notice, patch -> silent. */
export function compareVersions(local: string, remote: string): Compatibility {
  if (local === remote) return "same";
  const a = local.split(".");
  const b = remote.split(".");
  if ((a[0] ?? "") !== (b[0] ?? "")) return "breaking";
  if ((a[1] ?? "") !== (b[1] ?? "")) return "minor";
  return "patch";
}
