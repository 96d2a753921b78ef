// The ENCRYPTED_MESSAGE codec (WIRE-NOTES §4.5, §6.4–6.6, §7 step 1): the
// outer JSON, the AAD and the HMAC input, all byte-exact pyjson built as
// templates of integers and base64 strings (nothing in them needs escaping).
import { b64decodeStrict, toBytes } from "./bytes.js";
import { SessionError } from "./errors.js";
import type { JsonObject } from "./pyjson.js";

/** AAD (WIRE-NOTES §6.4), the same for both AEAD layers; `type` is 10 or 23. */
export function aadFor(type: number, counter: number, nonceB64: string, ephB64: string): Uint8Array {
  return toBytes(`{"type": ${type}, "counter": ${counter}, "nonce": "${nonceB64}", "dh_public_key": "${ephB64}"}`);
}

/** HMAC input (WIRE-NOTES §6.5), over the strings exactly as received. */
export function hmacInputFor(counter: number, nonceB64: string, ephB64: string): Uint8Array {
  return toBytes(`{"counter": ${counter}, "nonce": "${nonceB64}", "dh_public_key": "${ephB64}"}`);
}

/** The outer message (WIRE-NOTES §6.6), field order as the reference. */
export function encodeEncryptedMessage(counter: number, nonceB64: string, ciphertextB64: string, ephB64: string, macB64: string): Uint8Array {
  return toBytes(
    `{"type": 10, "counter": ${counter}, "nonce": "${nonceB64}", "ciphertext": "${ciphertextB64}", "dh_public_key": "${ephB64}", "verification": "${macB64}"}`,
  );
}

/** A received ENCRYPTED_MESSAGE: the strings as received (the HMAC covers those) and their decoded bytes. */
export interface EncryptedMessageFields {
  counter: number;
  nonceB64: string;
  ephB64: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  eph: Uint8Array;
  mac: Uint8Array;
}

/**
 * WIRE-NOTES §7 step 1, stricter than the reference: every base64 field is
 * decoded strictly and the nonce and key must have their sizes. SessionError
 * "malformed" otherwise; nothing has been computed yet.
 */
export function parseEncryptedMessage(outer: JsonObject): EncryptedMessageFields {
  const { counter, nonce: nonceB64, ciphertext: ctB64, dh_public_key: ephB64, verification: macB64 } = outer;
  if (
    typeof counter !== "number" || !Number.isSafeInteger(counter) || counter < 1 ||
    typeof nonceB64 !== "string" || typeof ctB64 !== "string" ||
    typeof ephB64 !== "string" || typeof macB64 !== "string"
  ) {
    throw new SessionError("malformed", "malformed encrypted message");
  }
  let nonce: Uint8Array, ciphertext: Uint8Array, eph: Uint8Array, mac: Uint8Array;
  try {
    nonce = b64decodeStrict(nonceB64);
    ciphertext = b64decodeStrict(ctB64);
    eph = b64decodeStrict(ephB64);
    mac = b64decodeStrict(macB64);
  } catch {
    throw new SessionError("malformed", "malformed encrypted message (bad base64)");
  }
  if (nonce.length !== 12 || eph.length !== 32) throw new SessionError("malformed", "malformed encrypted message (field sizes)");
  return { counter, nonceB64, ephB64, nonce, ciphertext, eph, mac };
}
