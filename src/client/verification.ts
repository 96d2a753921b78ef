// Binding the local user's verification answer to the fingerprint it answers
// (SPEC §7.3, WIRE-NOTES §10). An answer is the user's statement that *these*
// words match; applied to another session's words (a KEY_EXCHANGE_RESET and a
// new peer arriving while the answer was on its way) it would mark a stranger
// as verified. So an answer that names a fingerprint is applied only to that
// fingerprint, and an unnamed answer is held for later only while no
// fingerprint has been shown on this connection yet.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Fingerprint } from "../protocol/index.js";

/** The full SHA-256 behind the eight words (WIRE-NOTES §10), lowercase hex. */
export function fingerprintHex(fp: Fingerprint): string {
  return Buffer.from(fp.sha256.buffer, fp.sha256.byteOffset, fp.sha256.byteLength).toString("hex");
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Constant-time string equality (both sides hashed first, so lengths do not leak either). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Whether `given` names `fp`: the eight words (any whitespace between them) or
 * the full SHA-256 in hex (any case; spaces, ':' and '-' between groups
 * allowed). Both forms are compared, in constant time, whichever was given.
 */
export function namesFingerprint(given: string, fp: Fingerprint): boolean {
  const words = given.trim().split(/\s+/).join(" ");
  const hex = given.replace(/[\s:-]/g, "").toLowerCase();
  const byWords = sameText(words, fp.words.join(" "));
  const byHex = sameText(hex, fingerprintHex(fp));
  return byWords || byHex;
}

export type AnswerVerdict = { apply: true } | { hold: true } | { refuse: string };

export const STALE_ANSWER =
  "That answer was for fingerprint words that are no longer shown: the session changed (the peer left, or a new peer arrived) before it got here. Compare the current words and answer again.";
export const NO_FINGERPRINT_ANSWER =
  "That answer names fingerprint words, but no session is established right now (the session they belonged to has ended). Compare the words of the next session and answer again.";

/**
 * What to do with verify(answer, given): `current` is the fingerprint of the
 * established session (null without one), `shownBefore` whether a fingerprint
 * was shown on this connection already.
 */
export function judgeAnswer(current: Fingerprint | null, given: string | undefined, shownBefore: boolean): AnswerVerdict {
  if (current) {
    if (given === undefined || namesFingerprint(given, current)) return { apply: true };
    return { refuse: STALE_ANSWER };
  }
  if (given !== undefined) return { refuse: NO_FINGERPRINT_ANSWER };
  // Unnamed and nothing shown yet: an answer given in advance for the first fingerprint (docs/JSON-API.md).
  if (!shownBefore) return { hold: true };
  return { refuse: STALE_ANSWER };
}
