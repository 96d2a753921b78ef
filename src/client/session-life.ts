// The life of sessions across connections, for the parts that keep memory
// from one session to the next (the held texts of outbox.ts; proofs of
// continuity between verified sessions). One ClientCore lives through many
// connections: after an unexpected disconnect it reconnects by itself
// (reconnect.ts) and runs a new key exchange on the same object, so state
// meant for the next session survives in memory while each connection's and
// each session's state is rebuilt. Listeners learn when a session ended and
// whether another is expected, and when a new one's keys are in place.

/**
 * How a session (or a connection without one) ended:
 * - "lost": our connection dropped unexpectedly and an automatic reconnect follows;
 * - "peer_left": the relay said the peer left (KEY_EXCHANGE_RESET); we wait on the same connection for it, or someone else;
 * - "closed": ended for good (the user left, a fatal error, a refusal retrying cannot fix, reconnecting off): forget what was kept for a next session;
 * - "emergency": either side's emergency close: forget everything at once.
 */
export type SessionEndKind = "lost" | "peer_left" | "closed" | "emergency";

export interface SessionLifeListener {
  /** After the session's keys were wiped, before `disconnected` / `reset` is emitted. */
  sessionEnded?(e: { kind: SessionEndKind; reason: string }): void;
  /**
   * KEY_EXCHANGE_COMPLETE of a new session: called right after the
   * `key_exchange_complete` event and before our nickname and an automatic
   * verification answer go out. `resumed`: the session follows one that
   * ended "lost" or "peer_left" (an interruption), not a fresh start.
   */
  sessionEstablished?(e: { resumed: boolean }): void;
  /** An automatic reconnect ended without a new session (gave up, or canceled by the user): as "closed". */
  reconnectEnded?(e: { outcome: "gave_up" | "canceled" }): void;
}

export class SessionLife {
  private readonly listeners: SessionLifeListener[] = [];
  /** The last session ended by an interruption and no new one was established yet. */
  private interrupted = false;

  add(listener: SessionLifeListener): void {
    this.listeners.push(listener);
  }

  ended(kind: SessionEndKind, reason: string): void {
    this.interrupted = kind === "lost" || kind === "peer_left";
    for (const l of this.listeners) l.sessionEnded?.({ kind, reason });
  }

  established(): void {
    const resumed = this.interrupted;
    this.interrupted = false;
    for (const l of this.listeners) l.sessionEstablished?.({ resumed });
  }

  reconnectEnded(outcome: "gave_up" | "canceled"): void {
    this.interrupted = false;
    for (const l of this.listeners) l.reconnectEnded?.({ outcome });
  }
}
