// ChaCha20-Poly1305 (RFC 8439), the outer layer of the double AEAD
// (WIRE-NOTES §6.3), on node:crypto (OpenSSL). It has one backend: OpenSSL's
// is both the fastest and the reference.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { AuthenticationError, checkKeyAndNonce, TAG_BYTES, type Aead } from "./backend.js";
import { uninitialized } from "../bytes.js";

const NAME = "ChaCha20-Poly1305";

/**
 * Seals into a new buffer with `reserve` zeroed bytes in front of ciphertext
 * || tag, so a caller that needs a frame prefix (the 48-byte FILE_CHUNK header,
 * WIRE-NOTES §8.5) gets its frame without another copy.
 */
export function chachaSealWithPrefix(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, reserve: number): Uint8Array {
  checkKeyAndNonce(NAME, key, nonce);
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const out = uninitialized(reserve + plaintext.length + TAG_BYTES);
  out.fill(0, 0, reserve); // the caller's part: never stale heap bytes
  const body = c.update(plaintext);
  out.set(body, reserve);
  const tail = c.final();
  out.set(tail, reserve + body.length);
  out.set(c.getAuthTag(), reserve + plaintext.length);
  return out;
}

export function chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  return chachaSealWithPrefix(key, nonce, plaintext, aad, 0);
}

export function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKeyAndNonce(NAME, key, nonce);
  if (sealed.length < TAG_BYTES) throw new AuthenticationError();
  const n = sealed.length - TAG_BYTES;
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  d.setAAD(aad, { plaintextLength: n });
  d.setAuthTag(sealed.subarray(n));
  const body = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    body.fill(0);
    throw new AuthenticationError();
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

export const chacha20Poly1305: Aead = { seal: chachaSeal, open: chachaOpen };
