// Which queued frames may leave at once instead of at the next 250 ms tick
// (WIRE-NOTES §12.5). The tick exists for the peer's limiter: a reference
// client drops the 6th frame of a fixed one-second window, counting the
// server's frames too (WIRE-NOTES §12.1, §13), and pqchat counts the peer's
// frames the same way (inbound.ts). Ticks never come closer than one interval,
// so any one-second window holds at most four of them; one frame outside the
// tick per window keeps the peer at five. Such a frame is safe when the peer
// does not count it at all, or does not count the server's frames:
//
// * "peer-bypass": the peer is in its bypass when the frame arrives — FILE_ACCEPT
//   answers the peer's own pending offer, and a reference client skips the
//   limiter while it has an outgoing offer pending (WIRE-NOTES §12.2). A pqchat
//   peer does count it (its bypass starts later, flood-limits.ts), but it never
//   counts server frames, so the one-per-window budget keeps it at five.
// * "pqchat-peer": only when the peer said it is pqchat (peer-features.ts):
//   its limiter counts only our frames, so the budget is enough. To a
//   reference peer such a frame waits for the tick as always.
import { RATE_WINDOW_MS } from "./inbound.js";

export type Unpaced = "peer-bypass" | "pqchat-peer";

/** At most one frame outside the tick per this many ms (the peer's limiter window). */
export const UNPACED_EVERY_MS = RATE_WINDOW_MS;

export interface PaceState {
  /** Milliseconds since our last frame that left outside the tick (Infinity if none). */
  sinceUnpacedMs: number;
  /** The peer announced itself as pqchat in this session. */
  peerIsPqchat: boolean;
}

/** True when an item of class `cls` may be written now rather than at the next tick. */
export function leavesAtOnce(cls: Unpaced | undefined, s: PaceState): boolean {
  if (cls === undefined || s.sinceUnpacedMs < UNPACED_EVERY_MS) return false;
  return cls === "peer-bypass" || s.peerIsPqchat;
}
