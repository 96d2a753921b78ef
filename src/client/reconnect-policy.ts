// Which endings of a connection are followed by an automatic reconnect
// (reconnect.ts). Retrying is for what time can fix: a link that dropped, a
// relay that went silent, was restarted or is shutting down (drain), a relay
// that is full or cannot place the room right now. It is never for what the
// user chose (leaving, an emergency close on either side), nor for what a new
// connection would only repeat: a room code the relay refuses, a protocol the
// relay does not speak, a relay or peer breaking the protocol.
import { ServerText } from "../protocol/index.js";

export type ConnectionEnd =
  /** Nothing said why: the socket closed or failed, or the relay went silent (liveness.ts). */
  | { kind: "lost" }
  /** The user left (disconnect, quit, declining a rekey) or a rekey failed: a deliberate end. */
  | { kind: "left" }
  /** Our or the peer's EMERGENCY_CLOSE. */
  | { kind: "emergency" }
  /** SERVER_FULL. */
  | { kind: "full" }
  /** SERVER_DISCONNECT with the relay's reason. */
  | { kind: "server"; reason: string }
  /** The relay broke the protocol (a frame over the limit) or speaks a different major version. */
  | { kind: "fatal" };

/**
 * SERVER_DISCONNECT reasons that a new connection would only meet again (the
 * texts of src/server/notices.ts and the reference's ServerText): the room
 * code is refused, or the relay counted our frames as a protocol violation.
 * Every other reason — shutting down, keepalive or key exchange timeouts,
 * eviction, no partner in time, too many waiting, a room that cannot be placed
 * right now, a reason we do not know — is worth another try.
 */
const FINAL_SERVER_REASONS: readonly RegExp[] = [/^Invalid room code/, /^Frame too large/, new RegExp(`^${ServerText.tooManyUnexpected}`)];

export function retryable(end: ConnectionEnd): boolean {
  switch (end.kind) {
    case "lost":
    case "full":
      return true;
    case "server":
      return !FINAL_SERVER_REASONS.some((r) => r.test(end.reason));
    case "left":
    case "emergency":
    case "fatal":
      return false;
  }
}
