// Who talks to whom: the JOIN (or its absence, for reference clients), registering a client in its room once the room is known
// (the lobby for reference clients), pairing it with the client waiting there,
// re-placing a survivor whose partner left, and the key-exchange deadline.
// The order of frames is the reference's (WIRE-NOTES §11): INITIATE_KEY_EXCHANGE
// to the earlier client, then the newcomer's SERVER_VERSION_INFO; a survivor
// gets KEY_EXCHANGE_RESET and becomes the initiator of its next pair.
import type { AddressLimits } from "./address-limits.js";
import type { Connection } from "./connection.js";
import type { Logger } from "./log.js";
import { F } from "./notices.js";
import type { ServerOptions } from "./options.js";
import { LOBBY, Pair, parseJoin, WaitingRooms } from "./pairing.js";
import { RefusalReason, type RelayStats } from "./stats.js";

/** A connection's first frame (a JOIN, at most 1 KiB) must be complete this long after it connected. */
const FIRST_FRAME_LIMIT_MS = 10_000;

type PlaceMode =
  /** Just registered: gets SERVER_VERSION_INFO; a waiting client becomes the initiator. */
  | "newcomer"
  /** Its partner left: it already got KEY_EXCHANGE_RESET and becomes the initiator. */
  | "survivor"
  /** Moved out of the lobby by a late JOIN: already greeted; a waiting client becomes the initiator. */
  | "moved";

/** What matchmaking asks of the relay that owns the sockets. */
export interface MatchmakingHost {
  /** Ends a connection with an optional SERVER_DISCONNECT notice. */
  close(c: Connection, notice: Buffer | null, why: string): void;
  /** Lets a sender whose reading was paused for its partner read again. */
  resume(c: Connection): void;
}

export class Matchmaker {
  private readonly rooms = new WaitingRooms();
  /** Connections in state "registered" (what --max-clients bounds once a room is known). */
  registered = 0;

  constructor(
    private readonly opts: ServerOptions,
    private readonly limits: AddressLimits<Connection>,
    private readonly stats: RelayStats,
    private readonly log: Logger,
    private readonly host: MatchmakingHost,
  ) {}

  /** Stops waiting for a first-frame JOIN. */
  static stopJoinTimer(c: Connection): void {
    if (c.joinTimer !== null) {
      clearTimeout(c.joinTimer);
      c.joinTimer = null;
    }
  }

  /**
   * The join wait ended with no JOIN: a reference-style client, lobbied unless
   * its first frame is still arriving. `settled`: bytes that had arrived by the
   * time the wait ended were read first (a busy event loop runs due timers
   * before it reads sockets, so a JOIN sent in time may not have been read
   * yet; the check phase of setImmediate comes after the poll phase).
   */
  joinWaitElapsed(c: Connection, acceptedAt: number, settled = false): void {
    c.joinTimer = null;
    if (c.state !== "pending") return;
    if (c.reader.pending) {
      // Its first frame is arriving right now: let that frame decide, for a
      // while (a JOIN is tiny; a first frame that stalls holds a place).
      if (performance.now() - acceptedAt >= Math.min(FIRST_FRAME_LIMIT_MS, this.opts.frameTimeoutMs)) {
        this.host.close(c, F.frameTimeout, "first frame timed out");
        return;
      }
      c.joinTimer = setTimeout(() => this.joinWaitElapsed(c, acceptedAt), this.opts.joinWaitMs);
      return;
    }
    if (!settled) {
      setImmediate(() => this.joinWaitElapsed(c, acceptedAt, true));
      return;
    }
    this.register(c, LOBBY);
  }

  /** A JOIN as the first frame; false when the connection was closed. */
  join(c: Connection, wire: Buffer): boolean {
    const room = parseJoin(wire.subarray(4));
    if (room === null) {
      this.host.close(c, F.invalidRoom, "invalid JOIN");
      return false;
    }
    if (c.state === "pending") {
      Matchmaker.stopJoinTimer(c);
      this.register(c, room);
      return c.open;
    }
    // A JOIN that lost the race against the join wait (e.g. its segment was
    // retransmitted): the client is in the lobby already. If it has seen
    // nothing but SERVER_VERSION_INFO it can still be moved; otherwise it
    // must reconnect.
    if (!c.greetedOnly) {
      this.host.close(c, F.lateJoin, "JOIN after lobby pairing");
      return false;
    }
    this.move(c, room);
    return c.open;
  }

