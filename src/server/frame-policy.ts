// What the relay does with each frame from a registered client: WIRE-NOTES §11
// "for every frame received from a registered client", hardened against the
// reference's bugs (WIRE-NOTES §15.2: it relays types 1 and 3 and unparsable
// frames during the exchange; clients could make it relay server-control
// types). A pure decision, so the whole table is visible in one place.
import { MessageType, SERVER_CONTROL_TYPES } from "../protocol/constants.js";
import { ServerText } from "../protocol/control.js";
import type { Classified } from "./classify.js";
import { Reason } from "./notices.js";

export type FrameAction =
  /** A KEEP_ALIVE_RESPONSE to the probe outstanding. */
  | { readonly do: "keepalive-answered" }
  /** Forward the frame verbatim to the partner. */
  | { readonly do: "relay" }
  /** KEY_EXCHANGE_INIT or KEY_EXCHANGE_RESPONSE before the exchange completed. */
  | { readonly do: "key-exchange"; readonly type: number }
  /** CLIENT_DISCONNECT: the client leaves. */
  | { readonly do: "disconnect" }
  /** Counted against the client's allowance of unexpected messages. */
  | { readonly do: "unexpected"; readonly suffix: string };

const RELAY: FrameAction = { do: "relay" };
const DISCONNECT: FrameAction = { do: "disconnect" };
const ANSWERED: FrameAction = { do: "keepalive-answered" };
const DURING_EXCHANGE: FrameAction = { do: "unexpected", suffix: ServerText.unexpectedDuringExchange };
const AFTER_EXCHANGE: FrameAction = { do: "unexpected", suffix: Reason.unexpectedAfterExchange };
const UNASKED_KEEPALIVE: FrameAction = { do: "unexpected", suffix: ServerText.keepaliveWithoutRequest };
const EARLY_VERIFICATION: FrameAction = { do: "unexpected", suffix: ServerText.verificationBeforeExchange };

/**
 * The action for a frame of class `cls` from a client whose key exchange is
 * `complete` (or not) and who does (or does not) owe a keepalive answer.
 */
export function frameAction(cls: Classified, complete: boolean, keepaliveOutstanding: boolean): FrameAction {
  if (cls.kind !== "typed") {
    // Before completion the reference relays frames that do not parse; we
    // count them (no honest client sends any then).
    if (!complete) return DURING_EXCHANGE;
    return cls.kind === "malformed" ? AFTER_EXCHANGE : RELAY; // binary (FILE_CHUNK) or other opaque data
  }
  const t = cls.type;
  if (t === MessageType.KEEP_ALIVE_RESPONSE) return keepaliveOutstanding ? ANSWERED : UNASKED_KEEPALIVE;
  if (t === MessageType.KEY_VERIFICATION) return complete ? RELAY : EARLY_VERIFICATION;
  if (t === MessageType.CLIENT_DISCONNECT) return DISCONNECT;
  if (!complete) {
    if (t === MessageType.KEY_EXCHANGE_INIT || t === MessageType.KEY_EXCHANGE_RESPONSE) return { do: "key-exchange", type: t };
    return DURING_EXCHANGE; // includes types 1 and 3, which the reference relays here
  }
  if (SERVER_CONTROL_TYPES.has(t) || t === MessageType.JOIN) return AFTER_EXCHANGE;
  return RELAY;
}
