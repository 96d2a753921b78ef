// Verified reconnect, a pqchat extension (docs/PROTOCOL-EXTENSIONS.md §4):
// a session the local user verified leaves behind a continuity secret; in the
// next session each pqchat client proves, inside the encrypted channel, that
// it holds the same secret, bound to the new session's fingerprint and to its
// own role. Pure: bytes in, bytes out.
//
// secret = HKDF-SHA-256(salt = SHA-256 of the four sorted public keys, i.e. the
//          session fingerprint's hash (WIRE-NOTES §10),
//          ikm  = the combined hybrid secret (SPEC §7.1, WIRE-NOTES §5.2),
//          info = "pqchat continuity v1", L = 32)
// proof  = HMAC-SHA-256(secret, "pqchat continuity proof v1" || 0x00 || role || 0x00 || new fingerprint hash)
//
// The combined secret is the root of every key of the session (WIRE-NOTES
// §5.2); a distinct HKDF label and hash make this output independent of those
// keys (RFC 5869 domain separation), so holding it reveals nothing of the
// session's traffic keys and vice versa.
import { b64decodeStrict, b64encode, ctEqual, toBytes } from "./bytes.js";
import { hkdf, hmac, randomBytes } from "./primitives.js";

/** The inner message type of the proof: no SCP 6.0.1 type and no other pqchat extension uses it (WIRE-NOTES §4.1). */
export const CONTINUITY_PROOF_TYPE = 80;
export const CONTINUITY_SECRET_BYTES = 32;
export const CONTINUITY_PROOF_BYTES = 32;

const SECRET_INFO = toBytes("pqchat continuity v1");
const PROOF_LABEL = toBytes("pqchat continuity proof v1");

export type ContinuityRole = "initiator" | "responder";

export const otherRole = (r: ContinuityRole): ContinuityRole => (r === "initiator" ? "responder" : "initiator");

/** The session's continuity secret from its combined secret and its fingerprint hash (both 32 bytes). */
export function deriveContinuitySecret(combined: Uint8Array, fingerprintSha256: Uint8Array): Uint8Array {
  if (fingerprintSha256.length !== 32) throw new RangeError("the fingerprint hash must be 32 bytes");
  return hkdf("sha256", fingerprintSha256, combined, SECRET_INFO, CONTINUITY_SECRET_BYTES);
}

/** What `role` proves in the session whose fingerprint hash is `fingerprintSha256`. */
export function continuityProof(secret: Uint8Array, role: ContinuityRole, fingerprintSha256: Uint8Array): Uint8Array {
  if (secret.length !== CONTINUITY_SECRET_BYTES) throw new RangeError("the continuity secret must be 32 bytes");
  if (fingerprintSha256.length !== 32) throw new RangeError("the fingerprint hash must be 32 bytes");
  return hmac("sha256", secret, PROOF_LABEL, Uint8Array.of(0), toBytes(role), Uint8Array.of(0), fingerprintSha256);
}

/** Whether `proof` is what the peer, in `peerRole`, must send for this fingerprint under `secret` (constant time). */
export function checkContinuityProof(secret: Uint8Array, peerRole: ContinuityRole, fingerprintSha256: Uint8Array, proof: Uint8Array): boolean {
  const expected = continuityProof(secret, peerRole, fingerprintSha256);
  const ok = proof.length === expected.length && ctEqual(expected, proof);
  expected.fill(0);
  return ok;
}

/**
 * The inner message: `{"type": 80, "data": b64(32 bytes)}`. `data` is a key of
 * the reference's inner allow-list (WIRE-NOTES §12.3), so a reference peer
 * gets as far as its type dispatch and drops the unknown type there
 * (WIRE-NOTES §12.4). Without a secret, 32 random bytes: every pqchat client
 * sends one message of the same size in every session, so the relay cannot
 * tell from the traffic whether a client holds a secret, and the peer learns
 * that we are pqchat.
 */
export function continuityInner(proof: Uint8Array | null): { type: number; data: string } {
  return { type: CONTINUITY_PROOF_TYPE, data: b64encode(proof ?? randomBytes(CONTINUITY_PROOF_BYTES)) };
}

/** The 32 proof bytes of a received message, or null when malformed. */
export function parseContinuityInner(obj: { data?: unknown }): Uint8Array | null {
  if (typeof obj.data !== "string" || obj.data.length > 64) return null;
  try {
    const b = b64decodeStrict(obj.data);
    return b.length === CONTINUITY_PROOF_BYTES ? b : null;
  } catch {
    return null;
  }
}
