// Hybrid ML-KEM-1024 + X25519 key exchange (SPEC §7, WIRE-NOTES §5).
// The initiator sends KEY_EXCHANGE_INIT; the responder answers with
// KEY_EXCHANGE_RESPONSE; both derive identical session keys (WIRE-NOTES §5.2).
import { b64decodeStrict, b64encode, toBytes, wipe } from "./bytes.js";
import { PROTOCOL_VERSION } from "./constants.js";
import { HandshakeError } from "./errors.js";
import { deriveContinuitySecret } from "./continuity.js";
import { sessionFingerprint } from "./fingerprint.js";
import { combineSecrets, deriveSessionKeys } from "./kdf.js";
import {
  MLKEM_CIPHERTEXT_BYTES,
  MLKEM_PUBLIC_KEY_BYTES,
  mlkemDecapsulate,
  mlkemEncapsulate,
  mlkemKeygen,
  x25519,
  x25519Ephemeral,
  x25519PrivateKeyObject,
  x25519PublicFromPrivate,
} from "./primitives.js";
import type { KeyObject } from "node:crypto";
import type { JsonObject } from "./pyjson.js";
import { Session, type SessionOptions } from "./session.js";

/** Scripted randomness for known-answer tests; production draws everything fresh. */
export interface HandshakeRandomness {
  kemSeed?: Uint8Array; // d || z, 64 bytes
  x25519Private?: Uint8Array;
  encapsM?: Uint8Array; // responder only
}

/** The session X25519 key pair; the private half stays inside OpenSSL (no re-import later). */
interface SessionKeyPair {
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

function sessionKeyPair(rnd: HandshakeRandomness): SessionKeyPair {
  if (rnd.x25519Private) {
    return { privateKey: x25519PrivateKeyObject(rnd.x25519Private), publicKey: x25519PublicFromPrivate(rnd.x25519Private) };
  }
  return x25519Ephemeral();
}

function field(obj: JsonObject, name: string, len: number): Uint8Array {
  const v = obj[name];
  if (typeof v !== "string") throw new HandshakeError("malformed", `key exchange message lacks "${name}"`);
  let b: Uint8Array;
  try {
    b = b64decodeStrict(v);
  } catch {
    throw new HandshakeError("malformed", `key exchange field "${name}" is not valid base64`);
  }
  if (b.length !== len) throw new HandshakeError("malformed", `key exchange field "${name}" has ${b.length} bytes, expected ${len}`);
  return b;
}

/** The peer's announced version, or null when absent (the reference requires it; we only warn). */
export function peerVersion(obj: JsonObject): string | null {
  return typeof obj["version"] === "string" ? obj["version"] : null;
}

function establish(
  kemShared: Uint8Array,
  dhShared: Uint8Array,
  own: { kemPub: Uint8Array; session: SessionKeyPair },
  peer: { kemPub: Uint8Array; sessionPub: Uint8Array },
  opts: SessionOptions,
): Session {
  const combined = combineSecrets(kemShared, dhShared);
  const keys = deriveSessionKeys(combined, own.kemPub, peer.kemPub);
  const transcript = sessionFingerprint({ ownKemPublicKey: own.kemPub, peerKemPublicKey: peer.kemPub, ownSessionPublicKey: own.session.publicKey, peerSessionPublicKey: peer.sessionPub });
  // pqchat's verified reconnect (continuity.ts): derived here because `combined` is wiped below.
  const continuitySecret = deriveContinuitySecret(combined, transcript.sha256);
  const session = new Session(
    {
      encryptionKey: keys.encryptionKey,
      rootChainKey: keys.rootChainKey,
      ownSessionPrivateKey: own.session.privateKey,
      ownSessionPublicKey: own.session.publicKey,
      peerSessionPublicKey: peer.sessionPub,
      ownKemPublicKey: own.kemPub,
      peerKemPublicKey: peer.kemPub,
      continuitySecret,
    },
    opts,
  );
  wipe(combined, keys.encryptionKey, keys.rootChainKey, kemShared, dhShared, continuitySecret);
  return session;
}

/** Initiator side: create with `new Initiator()`, send `.initMessage`, then `.finish(response)`. */
export class Initiator {
  readonly initMessage: Uint8Array;
  private kem: { publicKey: Uint8Array; secretKey: Uint8Array } | null;
  private readonly session: SessionKeyPair;

