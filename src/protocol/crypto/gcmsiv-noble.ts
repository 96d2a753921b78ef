// AES-256-GCM-SIV (RFC 8452) from @noble/ciphers, in pure JavaScript: the
// reference our two faster backends are tested against, and the last fallback
// (PQCHAT_AEAD=noble). Node 20's OpenSSL has no GCM-SIV of its own.
import { gcmsiv } from "@noble/ciphers/aes.js";
import { AuthenticationError, type GcmSivBackend } from "./backend.js";
import { checkArgs } from "./gcmsiv-keys.js";

export function gcmSivSealNoble(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  return gcmsiv(key, nonce, aad).encrypt(pt);
}

/** noble throws a plain Error on a bad tag or a short input; this backend throws AuthenticationError like the others. */
export function gcmSivOpenNoble(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  try {
    return gcmsiv(key, nonce, aad).decrypt(sealed);
  } catch {
    throw new AuthenticationError();
  }
}

export const nobleGcmSiv: GcmSivBackend = {
  name: "noble",
  available: true,
  description: "@noble/ciphers",
  seal: gcmSivSealNoble,
  open: gcmSivOpenNoble,
};
