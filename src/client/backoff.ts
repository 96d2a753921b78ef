// When to try the relay again after an unexpected disconnect, and when to
// stop trying. Exponential backoff with full jitter: attempt k waits a uniform
// random time in [floor, min(cap, base · 2^(k-1))], so the first retry comes
// within a second, the ceiling doubles with each failure up to 30 s, and two
// clients cut off by the same relay restart (both ends of every pair, and
// every pair on it) spread their retries instead of arriving together. The
// small floor keeps a client from hammering a relay with back-to-back tries
// when the random draw is near zero.
//
// Pure: the random source is injected (tests pass their own), no timers.

/** The first retry comes within this long. */
export const BACKOFF_BASE_MS = 1000;
/** No wait is ever longer than this. */
export const BACKOFF_CAP_MS = 30_000;
/** No wait is ever shorter than this. */
export const BACKOFF_FLOOR_MS = 100;

/** Default bounds of one reconnect episode: whichever comes first ends it. */
export const DEFAULT_RECONNECT_ATTEMPTS = 20;
export const DEFAULT_RECONNECT_FOR_MS = 10 * 60_000;

/** A random number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** The ceiling of attempt `attempt` (1-based): base · 2^(attempt-1), at most the cap. */
export function backoffCeiling(attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError("attempt must be a whole number from 1");
  // 2^5 · 1 s already passes the cap; no need to compute huge powers.
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 16));
}

/** The wait before attempt `attempt`, in whole milliseconds, in [BACKOFF_FLOOR_MS, backoffCeiling(attempt)]. */
export function backoffDelay(attempt: number, random: RandomSource = Math.random): number {
  const ceiling = backoffCeiling(attempt);
  const r = random();
  // A broken source must not make the wait negative, unbounded or NaN.
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 1;
  return Math.max(BACKOFF_FLOOR_MS, Math.round(u * ceiling));
}

/** The bounds of one episode, as the user set them (ClientOptions.reconnect). */
export interface ReconnectBounds {
  /** Attempts before giving up (≥ 1). */
  attempts: number;
  /** Time from the first unexpected disconnect before giving up; 0: no time limit. */
  forMs: number;
}

/** ClientOptions.reconnect checked: undefined or true gives the defaults, false (or no attempts) turns reconnecting off. */
export function resolveReconnect(opt: boolean | Partial<ReconnectBounds> | undefined): ReconnectBounds | null {
  if (opt === false) return null;
  const given = opt === undefined || opt === true ? {} : opt;
  const attempts = given.attempts ?? DEFAULT_RECONNECT_ATTEMPTS;
  const forMs = given.forMs ?? DEFAULT_RECONNECT_FOR_MS;
  if (!Number.isInteger(attempts) || attempts < 0) throw new RangeError("reconnect.attempts must be a whole number");
  if (!Number.isFinite(forMs) || forMs < 0) throw new RangeError("reconnect.forMs must be a non-negative number of milliseconds");
  if (attempts === 0) return null;
  return { attempts, forMs };
}

/**
 * The wait before attempt `attempt`, `elapsedMs` after the episode began, or
 * null when the episode is over: beyond the attempts, or past the time limit.
 * A wait that would end after the time limit is shortened so that the last
 * attempt comes right at it.
 */
export function boundedDelay(bounds: ReconnectBounds, attempt: number, elapsedMs: number, delayMs: number): number | null {
  if (attempt > bounds.attempts) return null;
  if (bounds.forMs === 0) return delayMs;
  const left = bounds.forMs - elapsedMs;
  if (left <= 0) return null;
  return Math.min(delayMs, Math.max(0, Math.round(left)));
}
