// The named parts of the client and how they reach one another. ClientCore
// (core.ts) is the façade the views use; wiring.ts builds one ClientParts per
// core. Every part is given this record (or the few parts it needs), never
// the core itself.
import { pyjson, toBytes, type JsonObject } from "../protocol/index.js";
import type { CallManager } from "./calls.js";
import type { ConnectionLifecycle } from "./connection-lifecycle.js";
import type { Continuity } from "./continuity.js";
import type { ClientContext } from "./context.js";
import type { EphemeralMode } from "./ephemeral-mode.js";
import type { HandshakeFlow } from "./handshake-flow.js";
import type { InboundLine } from "./inbound-line.js";
import type { Nicknames } from "./nicknames.js";
import type { HeldText, Outbox } from "./outbox.js";
import type { Reconnector } from "./reconnect.js";
import type { RekeyFlow } from "./rekey-flow.js";
import type { Unpaced } from "./pacing.js";
import type { PeerFeatures } from "./peer-features.js";
import type { Sender } from "./sender.js";
import type { SentTexts } from "./sent-texts.js";
import type { SessionLife } from "./session-life.js";
import type { Transfers } from "./transfers.js";
import type { VerificationFlow } from "./verification-flow.js";
import type { WritePath } from "./write-path.js";

export interface ClientParts {
  /** Settings, connection, phase and keys: the state the parts share. */
  readonly ctx: ClientContext;
  /** Connect, leave, emergency close, reset and teardown. */
  readonly lifecycle: ConnectionLifecycle;
  /** The key exchange in either role, up to KEY_EXCHANGE_COMPLETE. */
  readonly handshake: HandshakeFlow;
  /** Our verification answer and the peer's. */
  readonly verification: VerificationFlow;
  /** The continuity secret and proof of a verified reconnect. */
  readonly continuity: Continuity;
  /** Frames from the relay, strictly in arrival order. */
  readonly inbound: InboundLine;
  /** The paced send queue (250 ms tick, dummies). */
  readonly sender: Sender;
  /** Encrypt-and-write in counter order; the worker pool. */
  readonly writePath: WritePath;
  readonly rekeyFlow: RekeyFlow;
  readonly transfers: Transfers;
  readonly calls: CallManager;
  readonly nicknames: Nicknames;
  readonly ephemeral: EphemeralMode;
  readonly sentTexts: SentTexts;
  readonly peerFeatures: PeerFeatures;
  /** Sessions ending and starting across connections: the hooks for state kept between them. */
  readonly life: SessionLife;
  /** The automatic reconnect after an unexpected disconnect. */
  readonly reconnect: Reconnector;
  /** Texts held while the session is interrupted. */
  readonly outbox: Outbox;
}

/** Queues a text on the paced sender: `sent` when it leaves; back to the outbox if its session ends first. */
export function queueText(p: ClientParts, t: HeldText): void {
  p.sender.push({ inner: t.inner, onSent: (counter) => p.sentTexts.record(t.message_id, counter), onDropped: () => p.outbox.returned(t) });
}

/**
 * Queues an inner message on the paced sender (nothing without a session).
 * `auto`: a reply to peer input, capped (Sender.push); a refused one is
 * reported, never silently lost.
 */
export function queueInner(p: ClientParts, obj: JsonObject, auto = false, onSent?: (counter: number) => void, unpaced?: Unpaced): void {
  if (!p.ctx.session) return;
  const ok = p.sender.push({ inner: toBytes(pyjson(obj)), auto, onSent, unpaced });
  if (!ok) p.ctx.report("rate_limited", "Too many automatic replies are waiting; one was not sent.");
}
