// SHA-2/SHA-3 digests, HMAC and HKDF (SPEC §7.1) on node:crypto (OpenSSL).
// Apart from primitives.ts, which re-exports them, so that the double AEAD
// (aead.ts) loads only these on a worker thread, not ML-KEM and X25519.
import { createHash, createHmac, hkdfSync } from "node:crypto";

export type HashName = "sha256" | "sha512" | "sha3-512";

/**
 * A Uint8Array over the same memory as a Buffer OpenSSL just filled. Digests
 * and HMACs are returned as views, never copies: the caller's wipe() must
 * reach the only copy there is (SPEC §17: keys overwritten after use), and no
 * stray original is left behind for the garbage collector.
 */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function hash(name: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(name);
  for (const p of parts) h.update(p);
  return view(h.digest());
}

/** The first `length` bytes of a digest; the rest of it is zeroed, so wiping the result wipes everything. */
export function hashPrefix(name: HashName, length: number, ...parts: Uint8Array[]): Uint8Array {
  const d = hash(name, ...parts);
  if (length > d.length) throw new RangeError("hashPrefix: length exceeds the digest");
  d.fill(0, length);
  return d.subarray(0, length);
}

export function hmac(name: HashName, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac(name, key);
  for (const p of parts) h.update(p);
  return view(h.digest());
}

const HASH_LEN: Record<HashName, number> = { sha256: 32, sha512: 64, "sha3-512": 64 };

/**
 * RFC 5869 HKDF (extract + expand). Every SCP output fits in one hash block,
 * where two HMACs are about twice as fast as hkdfSync (bench/protocol.ts); longer
 * outputs go to OpenSSL's HKDF. Every SCP salt is non-empty (WIRE-NOTES §1).
 */
export function hkdf(name: HashName, salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > HASH_LEN[name] || length <= 0) return new Uint8Array(hkdfSync(name, ikm, salt, info, length));
  const prk = hmac(name, salt, ikm);
  const okm = hmac(name, prk, info, Uint8Array.of(1));
  prk.fill(0);
  if (length === okm.length) return okm;
  // A view of the first `length` bytes (no copy left behind); the unused tail is zeroed now.
  okm.fill(0, length);
  return okm.subarray(0, length);
}

/**
 * RFC 5869 HKDF-Expand for output up to one hash block, computed as a single
 * HMAC so that short PRKs work (WIRE-NOTES §6.3: the ChaCha key uses a 16-byte PRK).
 */
export function hkdfExpandOneBlock(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const block = hmac(name, prk, info, Uint8Array.of(1));
  if (length > block.length) throw new RangeError("hkdfExpandOneBlock: length exceeds one block");
  block.fill(0, length);
  return block.subarray(0, length);
}
