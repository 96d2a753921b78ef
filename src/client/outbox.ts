// Texts the user wrote while the session was interrupted (our connection lost
// and a reconnect under way, or the peer gone and awaited again): held in
// memory, shown as pending, and sent once a new session may have them. Texts
// still in the send queue when a session ends are held the same way; nothing
// is dropped without a `message_not_sent` event.
//
// The rule for sending them: after a new key exchange the peer may be someone
// else (a new person in the room, or a relay in the middle). So when the local
// user had verified the interrupted session, held texts go out only once the
// new session is verified too (by the user, by the standing auto-verify policy,
// or carried over from the old one by a proof of continuity); until then they
// stay pending (`messages_held`). When the interrupted session was never
// verified, they go out right after the new key exchange, as anything the user
// typed would. They are dropped (`message_not_sent`) when the client stops for
// good: the user leaves or cancels the reconnect, it gives up, or an emergency
// close.
import { CommandError } from "./api.js";
import type { ClientContext } from "./context.js";
import type { SessionEndKind, SessionLifeListener } from "./session-life.js";

/** At most this many texts are held; beyond it, sendText is refused with a clear error. */
export const MAX_HELD_TEXTS = 100;

export interface HeldText {
  message_id: string;
  /** The TEXT_MESSAGE inner plaintext, ready for the send queue. */
  inner: Uint8Array;
}

export class Outbox implements SessionLifeListener {
  private held: HeldText[] = [];
  /** Texts the send queue gave back when its session ended, before we know whether another follows. */
  private limbo: HeldText[] = [];
  /** An interruption is under way: new texts are held instead of refused. */
  holding = false;
  /** The interrupted session was verified by the local user: held texts wait for a verified session. */
  private needsTrust = false;
  /** The local user verified the current session. */
  private currentVerified = false;

  constructor(
    private readonly ctx: ClientContext,
    /** Puts a text on the send queue (its `sent` event, and back here if that session ends first). */
    private readonly send: (t: HeldText) => void,
  ) {}

  get count(): number {
    return this.held.length;
  }

  /** Holds a text typed during an interruption; throws when too many wait. */
  hold(t: HeldText): void {
    if (this.held.length >= MAX_HELD_TEXTS) {
      throw new CommandError(`${MAX_HELD_TEXTS} messages are already waiting for the connection to come back; this one was not sent.`);
    }
    this.held.push(t);
  }

  /** A text the send queue dropped unsent (its session ended). */
  returned(t: HeldText): void {
    this.limbo.push(t);
  }

  /** The local user's answer about the current session (true releases texts waiting for trust). */
  localAnswer(verified: boolean): void {
    this.currentVerified = verified;
    if (verified && this.needsTrust && this.ctx.secure) {
      this.needsTrust = false;
      this.flush();
    }
  }

  sessionEnded(e: { kind: SessionEndKind }): void {
    const back = this.limbo;
    this.limbo = [];
    if (e.kind === "lost" || e.kind === "peer_left") {
      this.holding = true;
      this.needsTrust ||= this.currentVerified;
      this.currentVerified = false;
      // Back in front, in the order they were written.
      this.held = [...back, ...this.held];
      for (const t of back) this.ctx.emit("message_pending", { message_id: t.message_id });
      return;
    }
    this.held = [...back, ...this.held];
    this.dropAll(e.kind === "emergency" ? "Emergency close." : "The connection was closed.");
  }

  sessionEstablished(): void {
    this.holding = false;
    this.currentVerified = false;
    if (this.held.length === 0) {
      this.needsTrust = false;
      return;
    }
    if (!this.needsTrust) this.flush();
    else this.ctx.emit("messages_held", { count: this.held.length, until: "verification" });
  }

  reconnectEnded(e: { outcome: "gave_up" | "canceled" }): void {
    this.dropAll(e.outcome === "canceled" ? "The reconnect was canceled." : "The connection could not be restored.");
  }

  private flush(): void {
    const out = this.held;
    this.held = [];
    for (const t of out) this.send(t);
  }

  private dropAll(reason: string): void {
    const out = this.held;
    this.held = [];
    this.holding = false;
    this.needsTrust = false;
    this.currentVerified = false;
    for (const t of out) this.ctx.emit("message_not_sent", { message_id: t.message_id, reason });
  }
}
