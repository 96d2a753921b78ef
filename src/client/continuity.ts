// Verified reconnect, a pqchat extension (docs/PROTOCOL-EXTENSIONS.md §4).
// When the local user has verified a session (or it was itself carried), we
// keep its continuity secret — in memory only, on this client object, so it
// survives the connection but not the process. In every new session we send
// one proof message (src/protocol/continuity.ts) as the first item of the
// paced queue; if we hold a secret, the peer's proof is checked against it
// with the roles swapped. A valid proof carries the verified state into the
// new session; a wrong one, or none within the time limit, leaves the session
// unverified and says plainly that the peer may be someone else.
// The secret is replaced when a new session is verified and wiped by an
// emergency close (ours or the peer's) and by the user's own disconnect or quit.
import {
  CONTINUITY_PROOF_TYPE,
  checkContinuityProof,
  continuityInner,
  continuityProof,
  otherRole,
  parseContinuityInner,
  wipe,
  type JsonObject,
} from "../protocol/index.js";
import type { ClientContext } from "./context.js";

export { CONTINUITY_PROOF_TYPE };

/** How long we wait for the peer's proof after KEY_EXCHANGE_COMPLETE before saying it did not come. */
export const CONTINUITY_TIMEOUT_MS = 15_000;

export type ContinuityState =
  /** We hold no secret for this session to inherit from. */
  | "none"
  /** We hold one and wait for the peer's proof. */
  | "awaiting"
  /** The peer proved it holds it: the session inherits the verified state. */
  | "carried"
  /** Wrong proof, or none in time: unverified, may be someone else. */
  | "failed";

export const NOT_CARRIED_TEXT: Record<"no_proof" | "invalid_proof", string> = {
  no_proof:
    "This is a new session, and the peer did not prove that it is the one you verified before: it may be someone else. Compare the fingerprint words again before you trust it.",
  invalid_proof:
    "This is a new session, and the peer's proof that it is the one you verified before was WRONG: it may be someone else. Compare the fingerprint words again before you trust it.",
};

export interface ContinuityHooks {
  /** Queues an inner message (the proof) on the paced sender. */
  queue(obj: JsonObject): void;
  /** The peer proved continuity: mark the session verified (unless the user already answered). */
  carry(): void;
  /** Whether this session is carried is decided (at COMPLETE without a secret, else on the proof or its absence). */
  settled(carried: boolean): void;
}

export class Continuity {
  /** The secret of the last session the local user verified (or that was carried). */
  private secret: Uint8Array | null = null;
  /** The secret the peer's proof in this session is checked against (a copy taken at COMPLETE). */
  private checking: Uint8Array | null = null;
  private role: "initiator" | "responder" | null = null;
  private timer: NodeJS.Timeout | null = null;
  state: ContinuityState = "none";
  /** The peer sent a proof message in this session: it is a pqchat client. */
  peerIsPqchat = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly hooks: ContinuityHooks,
    private readonly timeoutMs: number = CONTINUITY_TIMEOUT_MS,
  ) {}

  /** Whether we hold a secret from an earlier verified session (tests and state). */
  get holdsSecret(): boolean {
    return this.secret !== null;
  }

  /** KEY_EXCHANGE_COMPLETE: our proof goes first in the queue; with a secret, the peer's is awaited. */
  onComplete(role: "initiator" | "responder"): void {
    this.sessionEnded();
    const fp = this.ctx.fingerprint;
    if (!fp) return;
    this.role = role;
    const proof = this.secret ? continuityProof(this.secret, role, fp.sha256) : null;
    this.hooks.queue(continuityInner(proof));
    wipe(proof);
    if (!this.secret) return this.hooks.settled(false);
    this.checking = Uint8Array.from(this.secret);
    this.state = "awaiting";
    this.timer = setTimeout(() => this.fail("no_proof"), this.timeoutMs);
    this.timer.unref();
  }

  /** The peer's proof message (inner type CONTINUITY_PROOF_TYPE). */
  onProof(obj: JsonObject): void {
    if (this.peerIsPqchat) {
      this.ctx.report("protocol_violation", "Ignored a second continuity proof in one session.");
      return;
    }
    this.peerIsPqchat = true;
    const proof = parseContinuityInner(obj);
    if (!proof) {
      this.ctx.report("malformed", "Ignored a malformed continuity proof.");
      if (this.state === "awaiting") this.fail("invalid_proof");
      return;
    }
    const fp = this.ctx.fingerprint;
    if (this.state !== "awaiting" || !this.checking || !fp || !this.role) return;
    const ok = checkContinuityProof(this.checking, otherRole(this.role), fp.sha256, proof);
    this.endCheck();
    if (!ok) return this.fail("invalid_proof");
    this.state = "carried";
    this.hooks.carry();
    this.hooks.settled(true);
  }

  /** The local user's answer "the words match" went out (or a carried one): this session's secret is kept from now on. */
  onLocalVerified(): void {
    const next = this.ctx.session?.continuitySecret() ?? null;
    if (!next) return;
    wipe(this.secret);
    this.secret = next;
  }

  /** The session ended (reset, disconnect): the secret stays for the next one; this session's check ends. */
  sessionEnded(): void {
    this.endCheck();
    this.state = "none";
    this.role = null;
    this.peerIsPqchat = false;
  }

  /** Emergency close, the user's disconnect or quit: nothing may carry over any more. */
  wipe(): void {
    this.sessionEnded();
    wipe(this.secret);
    this.secret = null;
  }

  private fail(reason: "no_proof" | "invalid_proof"): void {
    this.endCheck();
    if (this.state !== "awaiting") return;
    this.state = "failed";
    this.ctx.emit("verification_not_carried", { reason, text: NOT_CARRIED_TEXT[reason] });
    this.hooks.settled(false);
  }

  private endCheck(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    wipe(this.checking);
    this.checking = null;
  }
}
