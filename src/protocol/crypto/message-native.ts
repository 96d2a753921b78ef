// The one-call ENCRYPTED_MESSAGE addon (native/message.c): WIRE-NOTES §6 on
// the sending side and §7 steps 2–6 on the receiving side, each in one call
// into OpenSSL's primitives, instead of a dozen node:crypto calls. Loaded
// once; null where it was not built or the CPU lacks PCLMULQDQ. select.ts
// decides whether messages use it (message-crypto.ts is the switch).
import { createRequire } from "node:module";

/** An opaque handle to an EVP_PKEY (freed, and so cleansed, when dropped or garbage-collected). */
export type NativeKey = { readonly __nativeKey: unique symbol };

export interface MessageAddon {
  available: boolean;
  /**
   * The whole outer ENCRYPTED_MESSAGE for counter n into `out` (WIRE-NOTES
   * §6.6; returns the bytes written) and the ratchet output into `next`.
   * `ephPriv` and `nonce` script the randomness (known-answer tests only).
   * Throws when X25519 refuses the peer key.
   */
  sealMessage(
    chainKey: Uint8Array,
    n: number,
    peerKey: NativeKey,
    hmacKey: Uint8Array,
    inner: Uint8Array,
    out: Uint8Array,
    next: Uint8Array,
    ephPriv: Uint8Array | null,
    nonce: Uint8Array | null,
  ): number;
  /** HMAC-SHA-512(key, input) equals mac, compared in constant time (WIRE-NOTES §6.5). */
  macOk(key: Uint8Array, input: Uint8Array, mac: Uint8Array): boolean;
  /** out = the chain key after counter n (WIRE-NOTES §6.2). */
  ratchet(chainKey: Uint8Array, n: number, out: Uint8Array): void;
  /**
   * X25519(ownKey, ephPub), the message key, then the double AEAD open into
   * out: the plaintext length, -1 when the ciphertext or padding is refused,
   * -2 when X25519 refuses the ephemeral key.
   */
  openMessage(chainKey: Uint8Array, n: number, ownKey: NativeKey, ephPub: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array, out: Uint8Array): number;
  /**
   * WIRE-NOTES §7 steps 1–6 and the ratchet of step 8 for a received message,
   * from its four base64 strings as received: the plaintext length in `out`
   * (and the chain key after n in `next`), or what refused it, in the order of
   * WIRE-NOTES §7: -4 a field is not strict base64, -5 the nonce or key has the
   * wrong size, -3 the HMAC, -2 X25519 refused the ephemeral key, -1 the
   * ciphertext or padding (`next` is then zeroed).
   */
  openWire(
    chainKey: Uint8Array,
    n: number,
    ownKey: NativeKey,
    hmacKey: Uint8Array,
    nonceB64: string,
    ciphertextB64: string,
    ephB64: string,
    macB64: string,
    out: Uint8Array,
    next: Uint8Array,
  ): number;
  /** A handle to an X25519 private key (the caller wipes `raw`). */
  privateKey(raw: Uint8Array): NativeKey;
  /** A handle to an X25519 public key. */
  publicKey(raw: Uint8Array): NativeKey;
  /** Frees (and so cleanses) the key now; later use throws. */
  dropKey(key: NativeKey): void;
  /** For bench/protocol.ts: CPU µs per call of [X25519 keygen, X25519 DH, one-block HKDF, HMAC-SHA-512, double seal, double open] of 512 bytes. */
  floors(iterations: number): [number, number, number, number, number, number];
  /** Pre-generates ephemeral X25519 key pairs (kept inside the addon) until `target` are ready; returns how many are. */
  refill(target: number): number;
  /**
   * Which X25519 this thread uses: "direct" (OpenSSL's own X25519 functions,
   * where the node binary exports them) or "evp" (EVP_PKEY). With an
   * argument, asks for one (tests run both); "direct" stays "evp" where it was not found.
   */
  x25519Path(want: "direct" | "evp" | null): "direct" | "evp";
  /**
   * For bench/protocol.ts: mean CPU µs inside sealMessage and openWire since
   * the last call (then reset), and the CPU µs of one clock reading; timing
   * stays on while `on` (each timed call takes two readings).
   */
  timeCalls(on: boolean): [number, number, number];
}

function load(): MessageAddon | null {
  try {
    const addon = createRequire(import.meta.url)("./native/message.node") as MessageAddon;
    return addon.available ? addon : null;
  } catch {
    return null;
  }
}

export const messageAddon: MessageAddon | null = load();
