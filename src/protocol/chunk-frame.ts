// The FILE_CHUNK binary frame (WIRE-NOTES §8.5) as bytes: the header inside
// the plaintext, the 48-byte prefix in front of the ciphertext, and the checks
// of a decrypted plaintext. No keys and no state: Session does the
// cryptography, this module only the layout.
import { be32, fromUtf8, toBytes, uninitialized } from "./bytes.js";
import { MessageType } from "./constants.js";
import { SessionError } from "./errors.js";

/** BE32(n) || nonce (12) || E (32): the bytes in front of the ciphertext. */
export const CHUNK_PREFIX_BYTES = 48;

/**
 * The shortest frame worth opening: the prefix and the least a double AEAD can
 * produce (one 64-byte padding block and two 16-byte tags, WIRE-NOTES §6.3).
 */
export const MIN_CHUNK_FRAME_BYTES = CHUNK_PREFIX_BYTES + 96;

/** The public parts of one frame's keys, which the prefix carries. */
export interface ChunkFramePublic {
  counter: number;
  nonce: Uint8Array;
  ephemeralPublic: Uint8Array;
}

/** BE16(len(H)) || H, the start of a FILE_CHUNK plaintext (WIRE-NOTES §8.5). */
export function chunkHeader(transferId: string, chunkIndex: number): Uint8Array {
  const h = toBytes(`{"type": 23, "transfer_id": "${transferId}", "chunk_index": ${chunkIndex}}`);
  const out = new Uint8Array(2 + h.length);
  out[0] = h.length >>> 8;
  out[1] = h.length & 0xff;
  out.set(h, 2);
  return out;
}

/** The 48 bytes in front of the ciphertext: BE32(n) || nonce || E (WIRE-NOTES §8.5). */
export function chunkFramePrefix(k: ChunkFramePublic): Uint8Array {
  const p = new Uint8Array(CHUNK_PREFIX_BYTES);
  p.set(be32(k.counter), 0);
  p.set(k.nonce, 4);
  p.set(k.ephemeralPublic, 16);
  return p;
}

/** The FILE_CHUNK frame from the keys' public parts and the double-AEAD output (WIRE-NOTES §8.5). */
export function assembleChunkFrame(k: ChunkFramePublic, ciphertext: Uint8Array): Uint8Array {
  const frame = uninitialized(CHUNK_PREFIX_BYTES + ciphertext.length);
  frame.set(chunkFramePrefix(k), 0);
  frame.set(ciphertext, CHUNK_PREFIX_BYTES);
  return frame;
}

/** A received frame's prefix and ciphertext, as views of the frame; SessionError when it is too short. */
export function splitChunkFrame(frame: Uint8Array): { counter: number; nonce: Uint8Array; ephemeralPublic: Uint8Array; ciphertext: Uint8Array } {
  if (frame.length < MIN_CHUNK_FRAME_BYTES) throw new SessionError("malformed", "file chunk frame too short");
  return {
    counter: new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false),
    nonce: frame.subarray(4, 16),
    ephemeralPublic: frame.subarray(16, CHUNK_PREFIX_BYTES),
    ciphertext: frame.subarray(CHUNK_PREFIX_BYTES),
  };
}

export interface ParsedChunkPlaintext {
  header: Record<string, unknown>;
  data: Uint8Array;
}

/** WIRE-NOTES §8.5 step 5 on a decrypted plaintext: the checks that decide whether the frame commits. */
export function parseChunkPlaintext(plain: Uint8Array): ParsedChunkPlaintext {
  if (plain.length < 2) throw new SessionError("malformed", "file chunk without header");
  const hlen = (plain[0]! << 8) | plain[1]!;
  if (2 + hlen > plain.length) throw new SessionError("malformed", "file chunk header length out of range");
  let header: unknown;
  try {
    header = JSON.parse(fromUtf8(plain.subarray(2, 2 + hlen)));
  } catch {
    throw new SessionError("malformed", "file chunk header is not JSON");
  }
  const h = header as Record<string, unknown> | null;
  if (!h || typeof h !== "object" || h["type"] !== MessageType.FILE_CHUNK) throw new SessionError("malformed", "file chunk header has the wrong type");
  return { header: h, data: plain.subarray(2 + hlen) };
}

/**
 * The header fields the file layer needs. Checked after the commit: the frame
 * authenticated and counts as received even when the file layer cannot use it
 * (WIRE-NOTES §8.5 steps 6–7).
 */
export function validChunkFields(p: ParsedChunkPlaintext): { transferId: string; chunkIndex: number; data: Uint8Array } {
  const transferId = p.header["transfer_id"];
  const chunkIndex = p.header["chunk_index"];
  if (typeof transferId !== "string" || typeof chunkIndex !== "number" || !Number.isSafeInteger(chunkIndex)) {
    throw new SessionError("malformed", "file chunk header fields are invalid");
  }
  return { transferId, chunkIndex, data: p.data };
}
