// Notices about a peer's misbehaviour (frames dropped by the limiter, stray or
// malformed messages, forged MACs, …) are coalesced: the first of a kind is
// reported at once, later ones of that kind are counted and reported as one
// notice carrying the count when the interval ends. A flooding peer then costs
// the user a handful of lines instead of one per dropped frame, and nothing is
// silent: the counts add up to every drop.
import type { ErrorKind } from "./events.js";

/** At most one notice per kind per this interval (after the first, which is immediate). */
export const NOTICE_INTERVAL_MS = 3000;

/** Kinds that mean "a frame from the peer or the server was dropped". */
export const FRAME_DROP_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  "rate_limited",
  "oversize",
  "unexpected_field",
  "unexpected_inner_field",
  "hmac_failed",
  "decrypt_failed",
  "replay",
  "out_of_window",
  "malformed",
  "unknown_type",
  "chunk_rejected",
]);

/** Kinds that report something the peer (or a relay) sent; only these are coalesced. */
export const PEER_MISBEHAVIOUR: ReadonlySet<ErrorKind> = new Set<ErrorKind>([...FRAME_DROP_KINDS, "protocol_violation", "not_allowed"]);

export interface Notice {
  kind: ErrorKind;
  /** The latest occurrence's text (never message content). */
  text: string;
  /** How many occurrences this notice stands for (≥ 1). */
  count: number;
}

interface Window {
  timer: NodeJS.Timeout;
  count: number;
  text: string;
}

export class NoticeCoalescer {
  private readonly windows = new Map<ErrorKind, Window>();

  constructor(
    private readonly emit: (n: Notice) => void,
    private readonly intervalMs = NOTICE_INTERVAL_MS,
  ) {}

  report(kind: ErrorKind, text: string): void {
    if (!PEER_MISBEHAVIOUR.has(kind)) {
      this.emit({ kind, text, count: 1 });
      return;
    }
    const w = this.windows.get(kind);
    if (w) {
      w.count++;
      w.text = text;
      return;
    }
    this.emit({ kind, text, count: 1 });
    this.open(kind);
  }

  /** Reports every count still held (the connection is ending) and stops the timers. */
  flush(): void {
    for (const [kind, w] of [...this.windows]) {
      clearTimeout(w.timer);
      this.windows.delete(kind);
      if (w.count > 0) this.emit({ kind, text: w.text, count: w.count });
    }
  }

  private open(kind: ErrorKind): void {
    const timer = setTimeout(() => {
      const w = this.windows.get(kind);
      this.windows.delete(kind);
      if (!w || w.count === 0) return;
      this.emit({ kind, text: w.text, count: w.count });
      // More may follow: keep them apart by another interval.
      this.open(kind);
    }, this.intervalMs);
    timer.unref();
    this.windows.set(kind, { timer, count: 0, text: "" });
  }
}
