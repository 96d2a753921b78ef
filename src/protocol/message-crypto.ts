// How one ENCRYPTED_MESSAGE is sealed and opened (WIRE-NOTES §6, §7): in one
// call into the message addon (crypto/message-native.ts, OpenSSL's primitives
// in C), or step by step in TypeScript over node:crypto — the fallback, and
// the oracle the addon is tested against (test/protocol-message-crypto.test.ts:
// the same bytes for the same keys and randomness). crypto/select.ts decides
// which one this process uses; Session (session.ts) keeps the state.
import type { KeyObject } from "node:crypto";
import { b64encode, ctEqual, wipe } from "./bytes.js";
import { doubleDecrypt, doubleEncrypt } from "./aead.js";
import { messageKeyFor } from "./chain.js";
import type { MessageAddon, NativeKey } from "./crypto/message-native.js";
import { messageNative } from "./crypto/select.js";
import { aadFor, encodeEncryptedMessage, hmacInputFor, malformedMessage, tryDecodeEncryptedMessage, type EncryptedMessageStrings, type MalformedWhy } from "./encrypted-message.js";
import { ratchet } from "./kdf.js";
import { hmac, randomBytes, x25519, x25519Ephemeral, x25519PrivateKeyObject, x25519PublicFromPrivate, x25519PublicKeyObject } from "./primitives.js";
import { MessageType } from "./constants.js";
import { SessionError } from "./errors.js";
import type { EncryptRandomness } from "./session-types.js";

export interface SealRequest {
  /** The send chain key before this message (not wiped here). */
  chainKey: Uint8Array;
  n: number;
  /** The peer's X25519 session key (WIRE-NOTES §6.2: every message's DH is with it). */
  peer: PeerKey;
  /** The HMAC key of WIRE-NOTES §6.5. */
  hmacKey: Uint8Array;
  inner: Uint8Array;
  rnd: EncryptRandomness;
}

/** Our X25519 session key as each implementation holds it (WIRE-NOTES §5.2: it never changes). */
export interface OwnKey {
  keyObject: KeyObject;
  native?: NativeKey;
}

/** The peer's X25519 session key as each implementation holds it. */
export interface PeerKey {
  keyObject: KeyObject;
  native?: NativeKey;
}

/** What open() refused: the ciphertext or padding, or (before any AEAD) the ephemeral key. */
export type OpenRefusal = "refused" | "bad_key";

/** What openNext() refused, in the order of WIRE-NOTES §7: a field's base64 or size (step 1), the HMAC (step 2), then open()'s. */
export type OpenNextRefusal = MalformedWhy | "hmac" | OpenRefusal;

export interface OpenNextRequest {
  /** The receive chain key for this message's counter (not wiped here). */
  chainKey: Uint8Array;
  own: OwnKey;
  /** The HMAC key of WIRE-NOTES §6.5. */
  hmacKey: Uint8Array;
  /** The counter and the base64 strings as received. */
  fields: EncryptedMessageStrings;
  /** 32 bytes: gets the chain key after this counter (WIRE-NOTES §7 step 8) when the message opens, else zeros. */
  next: Uint8Array;
}

