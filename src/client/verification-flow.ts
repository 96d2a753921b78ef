// The local user's verification answer and the peer's (SPEC §7.3,
// WIRE-NOTES §10): verify() binds an answer to the fingerprint it names
// (verification.ts), an answer given before the first fingerprint is held for
// it, the standing auto-verify policy answers at COMPLETE, and our
// KEY_VERIFICATION goes out as plaintext outer JSON (WIRE-NOTES §14 erratum 1)
// outside the queue, without breaking the 250 ms pace. The peer's
// KEY_VERIFICATION (plaintext, or encrypted as SPEC §5 has it) lands in
// onPeer().
import { keyVerification } from "../protocol/index.js";
import { CommandError } from "./api.js";
import { now, type ClientContext } from "./context.js";
import type { Policy } from "./events.js";
import type { Sender } from "./sender.js";
import { judgeAnswer } from "./verification.js";

export class VerificationFlow {
  /** Our answer: null = not answered yet. */
  verified: boolean | null = null;
  /** The peer's answer about us, as its last KEY_VERIFICATION said. */
  peerVerified: boolean | null = null;
  private heldAnswer: boolean | null = null;
  /** A fingerprint was shown on this connection: unnamed answers are no longer held (verification.ts). */
  private fingerprintShown = false;
  private timer: NodeJS.Timeout | null = null;
  /** Our answer "yes" came from the peer's continuity proof, not from the user (continuity.ts). */
  private carried = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly sender: Sender,
    private readonly hooks: {
      /** The peer verified us for the first time: it now honours our NICKNAME_CHANGE. */
      peerNowTrustsUs(): void;
      /** Our "yes" went out: the session's continuity secret is to be kept. */
      localVerified(): void;
      /** The peer's proof of continuity in this session verified. */
      peerCarried(): boolean;
      /** The local user's answer for this session was set (by them, the policy, or carried): held texts may wait for a true (outbox.ts). */
      localAnswered?(verified: boolean): void;
    },
  ) {}

  /** The local user verified the peer's key (what the dispatch and the policies ask). */
  get localVerified(): boolean {
    return this.verified === true;
  }

  /** A new connection: an unnamed answer may again be held for its first fingerprint. */
  newConnection(): void {
    this.fingerprintShown = false;
  }

  /** verify() of ClientApi. */
  verify(answer: boolean, fingerprint?: string): void {
    if (typeof answer !== "boolean") throw new CommandError("The answer must be true or false.");
    if (fingerprint !== undefined && typeof fingerprint !== "string") {
      throw new CommandError("The fingerprint must be a string: the eight words, or the full SHA-256 in hex.");
    }
    const verdict = judgeAnswer(this.ctx.phase === "secure" ? this.ctx.fingerprint : null, fingerprint, this.fingerprintShown);
    if ("refuse" in verdict) throw new CommandError(verdict.refuse, "stale_verification");
    if ("hold" in verdict) {
      // Given in advance: held for the first fingerprint of this connection (WIRE-NOTES §10).
      this.heldAnswer = answer;
      return;
    }
    this.verified = answer;
    this.carried = false;
    this.schedule();
    this.hooks.localAnswered?.(answer);
  }

  /**
   * The peer's continuity proof verified (continuity.ts): the session inherits
   * the verified state, unless the user (or the standing policy) answered already.
   */
  carry(): void {
    if (this.ctx.phase === "secure" && this.verified === null) {
      this.heldAnswer = null;
      this.verified = true;
      this.carried = true;
      this.schedule();
      this.hooks.localAnswered?.(true);
    }
    // The peer's "yes" may have come before its proof: say again that it was carried.
    if (this.peerVerified === true) this.ctx.emit("peer_verified", { verified: true, carried: true });
  }

  setAutoVerify(value: Policy): void {
    if (value !== true && value !== false && value !== "ask") throw new CommandError('auto_verify must be true, false or "ask".');
    this.ctx.autoVerify = value;
    if (value !== "ask" && this.ctx.phase === "secure" && this.verified === null) this.verify(value);
  }

  /** The fingerprint is shown (KEY_EXCHANGE_COMPLETE handled). */
  noteShown(): void {
    this.fingerprintShown = true;
  }

  /** At COMPLETE: an answer held in advance, else the standing policy, answers the new fingerprint. */
  answerAtComplete(): void {
    const answer = this.heldAnswer ?? (this.ctx.autoVerify === "ask" ? null : this.ctx.autoVerify);
    this.heldAnswer = null;
    if (answer !== null && this.ctx.phase === "secure" && this.verified === null) {
      this.verified = answer;
      this.schedule();
      this.hooks.localAnswered?.(answer);
    }
  }

  /** The peer's KEY_VERIFICATION (`verified` as received). */
  onPeer(v: unknown): void {
    if (this.ctx.phase !== "secure") {
      this.ctx.report("protocol_violation", "Ignored a key verification before the key exchange completed.");
      return;
    }
    if (typeof v !== "boolean") {
      this.ctx.report("malformed", "Ignored a malformed key verification.");
      return;
    }
    const before = this.peerVerified;
    this.peerVerified = v;
    this.ctx.emit("peer_verified", v && this.hooks.peerCarried() ? { verified: v, carried: true } : { verified: v });
    if (v && before !== true) this.hooks.peerNowTrustsUs();
  }

  /** The session ended: answers belonged to its fingerprint. */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.verified = null;
    this.carried = false;
    this.heldAnswer = null;
    this.peerVerified = null;
  }

  /** Our answer goes out once the quiet second after COMPLETE is over (WIRE-NOTES §13). */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const wait = this.ctx.quietEndsAt - now();
    if (wait <= 0) this.send();
    else {
      this.timer = setTimeout(() => this.send(), wait);
      this.timer.unref();
    }
  }

  /**
   * KEY_VERIFICATION is plaintext outer JSON, sent outside the queue
   * (WIRE-NOTES §10, §14 erratum 1): at once, or in the next tick slot when
   * our previous frame left less than one interval ago (Sender.sendSoon keeps
   * the pace, WIRE-NOTES §13).
   */
  private send(): void {
    this.timer = null;
    this.sender.sendSoon(() => {
      const c = this.ctx.conn;
      const answer = this.verified;
      if (this.ctx.phase !== "secure" || answer === null || !c || c.closed) return false;
      c.write(keyVerification(answer));
      this.ctx.emit("verified", answer && this.carried ? { verified: answer, carried: true } : { verified: answer });
      if (answer) this.hooks.localVerified();
      return true;
    });
  }
}
