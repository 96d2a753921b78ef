// How a call ends and why a call command is refused, in words users see.
import type { CallEndReason } from "./events.js";

/** What the user is told when a call ends, by reason. */
export const END_TEXT: Record<CallEndReason, string> = {
  hung_up: "You hung up.",
  peer_hung_up: "Your peer hung up.",
  declined: "You declined the call.",
  rejected: "Your peer declined the call.",
  canceled: "Your peer hung up before you answered.",
  no_answer: "Your peer did not answer.",
  missed: "You did not answer the call.",
  unsupported: "Your peer's audio settings are not supported.",
  reset: "Your peer left.",
  disconnected: "The connection closed.",
  emergency_close: "The session ended with an emergency close.",
};

/**
 * Why a call command was refused (CallError.kind): calls are turned off here,
 * there is no secure session, another call is in the way, there is no call
 * (or no incoming one) to act on, or the send queue refused the message.
 */
export type CallErrorKind = "calls_off" | "not_connected" | "call_in_progress" | "no_incoming_call" | "no_call" | "not_queued";

export class CallError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "CallError";
  }
}

