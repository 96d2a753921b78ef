// What a user reads for a thrown error, and for an error kind, in every view.
// A thrown value is shown by its message (an Error with an empty message by its
// name); a kind of dropped frame or refusal by plain words. No imports except
// types and no Node built-ins: the GUI page loads this compiled module.
import type { ErrorKind } from "../client/events.js";

/**
 * The text of a thrown value: an Error's message (its name when the message is
 * empty); anything else as a string, or `fallback` when one is given (for
 * callers that never show a stringified non-Error).
 */
export function errorText(err: unknown, fallback?: string): string {
  if (err instanceof Error) return err.message || err.name;
  return fallback ?? String(err);
}

/** The machine-readable `kind` a thrown error carries, if it carries a string one. */
export function errorKindOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const kind = (err as { kind?: unknown }).kind;
  return typeof kind === "string" ? kind : undefined;
}

/** Error kinds (dropped frames, refusals) in plain words; a kind without an entry is shown as itself. */
export const ERROR_KIND_WORDS: Partial<Record<ErrorKind, string>> = {
  rate_limited: "rate limited",
  oversize: "too large",
  unexpected_field: "unexpected field",
  unexpected_inner_field: "unexpected field inside the encrypted message",
  hmac_failed: "integrity check (HMAC) failed",
  decrypt_failed: "could not be decrypted",
  replay: "replayed (counter already seen)",
  out_of_window: "counter out of window",
  malformed: "malformed",
  unknown_type: "unknown message type",
  bad_filename: "unsafe file name",
  file_too_large: "file too large",
  hash_mismatch: "hash mismatch",
  chunk_rejected: "file chunk rejected",
  version_mismatch: "protocol version mismatch",
  protocol_violation: "protocol violation",
};

/** The plain words for an error kind (the kind itself when it has none). */
export function errorKindWords(kind: string): string {
  return (ERROR_KIND_WORDS as Record<string, string | undefined>)[kind] ?? kind;
}
