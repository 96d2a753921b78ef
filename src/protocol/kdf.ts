// Key schedule (WIRE-NOTES §5.2, §6.2, §9). Every function here is a direct
// transcription of one formula in those sections.
import { compareBytes, le64, toBytes } from "./bytes.js";
import { hash, hkdf } from "./primitives.js";

const enc = (s: string) => toBytes(s);

/** combined = HKDF-SHA-512(salt = K_kem, ikm = dh, "hybrid kem+x25519", 32) (SPEC §7.1). */
export function combineSecrets(kemShared: Uint8Array, dhShared: Uint8Array): Uint8Array {
  return hkdf("sha512", kemShared, dhShared, enc("hybrid kem+x25519"), 32);
}

export interface SessionKeys {
  encryptionSalt: Uint8Array;
  chainSalt: Uint8Array;
  /** The HMAC key of WIRE-NOTES §6.5, despite its name. */
  encryptionKey: Uint8Array;
  rootChainKey: Uint8Array;
}

/** Per-session salts from the sorted ML-KEM keys; chain salt per errata 2. */
export function deriveSessionKeys(combined: Uint8Array, ownKemPub: Uint8Array, peerKemPub: Uint8Array): SessionKeys {
  const [p0, p1] = compareBytes(ownKemPub, peerKemPub) <= 0 ? [ownKemPub, peerKemPub] : [peerKemPub, ownKemPub];
  const encryptionSalt = hash("sha512", p0, p1, enc("encryption_key_salt")).subarray(0, 32);
  const chainSalt = hash("sha512", p0, p1, enc("chain_key_salt")).subarray(0, 32);
  return {
    encryptionSalt,
    chainSalt,
    encryptionKey: hkdf("sha512", encryptionSalt, combined, enc("derive_root_encryption_mac_keys"), 32),
    rootChainKey: hkdf("sha3-512", chainSalt, combined, enc("chain_key_root"), 64),
  };
}

/** mixed = HKDF-SHA-512(salt = chain key, ikm = dh_m, "dr_mix_" || dec(n), 64). */
export function dhMix(chainKey: Uint8Array, dhShared: Uint8Array, n: number): Uint8Array {
  return hkdf("sha512", chainKey, dhShared, enc("dr_mix_" + n), 64);
}

/** message_key = HKDF-SHA-512(salt = LE64(n), ikm = mixed, "message_key_" || dec(n), 32). */
export function messageKey(mixed: Uint8Array, n: number): Uint8Array {
  return hkdf("sha512", le64(n), mixed, enc("message_key_" + n), 32);
}

/** Chain ratchet: 32-byte output; the DH mix never feeds back (errata 24). */
export function ratchet(chainKey: Uint8Array, n: number): Uint8Array {
  return hkdf("sha512", le64(n), chainKey, enc("chain_key_" + n), 32);
}

export interface RekeyKeys {
  encSalt: Uint8Array;
  chainSalt: Uint8Array;
  encryptionKey: Uint8Array;
  rootChainKey: Uint8Array;
}

const REKEY_ENC_SALT = hash("sha512", enc("enc_key_salt")).subarray(0, 32);
const REKEY_CHAIN_SALT = hash("sha512", enc("chain_salt")).subarray(0, 32);

/** Pending keys of a rekey: constant salts, SHA3-512, no DH (WIRE-NOTES §9, errata 16). */
export function deriveRekeyKeys(kemShared: Uint8Array): RekeyKeys {
  return {
    encSalt: REKEY_ENC_SALT,
    chainSalt: REKEY_CHAIN_SALT,
    encryptionKey: hkdf("sha3-512", REKEY_ENC_SALT, kemShared, enc("key_derivation"), 32),
    rootChainKey: hkdf("sha3-512", REKEY_CHAIN_SALT, kemShared, enc("chain_key_root"), 64),
  };
}
