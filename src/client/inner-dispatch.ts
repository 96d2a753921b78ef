// Encrypted traffic (SPEC §8, WIRE-NOTES §7, §12.4): an ENCRYPTED_MESSAGE is
// decrypted, its inner JSON checked against the allow-list (WIRE-NOTES §12.3)
// and handed to the part that owns its type. The handlers are one table keyed
// by inner message type: a new type adds one entry here (and its event in
// ClientEventMap); an unknown type is reported and dropped.
import { randomBytes } from "node:crypto";
import { CONTINUITY_PROOF_TYPE, MessageType, PQCHAT_PEER_MARKER_TYPE, SessionError, type JsonObject } from "../protocol/index.js";
import { checkInner } from "./inbound.js";
import { queueInner, type ClientParts } from "./parts.js";
import { sessionErrorKind } from "./session-errors.js";

type InnerHandler = (p: ClientParts, obj: JsonObject, counter: number, type: number) => void;

const onText: InnerHandler = (p, obj, counter) => {
  const text = obj["text"];
  if (typeof text !== "string") return p.ctx.report("malformed", "Dropped a text message without text.");
  const { ctx } = p;
  const message_id = randomBytes(8).toString("hex");
  const ephemeral = p.ephemeral.track(message_id, "in");
  ctx.emit("message", { text, nickname: p.nicknames.peer, peer_key_verified: p.verification.localVerified, counter, message_id, ephemeral });
  if (ctx.deliveryReceipts && ctx.session) {
    // The reference confirms its highest counter right after decrypting (WIRE-NOTES §4.6, §15.16).
    queueInner(p, { type: MessageType.DELIVERY_CONFIRMATION, confirmed_counter: ctx.session.state.peerCounter }, true);
  }
};

const onDeliveryConfirmation: InnerHandler = (p, obj) => {
  const c = obj["confirmed_counter"];
  if (typeof c !== "number" || !Number.isSafeInteger(c)) return p.ctx.report("malformed", "Dropped a malformed delivery confirmation.");
  p.sentTexts.onConfirmation(c);
};

/** FILE_ACCEPT, FILE_REJECT, FILE_COMPLETE: each names a transfer. */
const onFileAnswer: InnerHandler = (p, obj, _counter, type) => {
  const id = obj["transfer_id"];
  if (typeof id !== "string") return p.ctx.report("malformed", "Dropped a file message without a transfer id.");
  if (type === MessageType.FILE_ACCEPT) return p.transfers.onAccept(id, obj);
  if (type === MessageType.FILE_COMPLETE) return p.transfers.onComplete(id);
  const reason = obj["reason"];
  p.transfers.onReject(id, (typeof reason === "string" ? reason : "Rejected").slice(0, 200));
};

// With calls off (the terminal client), INIT is rejected politely (WIRE-NOTES §4.6).
const onCallMessage: InnerHandler = (p, obj, _counter, type) => p.calls.onMessage(type, obj);

const INNER_HANDLERS: ReadonlyMap<number, InnerHandler> = new Map<number, InnerHandler>([
  [MessageType.TEXT_MESSAGE, onText],
  [MessageType.DUMMY_MESSAGE, () => undefined],
  // A dummy that says the peer is pqchat (peer-features.ts).
  [PQCHAT_PEER_MARKER_TYPE, (p) => p.peerFeatures.onPeerMarker()],
  [MessageType.DELIVERY_CONFIRMATION, onDeliveryConfirmation],
  [MessageType.NICKNAME_CHANGE, (p, obj) => p.nicknames.onPeer(obj, p.verification.localVerified)],
  [MessageType.EPHEMERAL_MODE_CHANGE, (p, obj) => p.ephemeral.onPeer(obj)],
  [MessageType.EMERGENCY_CLOSE, (p) => p.lifecycle.onPeerEmergencyClose()],
  [MessageType.REKEY, (p, obj) => p.rekeyFlow.onMessage(obj)],
  [
    MessageType.FILE_METADATA,
    (p, obj) =>
      p.transfers.onMetadata(obj, p.ctx.acceptFiles, p.verification.localVerified, { carried: p.continuity.state === "carried", peerIsPqchat: p.continuity.peerIsPqchat }),
  ],
  [MessageType.FILE_ACCEPT, onFileAnswer],
  [MessageType.FILE_REJECT, onFileAnswer],
  [MessageType.FILE_COMPLETE, onFileAnswer],
  [MessageType.VOICE_CALL_INIT, onCallMessage],
  [MessageType.VOICE_CALL_ACCEPT, onCallMessage],
  [MessageType.VOICE_CALL_REJECT, onCallMessage],
  [MessageType.VOICE_CALL_DATA, onCallMessage],
  [MessageType.VOICE_CALL_END, onCallMessage],
  // Spec-style encrypted verification (SPEC §5); the reference sends it in plaintext.
  [MessageType.KEY_VERIFICATION, (p, obj) => p.verification.onPeer(obj["verified"])],
  // pqchat's verified reconnect (docs/PROTOCOL-EXTENSIONS.md §4).
  [CONTINUITY_PROOF_TYPE, (p, obj) => p.continuity.onProof(obj)],
]);

/** One decrypted inner message, by type. */
export function dispatchInner(p: ClientParts, type: number, obj: JsonObject, counter: number): void {
  const handler = INNER_HANDLERS.get(type);
  if (handler) handler(p, obj, counter, type);
  else p.ctx.report("unknown_type", `Dropped a decrypted message of unknown type ${type}.`);
}

/** An ENCRYPTED_MESSAGE outer object: decrypt, check, dispatch. */
export function onEncrypted(p: ClientParts, outer: JsonObject): void {
  const { ctx } = p;
  const s = ctx.session;
  if (ctx.phase !== "secure" || !s) {
    ctx.report("protocol_violation", "Dropped an encrypted message that arrived before the key exchange completed.");
    return;
  }
  let d;
  try {
    d = s.decrypt(outer);
  } catch (err) {
    if (err instanceof SessionError) {
      ctx.report(sessionErrorKind(err), `Dropped an encrypted message: ${err.message}.`);
      return;
    }
    throw err;
  }
  const chk = checkInner(d.text, p.verification.localVerified);
  if (!chk.ok) {
    ctx.report(chk.error, chk.text);
    return;
  }
  dispatchInner(p, chk.type, chk.obj, d.counter);
}
