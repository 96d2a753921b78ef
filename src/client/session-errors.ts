// How a frame the ratchet refused is reported: each SessionError kind of the
// protocol layer maps to the ErrorKind views see. The map is total over
// SessionErrorKind, so a kind added to the protocol fails to compile here
// until it is given a meaning for the user.
import type { SessionError, SessionErrorKind } from "../protocol/index.js";
import type { ErrorKind } from "./events.js";

export const SESSION_ERROR_KIND: Record<SessionErrorKind, ErrorKind> = {
  malformed: "malformed",
  hmac_failed: "hmac_failed",
  replay: "replay",
  out_of_window: "out_of_window",
  decrypt_failed: "decrypt_failed",
  invalid_utf8: "malformed",
  not_ready: "protocol_violation",
};

export function sessionErrorKind(err: SessionError): ErrorKind {
  return SESSION_ERROR_KIND[err.kind];
}
