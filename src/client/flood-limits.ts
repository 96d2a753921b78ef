// When the peer's frames may skip the 5-per-second limiter and the 8,192-byte
// rule (WIRE-NOTES §12.1–12.2, SPEC §11.1), and how long a file transfer may
// hold that exemption.
//
// SPEC §11.1 lifts the limits only while a high-volume activity is "in
// progress". The reference lifts them from FILE_METADATA on, so a single offer
// nobody answers switches flood protection off for good. Here an offer lifts
// nothing: only a transfer whose FILE_ACCEPT is on the wire and whose chunks
// keep coming does, and both offers and stalled transfers expire, so no
// transfer can hold the exemption (or a temp file, or a disk reservation)
// forever.

/** An offer nobody answered is withdrawn (outgoing) or declined (incoming) after this long. */
export const OFFER_TIMEOUT_MS = 10 * 60_000;
/**
 * An accepted transfer with no chunk for this long has stalled and ends, on
 * both sides. A chunk is 1 MiB; a frame still arriving byte by byte extends the
 * wait (see Deadlines.arm's `extend`), so a slow link is not a stall.
 */
export const STALL_TIMEOUT_MS = 60_000;

/** The reason a peer gets in FILE_REJECT when our side gave up waiting. */
export const EXPIRED_REASONS = {
  offer: "Offer expired",
  stalled: "Transfer stalled",
} as const;

export interface Exemptions {
  /** A file transfer in progress: accepted, and chunks flowing (Transfers.inProgress). */
  transferInProgress: boolean;
  /** A rekey in progress (SPEC §11.1 names it; its messages are large). */
  rekeyInProgress: boolean;
  /** A voice call (SPEC §11.1). */
  callActive: boolean;
}

/** True while the peer's frames skip the limiter and the size rule (SPEC §11.1 "in progress"). */
export function limitsLifted(x: Exemptions): boolean {
  return x.transferInProgress || x.rekeyInProgress || x.callActive;
}

/**
 * One timer per key (a transfer). `arm` replaces the key's timer. When it
 * fires, `extend()` may ask for more time (something is still arriving); the
 * timer then waits another full period.
 */
export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  arm(key: string, ms: number, onExpire: () => void, extend: () => boolean = () => false): void {
    this.clear(key);
    const t = setTimeout(() => {
      this.timers.delete(key);
      if (extend()) this.arm(key, ms, onExpire, extend);
      else onExpire();
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  clear(key: string): void {
    const t = this.timers.get(key);
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(key);
  }

  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }
}
