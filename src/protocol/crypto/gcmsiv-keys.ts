// The parts of AES-256-GCM-SIV (RFC 8452) that both of our own backends build
// on OpenSSL's AES (node:crypto, AES-NI): the block cipher in ECB form and the
// per-nonce key derivation. POLYVAL and the counter mode differ per backend
// (gcmsiv-clmul.ts, gcmsiv-wasm.ts).
import { createCipheriv } from "node:crypto";
import { checkKeyAndNonce } from "./backend.js";

/** AES-256 of whole 16-byte blocks. */
export function ecb(key: Uint8Array, blocks: Uint8Array): Buffer {
  const c = createCipheriv("aes-256-ecb", key, null);
  c.setAutoPadding(false);
  return c.update(blocks);
}

/** RFC 8452 §4: per-nonce authentication and encryption keys. */
export function deriveKeys(key: Uint8Array, nonce: Uint8Array): { auth: Uint8Array; enc: Uint8Array } {
  const input = new Uint8Array(6 * 16);
  for (let i = 0; i < 6; i++) {
    input[i * 16] = i;
    input.set(nonce, i * 16 + 4);
  }
  const out = ecb(key, input);
  const auth = new Uint8Array(16);
  const enc = new Uint8Array(32);
  for (let i = 0; i < 2; i++) auth.set(out.subarray(i * 16, i * 16 + 8), i * 8);
  for (let i = 0; i < 4; i++) enc.set(out.subarray((i + 2) * 16, (i + 2) * 16 + 8), i * 8);
  out.fill(0);
  return { auth, enc };
}

/** SCP uses AES-256 and 96-bit nonces only (WIRE-NOTES §6.3): @noble would also take AES-128 keys. */
export function checkArgs(key: Uint8Array, nonce: Uint8Array): void {
  checkKeyAndNonce("AES-256-GCM-SIV", key, nonce);
}
