// DoubleEncryptor (WIRE-NOTES §6.3): PKCS#7 (64-byte blocks), AES-256-GCM-SIV,
// then ChaCha20-Poly1305, both under keys and nonces derived from one 32-byte
// message key. Ciphertext length is 64*floor(len(P)/64) + 96.
import { toBytes, uninitialized, wipe } from "./bytes.js";
import { AuthenticationError } from "./crypto/backend.js";
import { chachaOpen, chachaSeal, chachaSealWithPrefix } from "./crypto/chacha20-poly1305.js";
import { chunkNative, type ChunkAddon } from "./crypto/chunk-native.js";
import { gcmSiv } from "./crypto/select.js";
import { hashPrefix, hkdfExpandOneBlock } from "./digests.js";

const AES_OTHERINFO = toBytes("AES_key_kdf");
const CHACHA_INFO = toBytes("ChaCha_key_hkdf");
const COUNTER_ONE = Uint8Array.of(0, 0, 0, 1);
export const PAD_BLOCK = 64;

export interface DerivedAeadKeys {
  aesKey: Uint8Array;
  chachaKey: Uint8Array;
  aesNonce: Uint8Array;
  chachaNonce: Uint8Array;
}

/** Keys and nonces of both layers (WIRE-NOTES §6.3, errata 4). */
export function deriveAeadKeys(messageKey: Uint8Array, nonce: Uint8Array): DerivedAeadKeys {
  if (messageKey.length !== 32) throw new RangeError("message key must be 32 bytes");
  if (nonce.length !== 12) throw new RangeError("nonce must be 12 bytes");
  // One-block Concat KDF (SP 800-56) with SHA-512 over the second half of k.
  const aesKey = hashPrefix("sha512", 32, COUNTER_ONE, messageKey.subarray(16, 32), AES_OTHERINFO);
  // HKDF-Expand(SHA3-512) over the first half of k, a 16-byte PRK.
  const chachaKey = hkdfExpandOneBlock("sha3-512", messageKey.subarray(0, 16), CHACHA_INFO, 32);
  const aesNonce = new Uint8Array(12);
  const chachaNonce = new Uint8Array(12);
  for (let i = 0; i < 12; i++) {
    aesNonce[i] = nonce[i]! ^ messageKey[i]!;
    chachaNonce[i] = aesNonce[i]! ^ messageKey[20 + i]!;
  }
  return { aesKey, chachaKey, aesNonce, chachaNonce };
}

export function pad(p: Uint8Array): Uint8Array {
  const v = PAD_BLOCK - (p.length % PAD_BLOCK);
  const out = new Uint8Array(p.length + v);
  out.set(p, 0);
  out.fill(v, p.length);
  return out;
}

/** Strict PKCS#7 check (WIRE-NOTES §6.3); returns a view without the padding. */
export function unpad(p: Uint8Array): Uint8Array {
  if (p.length === 0 || p.length % PAD_BLOCK !== 0) throw new AuthenticationError("bad padding");
  const v = p[p.length - 1]!;
  if (v < 1 || v > PAD_BLOCK) throw new AuthenticationError("bad padding");
  let bad = 0;
  for (let i = p.length - v; i < p.length; i++) bad |= p[i]! ^ v;
  if (bad !== 0) throw new AuthenticationError("bad padding");
  return p.subarray(0, p.length - v);
}

export function doubleEncrypt(messageKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const k = deriveAeadKeys(messageKey, nonce);
  const padded = pad(plaintext);
  try {
    const inner = gcmSiv.seal(k.aesKey, k.aesNonce, padded, aad);
    return chachaSeal(k.chachaKey, k.chachaNonce, inner, aad);
  } finally {
    wipe(padded, k.aesKey, k.chachaKey);
  }
}

/** Throws AuthenticationError on any tag or padding failure. */
export function doubleDecrypt(messageKey: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  const k = deriveAeadKeys(messageKey, nonce);
  try {
    const inner = chachaOpen(k.chachaKey, k.chachaNonce, ciphertext, aad);
    return unpad(gcmSiv.open(k.aesKey, k.aesNonce, inner, aad));
  } finally {
    wipe(k.aesKey, k.chachaKey);
  }
}

/**
 * doubleEncrypt of the concatenation of `parts`, with `reserve` bytes left in
 * front of the result for the caller (the 48-byte FILE_CHUNK prefix, WIRE-NOTES §8.5):
 * the same bytes as doubleEncrypt(k, n, concat(parts), aad) at offset
 * `reserve`, but the plaintext is copied once (straight into its padded form)
 * and the outer layer lands directly in the final buffer. Used for file chunks.
 */
