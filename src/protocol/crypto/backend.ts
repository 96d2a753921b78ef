// The one shape every AEAD of the double encryption has (WIRE-NOTES §6.3:
// AES-256-GCM-SIV inside, ChaCha20-Poly1305 outside, both with 32-byte keys,
// 12-byte nonces and 16-byte tags appended to the ciphertext), and the one way
// each of them fails. Each backend lives in its own module; select.ts picks the
// AES-GCM-SIV backend once.

/**
 * An AEAD refused its input: a forged or damaged tag, a too-short ciphertext,
 * or bad padding after opening (WIRE-NOTES §6.3). Every backend's open() and
 * the worker pool throw exactly this class, so callers need one `instanceof`.
 * The message says nothing about which check failed beyond "padding", which
 * comes after both tags verified and so reveals nothing to a forger.
 */
export class AuthenticationError extends Error {
  constructor(message = "authentication failed") {
    super(message);
    this.name = "AuthenticationError";
  }
}

/** Seal and open with the tag appended: sealed = ciphertext || 16-byte tag. */
export interface Aead {
  /** Throws RangeError for a key or nonce outside SCP's sizes (32 and 12 bytes). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * The plaintext, or AuthenticationError when the tag does not verify (no
   * plaintext is returned or left behind). RangeError for a bad key or nonce size.
   */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** The AES-256-GCM-SIV implementations (RFC 8452), interchangeable byte for byte. */
export type GcmSivBackendName = "clmul" | "wasm" | "noble";

export interface GcmSivBackend extends Aead {
  readonly name: GcmSivBackendName;
  /** False when this machine cannot run it (addon not built, CPU without PCLMULQDQ, big-endian memory). */
  readonly available: boolean;
  /** What it is, in words a user reads in `pqchat selftest`. */
  readonly description: string;
}

/** SCP uses 256-bit keys and 96-bit nonces only (WIRE-NOTES §6.3); anything else is a caller's bug. */
export function checkKeyAndNonce(cipher: string, key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`${cipher} key must be 32 bytes`);
  if (nonce.length !== 12) throw new RangeError(`${cipher} nonce must be 12 bytes`);
}

export const TAG_BYTES = 16;
