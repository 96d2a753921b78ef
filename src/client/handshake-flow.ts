// The key exchange in either role (SPEC §7, WIRE-NOTES §5.1): the server's
// version, INITIATE_KEY_EXCHANGE (we are the initiator and send our
// KEY_EXCHANGE_INIT), the peer's INIT (we are the responder and answer), the
// peer's RESPONSE (the initiator derives the session) and the server's
// KEY_EXCHANGE_COMPLETE, after which the session is secure: the fingerprint is
// shown, the send loop starts after the quiet second, our nickname and a
// held or automatic verification answer follow.
import {
  HandshakeError,
  Initiator,
  PROTOCOL_VERSION,
  compareVersions,
  peerVersion,
  respond,
  type JsonObject,
  type Session,
} from "../protocol/index.js";
import { POST_COMPLETE_QUIET_MS, now, type ClientContext } from "./context.js";
import type { Continuity } from "./continuity.js";
import type { Nicknames } from "./nicknames.js";
import type { RekeyFlow } from "./rekey-flow.js";
import type { Sender } from "./sender.js";
import type { SessionLife } from "./session-life.js";
import type { VerificationFlow } from "./verification-flow.js";
import { fingerprintHex } from "./verification.js";

export interface HandshakeParts {
  readonly rekeyFlow: RekeyFlow;
  readonly sender: Sender;
  readonly verification: VerificationFlow;
  readonly nicknames: Nicknames;
  readonly continuity: Continuity;
  readonly life: SessionLife;
}

export class HandshakeFlow {
  role: "initiator" | "responder" | null = null;
  serverVersion: string | null = null;
  private initiator: Initiator | null = null;

  constructor(
    private readonly ctx: ClientContext,
    private readonly p: HandshakeParts,
  ) {}

  /** SERVER_VERSION_INFO (SPEC §4.2). */
  onServerVersion(obj: JsonObject): void {
    const v = obj["protocol_version"];
    if (typeof v !== "string" || v.length > 64) {
      this.ctx.report("malformed", "The server's version information is malformed.");
      return;
    }
    this.serverVersion = v;
    const compatibility = compareVersions(PROTOCOL_VERSION, v);
    this.ctx.emit("server_version", { version: v, local_version: PROTOCOL_VERSION, match: v === PROTOCOL_VERSION, compatibility });
    if (compatibility === "breaking") {
      this.ctx.report("version_mismatch", `The server speaks protocol ${v}, a different major version than ours (${PROTOCOL_VERSION}); communication may fail.`);
    }
  }

  /** INITIATE_KEY_EXCHANGE: the server made us the initiator. */
  onInitiate(): void {
    if (this.ctx.phase === "secure") return this.ctx.suspicious("key exchange start");
    if (this.initiator || this.ctx.session) {
      this.ctx.report("protocol_violation", "Ignored a second key exchange start.");
      return;
    }
    this.role = "initiator";
    this.initiator = new Initiator();
    this.ctx.phase = "key_exchange";
    this.ctx.emit("key_exchange_started", { role: "initiator" });
    this.ctx.conn?.write(this.initiator.initMessage);
  }

  /** The peer's KEY_EXCHANGE_INIT: we respond, and hold the session from now on. */
  onInit(obj: JsonObject): void {
    if (this.ctx.phase === "secure") return this.ctx.suspicious("key exchange init");
    if (this.initiator || this.ctx.session) {
      this.ctx.report("protocol_violation", "Ignored an unexpected key exchange init.");
      return;
    }
    const v = peerVersion(obj);
    let res;
    try {
      res = respond(obj);
    } catch (err) {
      this.ctx.report("malformed", err instanceof HandshakeError ? err.message : "Invalid key exchange init.");
      return;
    }
    this.role = "responder";
    this.ctx.session = res.session;
    this.p.rekeyFlow.attach(res.session);
    this.ctx.phase = "key_exchange";
    this.ctx.emit("key_exchange_started", { role: "responder" });
    this.ctx.conn?.write(res.response);
    this.notePeerVersion(v);
  }

  /** The peer's KEY_EXCHANGE_RESPONSE to our INIT. */
  onResponse(obj: JsonObject): void {
    if (this.ctx.phase === "secure") return this.ctx.suspicious("key exchange response");
    const ini = this.initiator;
    if (!ini) {
      this.ctx.report("protocol_violation", "Ignored a key exchange response without a key exchange in progress.");
      return;
    }
    let session: Session;
    try {
      session = ini.finish(obj);
    } catch (err) {
      this.ctx.report("malformed", err instanceof HandshakeError ? err.message : "Invalid key exchange response.");
      return;
    }
    ini.dispose();
    this.initiator = null;
    this.ctx.session = session;
    this.p.rekeyFlow.attach(session);
    this.notePeerVersion(peerVersion(obj));
  }

  /** SPEC §4.2.1 / §7.2 for the peer's announced version: breaking → warning (an error event), the rest as the event says. */
  private notePeerVersion(v: string | null): void {
    const shown = v === null ? null : v.slice(0, 32);
    const compatibility = v === null ? "missing" : compareVersions(PROTOCOL_VERSION, v);
    this.ctx.emit("peer_version", { version: shown, local_version: PROTOCOL_VERSION, compatibility });
    if (compatibility === "breaking") {
      this.ctx.report("version_mismatch", `The peer speaks protocol ${shown ?? ""}, a different major version than ours (${PROTOCOL_VERSION}).`);
    }
  }

  /** KEY_EXCHANGE_COMPLETE from the server: the session is secure. */
  onComplete(): void {
    if (this.ctx.phase === "secure") return this.ctx.suspicious("key exchange complete");
    const session = this.ctx.session;
    if (!session) {
      this.ctx.report("protocol_violation", "The server announced a completed key exchange, but no keys were agreed.");
      return;
    }
    this.ctx.phase = "secure";
    this.ctx.completeAt = now();
    const fp = session.fingerprint;
    this.ctx.fingerprint = fp;
    this.p.verification.noteShown();
    this.p.sender.start(POST_COMPLETE_QUIET_MS);
    // One line of eight words (docs/JSON-API.md); views group them as they like.
    this.ctx.emit("key_exchange_complete", { fingerprint: fp.words.join(" "), words: [...fp.words], fingerprint_sha256: fingerprintHex(fp) });
    // The continuity proof first in the queue (docs/PROTOCOL-EXTENSIONS.md §4).
    if (this.role) this.p.continuity.onComplete(this.role);
    this.p.life.established();
    this.p.nicknames.sendOwn();
    this.p.verification.answerAtComplete();
  }

  /** The session ended: an unfinished exchange is dropped with its secrets. */
  clear(): void {
    this.initiator?.dispose();
    this.initiator = null;
    this.role = null;
  }
}