export function doubleEncryptParts(
  messageKey: Uint8Array,
  nonce: Uint8Array,
  parts: Uint8Array[],
  aad: Uint8Array,
  reserve = 0,
  /** Reused for the padded plaintext when big enough (a worker's scratch: less garbage per chunk); wiped after use. */
  scratch?: Uint8Array,
): Uint8Array {
  const k = deriveAeadKeys(messageKey, nonce);
  let len = 0;
  for (const p of parts) len += p.length;
  const v = PAD_BLOCK - (len % PAD_BLOCK);
  const padded = scratch && scratch.length >= len + v ? scratch.subarray(0, len + v) : uninitialized(len + v);
  let o = 0;
  for (const p of parts) {
    padded.set(p, o);
    o += p.length;
  }
  padded.fill(v, len);
  try {
    const inner = gcmSiv.seal(k.aesKey, k.aesNonce, padded, aad);
    return chachaSealWithPrefix(k.chachaKey, k.chachaNonce, inner, aad, reserve);
  } finally {
    wipe(padded, k.aesKey, k.chachaKey);
  }
}

/** Bytes a plaintext of `len` bytes seals to (WIRE-NOTES §6.3): 64*floor(len/64) + 96. */
export function sealedLength(len: number): number {
  return len - (len % PAD_BLOCK) + PAD_BLOCK + 32;
}

/**
 * doubleEncryptParts into `frame`, after its first `reserve` bytes (the
 * FILE_CHUNK prefix, WIRE-NOTES §8.5, which the caller writes): the parts are
 * copied there, padded and sealed in place; returns frame.subarray(0, reserve
 * + sealedLength(parts' length)), which `frame` must be able to hold. With the
 * chunk addon (crypto/chunk-native.ts) in one native call and no fresh buffer;
 * without it, doubleEncryptParts and a copy. The same bytes either way.
 */
export function doubleEncryptPartsInto(
  messageKey: Uint8Array,
  nonce: Uint8Array,
  parts: Uint8Array[],
  aad: Uint8Array,
  frame: Uint8Array,
  reserve: number,
  addon: ChunkAddon | null = chunkNative,
): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const end = reserve + sealedLength(len);
  if (frame.length < end) throw new RangeError("the frame buffer is too small for the sealed chunk");
  if (!addon) {
    const sealed = doubleEncryptParts(messageKey, nonce, parts, aad, reserve);
    frame.set(sealed.subarray(reserve), reserve);
    wipe(sealed);
    return frame.subarray(0, end);
  }
  const k = deriveAeadKeys(messageKey, nonce);
  const body = frame.subarray(reserve, end);
  let o = 0;
  for (const p of parts) {
    // A part already in its place (read straight into the frame) stays where it is.
    if (p.buffer !== body.buffer || p.byteOffset !== body.byteOffset + o) body.set(p, o);
    o += p.length;
  }
  const v = PAD_BLOCK - (len % PAD_BLOCK);
  body.fill(v, len, len + v);
  try {
    if (!addon.sealInPlace(k.aesKey, k.chachaKey, k.aesNonce, k.chachaNonce, aad, body)) throw new Error("OpenSSL refused to seal the chunk");
    return frame.subarray(0, end);
  } finally {
    wipe(k.aesKey, k.chachaKey);
  }
}

/**
 * doubleDecrypt inside `ciphertext`'s own memory (a received FILE_CHUNK,
 * WIRE-NOTES §8.5): returns the view of `ciphertext` that now holds the
 * plaintext, so a big chunk costs no fresh buffers. `ciphertext` is consumed
 * either way (on a refusal its contents are undefined: zeroed by the addon).
 * With the chunk addon (crypto/chunk-native.ts) in one native call; without
 * it, doubleDecrypt and a copy. Throws AuthenticationError like doubleDecrypt.
 */
export function doubleDecryptInPlace(messageKey: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array, addon: ChunkAddon | null = chunkNative): Uint8Array {
  if (!addon) {
    const plain = doubleDecrypt(messageKey, nonce, ciphertext, aad);
    ciphertext.set(plain);
    wipe(plain);
    return ciphertext.subarray(0, plain.length);
  }
  const k = deriveAeadKeys(messageKey, nonce);
  try {
    const n = addon.openInPlace(k.aesKey, k.chachaKey, k.aesNonce, k.chachaNonce, aad, ciphertext);
    if (n < 0) throw new AuthenticationError();
    return ciphertext.subarray(0, n);
  } finally {
    wipe(k.aesKey, k.chachaKey);
  }
}
