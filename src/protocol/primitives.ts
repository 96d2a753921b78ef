// Thin wrappers over the primitives SCP uses (SPEC §7.1, §8.1), each from a
// library made for it (DEVELOPERS.md: never a hand-made primitive):
//   node:crypto (OpenSSL) for SHA-2/SHA-3, HMAC, HKDF, X25519;
//   @noble/post-quantum for ML-KEM-1024;
//   crypto/ for the two AEADs: ChaCha20-Poly1305 on OpenSSL, and AES-256-GCM-SIV
//   (Node 20's OpenSSL has none) from OpenSSL AES and our POLYVAL, with
//   @noble/ciphers as the reference (crypto/select.ts).
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes as nodeRandomBytes,
  type KeyObject,
} from "node:crypto";
import { ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import type { GcmSivBackendName } from "./crypto/backend.js";
import { gcmSiv } from "./crypto/select.js";

export function randomBytes(n: number): Uint8Array {
  const b = nodeRandomBytes(n);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A Uint8Array over the same memory as a Buffer OpenSSL just filled. Digests,
 * HMACs and DH outputs are returned as views, never copies: the caller's
 * wipe() must reach the only copy there is (SPEC §17: keys overwritten after
 * use), and no stray original is left behind for the garbage collector.
 */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// Hashes, HMAC and HKDF live in digests.ts (node:crypto only), so that the
// double AEAD can load them on a worker thread without ML-KEM and X25519.
export { hash, hashPrefix, hkdf, hkdfExpandOneBlock, hmac, type HashName } from "./digests.js";

// ---------------------------------------------------------------- X25519
// Raw keys cross into OpenSSL as JWK: importing JWK is ~10x faster than DER
// here, and it avoids KeyObject.export({format: "jwk"}), which deadlocked
// Node 20 on fresh keys. Fresh keys are generated with JWK
// output encoding instead.
const b64url = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
/** OpenSSL derives the public half from `d` on import; `x` is required by Node but unused. */
const JWK_X_PLACEHOLDER = b64url(new Uint8Array(32));

export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function x25519PrivateKeyObject(priv: Uint8Array): KeyObject {
  if (priv.length !== 32) throw new RangeError("X25519 private key must be 32 bytes");
  return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64url(priv), x: JWK_X_PLACEHOLDER }, format: "jwk" });
}

export function x25519PublicKeyObject(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new RangeError("X25519 public key must be 32 bytes");
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64url(pub) }, format: "jwk" });
}

// @types/node 20 lacks the JWK overloads of generateKeyPairSync.
type JwkPair<P> = { privateKey: P; publicKey: { x?: string } };
const generateJwk = generateKeyPairSync as unknown as <P>(type: "x25519", opts: object) => JwkPair<P>;

export function x25519Generate(): X25519KeyPair {
  const { privateKey, publicKey } = generateJwk<{ d?: string }>("x25519", {
    privateKeyEncoding: { format: "jwk" },
    publicKeyEncoding: { format: "jwk" },
  });
  return { privateKey: fromB64url(privateKey.d!), publicKey: fromB64url(publicKey.x!) };
}

/** A per-message key pair whose private half never leaves OpenSSL (SPEC §8.4). */
export function x25519Ephemeral(): { privateKey: KeyObject; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateJwk<KeyObject>("x25519", { publicKeyEncoding: { format: "jwk" } });
  return { privateKey, publicKey: fromB64url(publicKey.x!) };
}

export function x25519PublicFromPrivate(priv: Uint8Array): Uint8Array {
  const spki = createPublicKey(x25519PrivateKeyObject(priv)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/** X25519 shared secret. OpenSSL throws on an all-zero result (small-order peer key, RFC 7748 §6.1). */
export function x25519(priv: Uint8Array | KeyObject, pub: Uint8Array | KeyObject): Uint8Array {
  const privateKey = priv instanceof Uint8Array ? x25519PrivateKeyObject(priv) : priv;
  const publicKey = pub instanceof Uint8Array ? x25519PublicKeyObject(pub) : pub;
  return view(diffieHellman({ privateKey, publicKey }));
}

// ---------------------------------------------------------------- ML-KEM-1024 (FIPS 203)
export const MLKEM_PUBLIC_KEY_BYTES = 1568;
export const MLKEM_CIPHERTEXT_BYTES = 1568;

export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** KeyGen_internal(d, z) with seed = d || z (WIRE-NOTES §5.1, §16). */
export function mlkemKeygen(seed: Uint8Array = randomBytes(64)): KemKeyPair {
  return ml_kem1024.keygen(seed);
}

/** Encaps_internal(ek, m); validates ek (FIPS 203 modulus check) and throws on failure. */
export function mlkemEncapsulate(publicKey: Uint8Array, m: Uint8Array = randomBytes(32)): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== MLKEM_PUBLIC_KEY_BYTES) throw new RangeError("ML-KEM-1024 public key must be 1568 bytes");
  return ml_kem1024.encapsulate(publicKey, m);
}

export function mlkemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (cipherText.length !== MLKEM_CIPHERTEXT_BYTES) throw new RangeError("ML-KEM-1024 ciphertext must be 1568 bytes");
  return ml_kem1024.decapsulate(cipherText, secretKey);
}

// ---------------------------------------------------------------- AEADs
// The two AEADs of the double encryption live in crypto/, one module per
// backend (WIRE-NOTES §6.3); these names stay here for the callers that know
// the primitives by this module.
export { AuthenticationError } from "./crypto/backend.js";
export { chachaOpen, chachaSeal } from "./crypto/chacha20-poly1305.js";

/** RFC 8452 AES-256-GCM-SIV with the backend crypto/select.ts chose. */
export function gcmsivSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  return gcmSiv.seal(key, nonce, plaintext, aad);
}

/** Throws AuthenticationError when the tag does not verify, whichever backend runs. */
export function gcmsivOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  return gcmSiv.open(key, nonce, sealed, aad);
}

/** The name of the chosen AES-GCM-SIV backend ("clmul", "wasm" or "noble"). */
export const gcmSivBackend: GcmSivBackendName = gcmSiv.name;
