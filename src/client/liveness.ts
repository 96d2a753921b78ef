// When a silent relay counts as gone. SPEC §10 has the server probe every
// client with KEEP_ALIVE about every 60 s; the reference relay does exactly
// that (WIRE-NOTES §11: a probe at ~60, 120, 180 s, whether or not the last one
// was answered, and a drop at the fourth tick). So a relay that is alive is
// never silent towards us for much more than one interval, and a silence of
// several intervals means the relay or the path to it is dead even though no
// RST or FIN arrived (a frozen host, a dropped Wi-Fi, a NAT that forgot us).
//
// The rule: the silence clock runs only while we are reading from the relay.
// Any bytes received restart it (a KEEP_ALIVE or anything else: a large frame
// arriving slowly is proof of life too). While reading is paused by our own
// backpressure (a view that fell behind, disk writes lagging, chunk opens
// queued) the relay cannot be heard, so the clock stops, and it starts afresh
// when reading resumes.
//
// SilenceClock is the rule on explicit times; SilenceWatch drives it with one
// timer per connection.

/** The relay's KEEP_ALIVE interval SPEC §10 asks for (and the reference uses: WIRE-NOTES §11). */
export const SERVER_KEEPALIVE_MS = 60_000;

/**
 * Silence limit in relay keepalive intervals: three whole probes may be
 * missing (late behind a busy relay or a congested path) before we give up,
 * plus half an interval for timer drift on both ends — the same three misses
 * SPEC §10 lets a client have before the relay drops it.
 */
export const SILENCE_INTERVALS = 3.5;

/** The default silence limit: 3.5 × 60 s = 210 s. */
export const DEFAULT_SERVER_SILENCE_MS = SILENCE_INTERVALS * SERVER_KEEPALIVE_MS;

/** The silence limit for a relay that probes every `keepaliveMs`. */
export function silenceLimitFor(keepaliveMs: number): number {
  return Math.round(SILENCE_INTERVALS * keepaliveMs);
}

/** ClientOptions.serverSilenceMs checked: undefined gives the default, 0 turns the watch off. */
export function resolveSilenceLimit(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_SERVER_SILENCE_MS;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError("serverSilenceMs must be a non-negative number of milliseconds");
  return ms;
}

/** The `disconnected` reason: what happened, in plain words. */
export function silenceReason(limitMs: number): string {
  const s = limitMs / 1000;
  const shown = s >= 10 ? String(Math.round(s)) : String(Math.round(s * 10) / 10);
  return `The server stopped responding (nothing received for ${shown} s).`;
}

/** The rule on explicit times (milliseconds on one monotonic clock). */
export class SilenceClock {
  private lastHeard: number;
  private paused = false;

  constructor(
    readonly limitMs: number,
    startedAt: number,
  ) {
    this.lastHeard = startedAt;
  }

  /** Something arrived from the relay. */
  heard(at: number): void {
    this.lastHeard = Math.max(this.lastHeard, at);
  }

  /** We stopped reading: the relay cannot be heard, so its silence does not count. */
  pause(): void {
    this.paused = true;
  }

  /** We read again: the silence is measured from now. */
  resume(at: number): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastHeard = Math.max(this.lastHeard, at);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Milliseconds left before the relay counts as silent (≤ 0: it does), or null while paused. */
  remaining(at: number): number | null {
    if (this.paused) return null;
    return this.lastHeard + this.limitMs - at;
  }

  silent(at: number): boolean {
    const r = this.remaining(at);
    return r !== null && r <= 0;
  }
}

const monotonic = (): number => performance.now();

/**
 * A SilenceClock with a timer: `onSilent` is called once when the limit passes
 * while reading. The timer is not restarted per read (a transfer brings many);
 * when it fires early it is armed again for what is left.
 */
export class SilenceWatch {
  private readonly clock: SilenceClock;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    limitMs: number,
    private readonly onSilent: (reason: string) => void,
    private readonly now: () => number = monotonic,
  ) {
    this.clock = new SilenceClock(limitMs, now());
    this.arm();
  }

  heard(): void {
    this.clock.heard(this.now());
  }

  pause(): void {
    this.clock.pause();
    this.clearTimer();
  }

  resume(): void {
    this.clock.resume(this.now());
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.stopped || this.timer !== null) return;
    const left = this.clock.remaining(this.now());
    if (left === null) return; // paused: resume() arms again
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, Math.ceil(left)));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    if (!this.clock.silent(this.now())) return this.arm();
    // Timers run before the event loop polls sockets: after a long stall of
    // our own process, bytes may be waiting unread. setImmediate runs after
    // the poll phase, so they are read (and heard) before the verdict.
    setImmediate(() => {
      if (this.stopped) return;
      if (this.clock.silent(this.now())) {
        this.stop();
        this.onSilent(silenceReason(this.clock.limitMs));
      } else {
        this.arm();
      }
    });
  }
}
