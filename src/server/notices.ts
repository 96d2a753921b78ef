// What the relay says when it ends a connection: the SERVER_DISCONNECT texts
// of its own (the reference's are in ServerText, src/protocol/control.ts), each
// notice encoded once as a frame, and the stats reason each notice counts as.
// Every frame here is shared between connections and never mutated.
import { keepAlive, initiateKeyExchange, keyExchangeComplete, keyExchangeReset, serverDisconnect, serverError, serverFull, ServerText, serverVersionInfo } from "../protocol/control.js";
import { encodeFrame } from "../protocol/frame.js";
import { DisconnectReason } from "./stats.js";

/** SERVER_DISCONNECT reasons and unexpected-message suffixes of our own (not in the reference). */
export const Reason = {
  frameTooLarge: (max: number) => `Frame too large: the limit is ${max} bytes`,
  frameTimeout: "Frame timeout: incomplete frame",
  exchangeTimeout: "Key exchange timeout",
  invalidRoom: "Invalid room code",
  lateJoin: "Room request arrived too late: reconnect and send JOIN first",
  evicted: "Server full: a new client needed the place of a client waiting for a partner",
  waitedTooLong: "No partner arrived in time: reconnect to wait again",
  tooManyWaiting: "Too many clients waiting from this address",
  unroutable: "The relay cannot place this room right now: try again shortly",
  /** Suffix after "Too many unexpected messages" for frames dropped after the exchange. */
  unexpectedAfterExchange: "unexpected message after key exchange",
} as const;

export const frame = (payload: Uint8Array): Buffer => Buffer.from(encodeFrame(payload));

/** Constant frames, encoded once and shared (never mutated). */
export const F = {
  version: frame(serverVersionInfo()),
  initiate: frame(initiateKeyExchange()),
  complete: frame(keyExchangeComplete()),
  reset: frame(keyExchangeReset()),
  full: frame(serverFull()),
  noPeer: frame(serverError(ServerText.exchangeFailedNoPeer)),
  shutdown: frame(serverDisconnect(ServerText.shuttingDown)),
  keepaliveTimeout: frame(serverDisconnect(ServerText.keepaliveTimeout)),
  exchangeTimeout: frame(serverDisconnect(Reason.exchangeTimeout)),
  frameTimeout: frame(serverDisconnect(Reason.frameTimeout)),
  invalidRoom: frame(serverDisconnect(Reason.invalidRoom)),
  lateJoin: frame(serverDisconnect(Reason.lateJoin)),
  evicted: frame(serverDisconnect(Reason.evicted)),
  waitedTooLong: frame(serverDisconnect(Reason.waitedTooLong)),
  tooManyWaiting: frame(serverDisconnect(Reason.tooManyWaiting)),
  unroutable: frame(serverDisconnect(Reason.unroutable)),
  internal: frame(serverDisconnect(ServerText.defaultDisconnect)),
};

/** The stats reason of each SERVER_DISCONNECT notice the relay sends (by identity). */
export const NOTICE_REASON = new Map<Buffer, string>([
  [F.shutdown, DisconnectReason.shutdown],
  [F.keepaliveTimeout, DisconnectReason.keepaliveTimeout],
  [F.exchangeTimeout, DisconnectReason.exchangeTimeout],
  [F.frameTimeout, DisconnectReason.frameTimeout],
  [F.invalidRoom, DisconnectReason.invalidJoin],
  [F.lateJoin, DisconnectReason.lateJoin],
  [F.internal, DisconnectReason.internalError],
  [F.evicted, DisconnectReason.evicted],
  [F.waitedTooLong, DisconnectReason.maxWait],
  [F.tooManyWaiting, DisconnectReason.waitingPerAddress],
  [F.full, DisconnectReason.serverFull],
]);

const tooMany = new Map<string, Buffer>();
export function tooManyFrame(suffix: string): Buffer {
  let f = tooMany.get(suffix);
  if (f === undefined) {
    // No separator, exactly like the reference (WIRE-NOTES §15.14).
    f = frame(serverDisconnect(ServerText.tooManyUnexpected + suffix));
    tooMany.set(suffix, f);
    NOTICE_REASON.set(f, DisconnectReason.tooManyUnexpected);
  }
  return f;
}

/** SERVER_DISCONNECT "Frame too large" for this relay's limit, counted as frameTooLarge. */
export function frameTooLargeFrame(maxFrame: number): Buffer {
  const f = frame(serverDisconnect(Reason.frameTooLarge(maxFrame)));
  NOTICE_REASON.set(f, DisconnectReason.frameTooLarge);
  return f;
}

/** A KEEP_ALIVE probe carrying the current time (SPEC §10). */
export function keepAliveFrame(): Buffer {
  return frame(keepAlive(Date.now()));
}