  constructor(rnd: HandshakeRandomness = {}, private readonly opts: SessionOptions = {}) {
    this.kem = mlkemKeygen(rnd.kemSeed);
    this.session = sessionKeyPair(rnd);
    // "version" before "type" (WIRE-NOTES §4.4).
    this.initMessage = toBytes(
      `{"version": "${PROTOCOL_VERSION}", "type": 5, "public_key": "${b64encode(this.kem.publicKey)}", "dh_public_key": "${b64encode(this.session.publicKey)}"}`,
    );
  }

  /** Completes the exchange from a parsed KEY_EXCHANGE_RESPONSE. Usable once. */
  finish(response: JsonObject): Session {
    if (!this.kem) throw new HandshakeError("state", "key exchange already finished");
    const ct = field(response, "ciphertext", MLKEM_CIPHERTEXT_BYTES);
    const peerKemPub = field(response, "public_key", MLKEM_PUBLIC_KEY_BYTES);
    const peerSessionPub = field(response, "dh_public_key", 32);
    let dh: Uint8Array;
    try {
      dh = x25519(this.session.privateKey, peerSessionPub);
    } catch {
      throw new HandshakeError("bad_key", "peer's X25519 key is invalid");
    }
    const kemShared = mlkemDecapsulate(ct, this.kem.secretKey);
    const kem = this.kem;
    this.kem = null;
    const s = establish(kemShared, dh, { kemPub: kem.publicKey, session: this.session }, { kemPub: peerKemPub, sessionPub: peerSessionPub }, this.opts);
    wipe(kem.secretKey);
    return s;
  }

  /** Abandons the exchange and wipes its secrets. */
  dispose(): void {
    if (this.kem) wipe(this.kem.secretKey);
    this.kem = null;
  }
}

/**
 * Responder side (WIRE-NOTES §5.1 step 4): a fresh, otherwise unused ML-KEM key pair of
 * our own enters the salts and the fingerprint (errata 18).
 */
export function respond(init: JsonObject, rnd: HandshakeRandomness = {}, opts: SessionOptions = {}): { response: Uint8Array; session: Session } {
  const peerKemPub = field(init, "public_key", MLKEM_PUBLIC_KEY_BYTES);
  const peerSessionPub = field(init, "dh_public_key", 32);
  const ownKem = mlkemKeygen(rnd.kemSeed);
  wipe(ownKem.secretKey);
  const own = sessionKeyPair(rnd);
  let dh: Uint8Array;
  try {
    dh = x25519(own.privateKey, peerSessionPub);
  } catch {
    throw new HandshakeError("bad_key", "peer's X25519 key is invalid");
  }
  let enc: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    enc = mlkemEncapsulate(peerKemPub, rnd.encapsM);
  } catch {
    throw new HandshakeError("bad_key", "peer's ML-KEM public key is invalid");
  }
  const ownSessionPub = own.publicKey;
  const session = establish(enc.sharedSecret, dh, { kemPub: ownKem.publicKey, session: own }, { kemPub: peerKemPub, sessionPub: peerSessionPub }, opts);
  const response = toBytes(
    `{"version": "${PROTOCOL_VERSION}", "type": 4, "ciphertext": "${b64encode(enc.cipherText)}", "public_key": "${b64encode(ownKem.publicKey)}", "dh_public_key": "${b64encode(ownSessionPub)}"}`,
  );
  return { response, session };
}