export interface MessageCrypto {
  readonly name: "native" | "typescript";
  /** WIRE-NOTES §6 for counter n: the outer message, and the next send chain key (WIRE-NOTES §6.2). */
  seal(r: SealRequest): { wire: Uint8Array; next: Uint8Array };
  /** HMAC-SHA-512(key, input) equals mac, in constant time (WIRE-NOTES §6.5, §7 step 2). */
  macOk(key: Uint8Array, input: Uint8Array, mac: Uint8Array): boolean;
  /** Our session key for open(); `priv` raw bytes are the caller's to wipe. */
  ownKey(priv: KeyObject | Uint8Array): OwnKey;
  /** The peer's session key for seal(). */
  peerKey(pub: Uint8Array): PeerKey;
  /** Drops what ownKey() or peerKey() made (the session ends). */
  drop(key: OwnKey | PeerKey): void;
  /** WIRE-NOTES §7 steps 4–6: X25519 with the ephemeral key, the message key, the double AEAD open. */
  open(chainKey: Uint8Array, n: number, own: OwnKey, eph: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | OpenRefusal;
  /** The chain key after counter n (WIRE-NOTES §6.2). */
  ratchet(chainKey: Uint8Array, n: number): Uint8Array;
  /**
   * WIRE-NOTES §7 steps 1–6 for a message whose chain key is known (the next
   * counter in order), and the ratchet of step 8 into r.next: the plaintext,
   * or what refused it. The same as decoding the fields, macOk(), open() and
   * ratchet() in that order; the addon does it in one call.
   */
  openNext(r: OpenNextRequest): Uint8Array | OpenNextRefusal;
  /** Generates ephemeral X25519 key pairs ahead of need, up to `target`; how many are ready. */
  prepareEphemeral(target: number): number;
}

/** A fresh per-message X25519 key pair (SPEC §8.4), or the scripted one of a known-answer test. */
export function ephemeralFor(rnd: EncryptRandomness): { priv: Uint8Array | KeyObject; pub: Uint8Array } {
  if (rnd.ephemeralPrivateKey) {
    const priv = Uint8Array.from(rnd.ephemeralPrivateKey);
    return { priv, pub: x25519PublicFromPrivate(priv) };
  }
  const kp = x25519Ephemeral();
  return { priv: kp.privateKey, pub: kp.publicKey };
}

export const typescriptMessages: MessageCrypto = {
  name: "typescript",
  seal(r) {
    // Draw order as the reference: ephemeral key, then nonce (WIRE-NOTES §6.2).
    const eph = ephemeralFor(r.rnd);
    const nonce = r.rnd.nonce ? Uint8Array.from(r.rnd.nonce) : randomBytes(12);
    const key = messageKeyFor(r.chainKey, x25519(eph.priv, r.peer.keyObject), r.n);
    // The DH does not feed back into the chain (WIRE-NOTES §6.2).
    const next = ratchet(r.chainKey, r.n);
    if (eph.priv instanceof Uint8Array) wipe(eph.priv);
    const nonceB64 = b64encode(nonce);
    const ephB64 = b64encode(eph.pub);
    const ct = doubleEncrypt(key, nonce, r.inner, aadFor(MessageType.ENCRYPTED_MESSAGE, r.n, nonceB64, ephB64));
    wipe(key);
    const mac = b64encode(hmac("sha512", r.hmacKey, hmacInputFor(r.n, nonceB64, ephB64)));
    return { wire: encodeEncryptedMessage(r.n, nonceB64, b64encode(ct), ephB64, mac), next };
  },
  macOk: (key, input, mac) => ctEqual(hmac("sha512", key, input), mac),
  ownKey: (priv) => ({ keyObject: priv instanceof Uint8Array ? x25519PrivateKeyObject(priv) : priv }),
  peerKey: (pub) => ({ keyObject: x25519PublicKeyObject(pub) }),
  drop: () => undefined,
  open(chainKey, n, own, eph, nonce, ciphertext, aad) {
    let dh: Uint8Array;
    try {
      dh = x25519(own.keyObject, eph);
    } catch {
      // OpenSSL refuses a small-order key (an all-zero result, RFC 7748 §6.1).
      return "bad_key";
    }
    const key = messageKeyFor(chainKey, dh, n);
    try {
      return doubleDecrypt(key, nonce, ciphertext, aad);
    } catch {
      return "refused";
    } finally {
      wipe(key);
    }
  },
  ratchet,
  openNext(r) {
    return openNextStepwise(typescriptMessages, r);
  },
  prepareEphemeral: () => 0,
};

/** openNext() from the other parts of the contract, step by step (the TypeScript path; the oracle of the addon's). */
function openNextStepwise(impl: MessageCrypto, r: OpenNextRequest): Uint8Array | OpenNextRefusal {
  const m = tryDecodeEncryptedMessage(r.fields);
  const opened =
    typeof m === "string" ? m
    : !impl.macOk(r.hmacKey, hmacInputFor(m.counter, m.nonceB64, m.ephB64), m.mac) ? "hmac"
    : impl.open(r.chainKey, m.counter, r.own, m.eph, m.nonce, m.ciphertext, aadFor(MessageType.ENCRYPTED_MESSAGE, m.counter, m.nonceB64, m.ephB64));
  if (typeof opened === "string") {
    r.next.fill(0);
    return opened;
  }
  const next = impl.ratchet(r.chainKey, r.fields.counter);
  r.next.set(next);
  wipe(next);
  return opened;
}

/** openWire()'s refusals by code (message-native.ts). */
const WIRE_REFUSALS: readonly OpenNextRefusal[] = ["refused", "bad_key", "hmac", "bad base64", "field sizes"];

/** The addon's implementation of the same contract. */
export function nativeMessages(a: MessageAddon): MessageCrypto {
  return {
    name: "native",
    seal(r) {
      // The exact outer length (WIRE-NOTES §4.5): 245 + len(dec(n)) + 4*ceil(C/3), C = 64*floor(P/64) + 96.
      const ctLen = Math.floor(r.inner.length / 64) * 64 + 96;
      const out = new Uint8Array(245 + String(r.n).length + 4 * Math.ceil(ctLen / 3));
      const next = new Uint8Array(32);
      const w = a.sealMessage(r.chainKey, r.n, r.peer.native!, r.hmacKey, r.inner, out, next, r.rnd.ephemeralPrivateKey ?? null, r.rnd.nonce ?? null);
      return { wire: w === out.length ? out : out.subarray(0, w), next };
    },
    macOk: (key, input, mac) => a.macOk(key, input, mac),
    ownKey(priv) {
      const keyObject = priv instanceof Uint8Array ? x25519PrivateKeyObject(priv) : priv;
      // PKCS#8 of X25519 ends with the 32 raw bytes (RFC 8410); the copy in JavaScript is wiped at once.
      const raw = priv instanceof Uint8Array ? Uint8Array.from(priv) : new Uint8Array(keyObject.export({ format: "der", type: "pkcs8" }));
      try {
        return { keyObject, native: a.privateKey(raw.subarray(raw.length - 32)) };
      } finally {
        wipe(raw);
      }
    },
    peerKey: (pub) => ({ keyObject: x25519PublicKeyObject(pub), native: a.publicKey(pub) }),
    drop: (key) => {
      if (key.native) a.dropKey(key.native);
    },
    open(chainKey, n, own, eph, nonce, ciphertext, aad) {
      const out = new Uint8Array(Math.max(0, ciphertext.length - 32));
      const len = a.openMessage(chainKey, n, own.native!, eph, nonce, ciphertext, aad, out);
      return len >= 0 ? out.subarray(0, len) : len === -2 ? "bad_key" : "refused";
    },
    ratchet(chainKey, n) {
      const out = new Uint8Array(32);
      a.ratchet(chainKey, n, out);
      return out;
    },
    openNext(r) {
      const f = r.fields;
      // Enough for any plaintext the ciphertext string can hold (WIRE-NOTES §6.3: 32 bytes of tags).
      const out = new Uint8Array(Math.max(0, (f.ciphertextB64.length >>> 2) * 3 - 32));
      const len = a.openWire(r.chainKey, f.counter, r.own.native!, r.hmacKey, f.nonceB64, f.ciphertextB64, f.ephB64, f.macB64, out, r.next);
      return len >= 0 ? out.subarray(0, len) : WIRE_REFUSALS[-len - 1]!;
    },
    prepareEphemeral: (target) => a.refill(target),
  };
}

/** What this process uses (crypto/select.ts: the addon with the default backend, where it is built). */
export const messageCrypto: MessageCrypto = messageNative ? nativeMessages(messageNative) : typescriptMessages;

/** Ephemeral key pairs kept ready between messages (none on the TypeScript path). */
export const EPHEMERAL_POOL = 8;

/** Tops up the pool of ephemeral X25519 key pairs off the hot path (e.g. right after a send). */
export function prepareEphemeralKeys(target = EPHEMERAL_POOL): number {
  return messageCrypto.prepareEphemeral(target);
}

/** The SessionError for each refusal of a received message (WIRE-NOTES §7). */
export function refusalError(r: OpenNextRefusal): SessionError {
  switch (r) {
    case "bad base64":
    case "field sizes":
      return malformedMessage(r);
    case "hmac":
      return new SessionError("hmac_failed", "message authentication (HMAC) failed");
    case "bad_key":
      return new SessionError("decrypt_failed", "decryption failed (bad ephemeral key)");
    case "refused":
      return new SessionError("decrypt_failed", "decryption failed (ciphertext or padding)");
  }
}