  /**
   * Registers a newcomer in `room` once it is known: the per-address waiting
   * limit and --max-clients apply here. When the relay is full, a waiting
   * client (never a paired one, never the newcomer's partner-to-be) is
   * disconnected to make room; if there is none, the newcomer is refused.
   */
  register(c: Connection, room: string): void {
    const partner = this.rooms.peek(room);
    if (partner === undefined && !this.limits.mayWait(c)) {
      this.limits.refused(RefusalReason.waitingPerAddress);
      this.host.close(c, F.tooManyWaiting, "too many waiting clients from its address");
      return;
    }
    if (this.registered >= this.opts.maxClients) {
      const victim = this.limits.victim(partner);
      if (victim === undefined) {
        this.limits.refused(RefusalReason.serverFull);
        this.host.close(c, F.full, "server full");
        return;
      }
      this.limits.evicted();
      this.host.close(victim, F.evicted, "disconnected a waiting client to make room");
    }
    this.registered++;
    c.state = "registered";
    c.room = room;
    this.log.debug(() => `connection #${c.id} registered${room === LOBBY ? " in the lobby" : " in a room"}`);
    this.place(c, "newcomer");
  }

  /** A late JOIN moves a client that has seen only SERVER_VERSION_INFO out of the lobby. */
  move(c: Connection, room: string): void {
    this.leave(c);
    c.room = room;
    this.place(c, "moved");
  }

  /** `c` leaves its room (closing, or moving rooms): its partner is reset and re-placed. */
  leave(c: Connection): void {
    const pair = c.pair;
    if (pair === null) {
      this.rooms.remove(c.room, c);
      this.limits.waitEnded(c);
      return;
    }
    const s = this.unpair(c, pair);
    if (c.backpressured) this.host.resume(c);
    if (!s.open) return;
    s.send(F.reset);
    s.greetedOnly = false;
    this.place(s, "survivor");
  }

  /** While draining nobody new arrives: a client whose partner leaves is closed instead of re-placed. */
  leaveWhileDraining(c: Connection): void {
    const pair = c.pair;
    if (pair === null) {
      this.rooms.remove(c.room, c);
      return;
    }
    const s = this.unpair(c, pair);
    this.host.close(s, F.shutdown, "partner left while draining");
  }

  /** Dissolves `pair` (of which `c` is one side); returns the other side, its reading resumed. */
  private unpair(c: Connection, pair: Pair): Connection {
    pair.stopTimer();
    const s = pair.other(c);
    c.pair = s.pair = null;
    if (s.backpressured) this.host.resume(s);
    return s;
  }

  /** Pairs `c` with the client waiting in its room, or makes it the one waiting. */
  private place(c: Connection, mode: PlaceMode): void {
    const w = this.rooms.take(c.room);
    if (w === undefined) {
      this.rooms.put(c.room, c);
      this.limits.waitStarted(c);
      if (mode === "newcomer") c.send(F.version);
      return;
    }
    this.limits.waitEnded(w);
    const pair = mode === "survivor" ? new Pair(c, w) : new Pair(w, c);
    c.pair = w.pair = pair;
    this.stats.pairsFormed++;
    // Reference order: INITIATE to the earlier client, then the newcomer's greeting.
    pair.initiator.send(F.initiate);
    pair.initiator.greetedOnly = false;
    if (mode === "newcomer") c.send(F.version);
    pair.exchangeTimer = setTimeout(() => this.onExchangeTimeout(pair), this.opts.exchangeTimeoutMs);
  }

  /** The key exchange did not finish in time: drop whoever should have acted, keep the other. */
  private onExchangeTimeout(pair: Pair): void {
    pair.exchangeTimer = null;
    if (pair.complete || pair.initiator.pair !== pair) return;
    this.host.close(pair.staller(), F.exchangeTimeout, "key exchange timed out");
  }
}
