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

/** The fields of a received ENCRYPTED_MESSAGE as received: the counter and the four base64 strings. */
export interface EncryptedMessageStrings {
  counter: number;
  nonceB64: string;
  ciphertextB64: string;
  ephB64: string;
  macB64: string;
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

/** Why a received ENCRYPTED_MESSAGE is malformed (WIRE-NOTES §7 step 1), in the words of its SessionError. */
export type MalformedWhy = "bad base64" | "field sizes";

export function malformedMessage(why?: MalformedWhy): SessionError {
  return new SessionError("malformed", why ? `malformed encrypted message (${why})` : "malformed encrypted message");
}

/** WIRE-NOTES §7 step 1, the JSON types: SessionError "malformed" unless every field has its type. */
export function encryptedMessageStrings(outer: JsonObject): EncryptedMessageStrings {
  const { counter, nonce: nonceB64, ciphertext: ciphertextB64, dh_public_key: ephB64, verification: macB64 } = outer;
  if (
    typeof counter !== "number" || !Number.isSafeInteger(counter) || counter < 1 ||
    typeof nonceB64 !== "string" || typeof ciphertextB64 !== "string" ||
    typeof ephB64 !== "string" || typeof macB64 !== "string"
  ) {
    throw malformedMessage();
  }
  return { counter, nonceB64, ciphertextB64, ephB64, macB64 };
}

/**
 * WIRE-NOTES §7 step 1, stricter than the reference: every base64 field is
 * decoded strictly and the nonce and key must have their sizes; else why not.
 * Nothing has been computed yet.
 */
export function tryDecodeEncryptedMessage(f: EncryptedMessageStrings): EncryptedMessageFields | MalformedWhy {
  let nonce: Uint8Array, ciphertext: Uint8Array, eph: Uint8Array, mac: Uint8Array;
  try {
    nonce = b64decodeStrict(f.nonceB64);
    ciphertext = b64decodeStrict(f.ciphertextB64);
    eph = b64decodeStrict(f.ephB64);
    mac = b64decodeStrict(f.macB64);
  } catch {
    return "bad base64";
  }
  if (nonce.length !== 12 || eph.length !== 32) return "field sizes";
  return { counter: f.counter, nonceB64: f.nonceB64, ephB64: f.ephB64, nonce, ciphertext, eph, mac };
}

/** tryDecodeEncryptedMessage, with SessionError "malformed" for a refusal. */
export function decodeEncryptedMessage(f: EncryptedMessageStrings): EncryptedMessageFields {
  const m = tryDecodeEncryptedMessage(f);
  if (typeof m === "string") throw malformedMessage(m);
  return m;
}

/** Both steps of WIRE-NOTES §7 step 1. */
export function parseEncryptedMessage(outer: JsonObject): EncryptedMessageFields {
  return decodeEncryptedMessage(encryptedMessageStrings(outer));
}
