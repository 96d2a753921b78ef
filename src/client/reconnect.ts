// Automatic reconnect: after an unexpected disconnect, the same client
// connects again to the same relay and room by itself, waiting between
// attempts as backoff.ts says, until a new key exchange completes, the bounds
// of the episode are reached (`reconnect_failed`), or the user cancels it or
// connects by hand. Which endings are unexpected is reconnect-policy.ts.
//
// One episode: the first unexpected disconnect starts it (attempt 1 and its
// clock); every later failure inside it — a connect refused, a connection that
// drops again before a peer arrived, a relay that is full — is the next
// attempt. Time spent connected and waiting for the peer counts towards the
// time limit only when that connection is lost again.
import type { ConnectOptions } from "./api.js";
import { backoffDelay, boundedDelay, type RandomSource, type ReconnectBounds } from "./backoff.js";
import { now, type ClientContext } from "./context.js";
import type { SessionLife, SessionLifeListener } from "./session-life.js";

interface Episode {
  /** The attempt waited for or under way (1-based). */
  attempt: number;
  /** Attempts actually made so far. */
  made: number;
  startedAt: number;
  /** The wait under way, if any. */
  timer: NodeJS.Timeout | null;
}

export interface ReconnectInfo {
  attempt: number;
  max_attempts: number;
  /** Date.now() when the attempt starts; null while it runs. */
  next_at: number | null;
  reason: string;
}

export class Reconnector implements SessionLifeListener {
  private episode: Episode | null = null;
  /** The last episode the user canceled (an attempt of it may still be connecting). */
  private cancelled: Episode | null = null;
  private target: ConnectOptions | null = null;
  private last: ReconnectInfo | null = null;

  constructor(
    private readonly ctx: ClientContext,
    private readonly bounds: ReconnectBounds | null,
    private readonly life: SessionLife,
    /** Opens a connection to the target (ConnectionLifecycle.open); rejects with a plain-words error. */
    private readonly open: (target: ConnectOptions) => Promise<void>,
    /** Leaves a connection an attempt opened after its episode was canceled. */
    private readonly leave: (reason: string) => void,
    private readonly random: RandomSource = Math.random,
  ) {}

  /** Reconnecting is on (ClientOptions.reconnect). */
  get enabled(): boolean {
    return this.bounds !== null;
  }

  /** An episode is under way (waiting, or connected again without a new session yet). */
  get active(): boolean {
    return this.episode !== null;
  }

  /** What state() shows: the current or next attempt, or null outside an episode. */
  get info(): ReconnectInfo | null {
    return this.episode ? this.last : null;
  }

  /** Where to return to: the target of the latest connection. */
  remember(target: ConnectOptions): void {
    this.target = { ...target };
  }

  /** Would an unexpected ending be followed by a reconnect? */
  get wouldRetry(): boolean {
    return this.bounds !== null && this.target !== null;
  }

  /** The connection was lost unexpectedly, or an attempt failed: wait and try again, or give up. */
  lost(reason: string): void {
    if (!this.bounds || !this.target) return;
    const ep = (this.episode ??= { attempt: 0, made: 0, startedAt: now(), timer: null });
    ep.attempt++;
    const delay = boundedDelay(this.bounds, ep.attempt, now() - ep.startedAt, backoffDelay(ep.attempt, this.random));
    if (delay === null) {
      this.finish("gave_up", reason);
      return;
    }
    this.ctx.phase = "reconnecting";
    this.last = { attempt: ep.attempt, max_attempts: this.bounds.attempts, next_at: Date.now() + delay, reason };
    this.ctx.emit("reconnecting", { attempt: ep.attempt, max_attempts: this.bounds.attempts, delay_ms: delay, reason });
    ep.timer = setTimeout(() => void this.attempt(ep), delay);
    // The views keep their process alive (stdin, the GUI's server); a waiting reconnect alone does not.
    ep.timer.unref();
  }

  private async attempt(ep: Episode): Promise<void> {
    ep.timer = null;
    if (this.episode !== ep || !this.target) return;
    ep.made++;
    if (this.last) this.last.next_at = null;
    try {
      await this.open(this.target);
    } catch (err) {
      // Still ours (not canceled or superseded meanwhile): the next attempt.
      if (this.episode === ep) this.lost(err instanceof Error ? err.message : "The connection failed.");
      return;
    }
    // Canceled while the TCP connect was under way: the user wants no connection.
    if (this.episode !== ep && this.cancelled === ep) this.leave("Canceled.");
  }

  /** A new key exchange completed: the episode succeeded. */
  sessionEstablished(): void {
    this.clear();
  }

  /** The user cancels (a command, or leaving): false when no reconnect was under way. */
  cancel(): boolean {
    if (!this.episode) return false;
    this.cancelled = this.episode;
    this.finish("canceled", "Canceled.");
    return true;
  }

  /** The user connects by hand: the episode ends without an event (the connect says what happens next). */
  supersede(): void {
    this.clear();
  }

  /** The connection of an episode ended in a way retrying cannot fix (or by the user): the episode ends. */
  stopped(reason: string, byUser: boolean): void {
    if (this.episode) this.finish(byUser ? "canceled" : "gave_up", reason);
  }

  private finish(outcome: "gave_up" | "canceled", reason: string): void {
    const attempts = this.episode?.made ?? 0;
    this.clear();
    if (this.ctx.phase === "reconnecting") this.ctx.phase = "disconnected";
    this.life.reconnectEnded(outcome);
    this.ctx.emit("reconnect_failed", { attempts, reason, canceled: outcome === "canceled" });
  }

  private clear(): void {
    if (this.episode?.timer) clearTimeout(this.episode.timer);
    this.episode = null;
    this.last = null;
  }
}
