// What the relay counts, for operators (metrics) and tests.
//
// Plain numbers, incremented in place: the relay's hot path pays one or two
// additions per frame and nothing else; the metrics module reads them when it
// is scraped. Nothing here may ever identify a user: no addresses, no room
// codes, no per-connection figures. Reason keys are fixed strings chosen in
// the code (never text that came from a client).

/** A set of counters keyed by a fixed reason name. */
export class ReasonCounts {
  private readonly counts = new Map<string, number>();

  /** `known` reasons are reported (as 0) before they first happen. */
  constructor(known: readonly string[] = []) {
    for (const k of known) this.counts.set(k, 0);
  }

  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }

  get(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }

  /** Sum over every reason. */
  get total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
}

/** Reasons a connection is refused before it is served (closed with SERVER_FULL or dropped). */
export const RefusalReason = {
  /** --max-clients connections are being served already. */
  serverFull: "server_full",
  /** The relay is draining (shutdown in progress) and accepts nobody new. */
  draining: "draining",
  /** Its address holds --max-per-address connections already. */
  perAddress: "per_address",
  /** Its address opened connections faster than --connect-rate allows (token bucket empty). */
  connectRate: "connect_rate",
  /** Its address has --max-waiting-per-address clients waiting already (refused after its JOIN). */
  waitingPerAddress: "waiting_per_address",
  /** A relay cluster node could not place the client's room (Redis unreachable, or its owner node). */
  unroutable: "unroutable",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** Why a client waiting for a partner was removed by the relay's limits. */
export const EvictionReason = {
  /** The relay was full and a newcomer needed its place. */
  makeRoom: "make_room",
  /** It waited --max-wait. */
  maxWait: "max_wait",
} as const;
export type EvictionReason = (typeof EvictionReason)[keyof typeof EvictionReason];

/** Why the relay ended a connection it was serving (its own decisions, not the client's). */
export const DisconnectReason = {
  keepaliveTimeout: "keepalive_timeout",
  exchangeTimeout: "exchange_timeout",
  frameTimeout: "frame_timeout",
  frameTooLarge: "frame_too_large",
  tooManyUnexpected: "too_many_unexpected",
  invalidJoin: "invalid_join",
  lateJoin: "late_join",
  internalError: "internal_error",
  shutdown: "shutdown",
  /** Evicted to make room (also counted in evictions). */
  evicted: "evicted",
  /** Waited --max-wait (also counted in evictions). */
  maxWait: "max_wait",
  /** Refused after its JOIN: too many waiting from its address (also counted in refusals). */
  waitingPerAddress: "waiting_per_address",
  /** Refused after its JOIN: full and nobody waiting (also counted in refusals). */
  serverFull: "server_full",
} as const;

/** Instantaneous state, computed by the relay when asked (never maintained per frame). */
export interface RelayGauges {
  /** Connections being served: pending + waiting + paired. */
  connections: number;
  /** Connected, not yet registered (the brief JOIN wait). */
  pending: number;
  /** Registered, waiting for a partner. */
  waiting: number;
  /** Registered and in a pair (two per session). */
  paired: number;
  /** Distinct rooms in use (the lobby counts as one). */
  rooms: number;
  /** Shutting down: no new connections are accepted. */
  draining: boolean;
  /** Frames being moved by splice right now (frame-splice.ts). */
  splicing: number;
}

export class RelayStats {
  /** Connections accepted for service (refused ones are counted in `refusals` only). */
  accepted = 0;
  /** Pairs formed (a session's two clients met). */
  pairsFormed = 0;
  /** Frames forwarded from one client to its partner, and their bytes on the wire (prefix included). */
  framesRelayed = 0;
  bytesRelayed = 0;
  /** Of framesRelayed, those moved socket to socket by splice without being read (frame-splice.ts). */
  framesSpliced = 0;
  /** Of framesRelayed, those sent straight from the shared read buffer (direct-writes.ts). */
  framesDirect = 0;
  readonly refusals = new ReasonCounts(Object.values(RefusalReason));
  /** Unpaired clients the relay removed to make room or because they waited too long. */
  readonly evictions = new ReasonCounts(Object.values(EvictionReason));
  /** Connections or frames a rate limiter dropped, by limiter name. */
  readonly limiterDrops = new ReasonCounts();
  readonly disconnects = new ReasonCounts(Object.values(DisconnectReason));
}

/** The gauges of a set of connections: one pass, on demand (a scrape), never per frame. */
export function gaugesOf(
  live: Iterable<{ state: string; room: string; pair: unknown; held?: { from: unknown } | null }>,
  draining: boolean,
): RelayGauges {
  let connections = 0;
  let splicing = 0;
  let pending = 0;
  let waiting = 0;
  let paired = 0;
  const rooms = new Set<string>();
  for (const c of live) {
    connections++;
    if (c.held?.from === c) splicing++;
    if (c.state === "pending") {
      pending++;
      continue;
    }
    rooms.add(c.room);
    if (c.pair !== null) paired++;
    else waiting++;
  }
  return { connections, pending, waiting, paired, rooms: rooms.size, draining, splicing };
}
