// Call messages that belong to no call of ours (WIRE-NOTES §4.6, §15.24):
// the reference's END handler does not close its ringing dialog, so after we
// cancel a call its user can still press Accept and stream ~100 packets a
// second to us. A stray ACCEPT or DATA while we have no call is answered with
// END (at most one every STRAY_END_INTERVAL_MS, not one per packet), and the
// packets are dropped without an event each: quietly when they follow a call
// of ours (the phantom window), otherwise with at most one coalesced notice
// carrying a count. While such a phantom stream runs shortly after our call,
// the limiter is bypassed for a bounded time so the stream cannot starve the
// peer's texts. This module only decides; calls.ts sends and reports.

/**
 * After a call of ours ended, the peer's ringing dialog may still be open
 * (WIRE-NOTES §4.6: the reference's END does not close it; its dialog rings
 * ~30 s and our ring timeout is 30 s): a late ACCEPT and its audio within this
 * window are expected and handled without a word to the user.
 */
export const PHANTOM_WINDOW_MS = 45_000;
/** A phantom stream inside the window lifts the limiter for at most this long (our END reaches the peer well before). */
export const PHANTOM_BYPASS_MS = 10_000;
/** Stray packets this close together belong to one stream (one END, one notice). */
export const STRAY_GAP_MS = 2_000;
/** At most one END in answer to stray audio per this interval. */
export const STRAY_END_INTERVAL_MS = 2_000;
/** At most one notice about unexpected stray call messages per this interval, with a count. */
export const STRAY_NOTICE_INTERVAL_MS = 10_000;

export interface StrayVerdict {
  /** Tell the peer there is no call (VOICE_CALL_END). */
  replyEnd: boolean;
  /** A coalesced notice for the user, or null (quiet). */
  notice: string | null;
}

export class StrayCalls {
  /** Until then, stray ACCEPT / DATA / REJECT are the echo of a call of ours. */
  private phantomUntil = -Infinity;
  /** The current run of stray call messages: its start, its last message, whether it lifts the limiter. */
  private strayStart = -Infinity;
  private lastStray = -Infinity;
  private strayBypass = false;
  private lastEndReply = -Infinity;
  private lastStrayNotice = -Infinity;
  /** Stray messages not yet mentioned in a notice. */
  private strayUnreported = 0;

  constructor(private readonly now: () => number) {}

  /** A call of ours ended now: its echo is expected for the phantom window. */
  callEnded(): void {
    this.phantomUntil = this.now() + PHANTOM_WINDOW_MS;
  }

  /** A phantom stream after a call of ours lifts the limiter: bounded in time, and only while its packets keep coming. */
  get bypass(): boolean {
    if (!this.strayBypass) return false;
    const t = this.now();
    return t - this.lastStray < STRAY_GAP_MS && t - this.strayStart < PHANTOM_BYPASS_MS;
  }

  /**
   * One stray message (`what`, for the notice). `answer`: we are idle, so END
   * may tell the peer the call is over (if `canReply`: a session exists);
   * `inGrace`: within the grace period right after a call, when the peer's
   * packets in flight are expected.
   */
  onStray(what: string, answer: boolean, inGrace: boolean, canReply: boolean): StrayVerdict {
    const t = this.now();
    const expected = inGrace || t < this.phantomUntil;
    if (t - this.lastStray >= STRAY_GAP_MS) {
      this.strayStart = t;
      this.strayBypass = expected && !inGrace;
    }
    this.lastStray = t;
    const replyEnd = answer && canReply && t - this.lastEndReply >= STRAY_END_INTERVAL_MS;
    if (replyEnd) this.lastEndReply = t;
    if (expected) return { replyEnd, notice: null };
    this.strayUnreported++;
    if (t - this.lastStrayNotice < STRAY_NOTICE_INTERVAL_MS) return { replyEnd, notice: null };
    const n = this.strayUnreported;
    this.strayUnreported = 0;
    this.lastStrayNotice = t;
    const tail = answer ? " Told the peer there is no call." : "";
    const notice = n === 1 ? `Ignored a ${what} that belongs to no call.${tail}` : `Ignored ${n} call messages that belong to no call (the last a ${what}).${tail}`;
    return { replyEnd, notice };
  }

  /** A new session is a new peer: nothing it sends is the echo of our call. */
  reset(): void {
    this.phantomUntil = -Infinity;
    this.strayBypass = false;
    this.lastStray = -Infinity;
    this.lastEndReply = -Infinity;
  }
}
