// The SCP relay server (SPEC §4.1, §6, §10, §14, §18; WIRE-NOTES §11).
//
// What a client sees is what the reference server sends, frame for frame:
//   * SERVER_VERSION_INFO when it is registered (right after connecting, or
//     after its JOIN — see docs/PROTOCOL-EXTENSIONS.md);
//   * when a second client registers in the same room, INITIATE_KEY_EXCHANGE
//     to the one that was waiting, then SERVER_VERSION_INFO to the newcomer;
//   * key-exchange frames relayed verbatim; after a relayed
//     KEY_EXCHANGE_RESPONSE, KEY_EXCHANGE_COMPLETE to both;
//   * then every frame relayed verbatim (same prefix, same bytes);
//   * KEY_EXCHANGE_RESET to the survivor when its partner leaves; the survivor
//     gets INITIATE_KEY_EXCHANGE again as soon as it has a new partner;
//   * KEEP_ALIVE every interval, SERVER_DISCONNECT before any disconnect the
//     server decides on.
// The reference server's bugs (WIRE-NOTES §15.1–15.4, 15.13) are fixed: a
// rejected connection is closed, clients can never make the server relay a
// server-control type, hostile JSON is counted instead of crashing anything,
// frames are bounded, a keepalive timeout closes the socket.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { MessageType, SERVER_CONTROL_TYPES } from "../protocol/constants.js";
import {
  initiateKeyExchange,
  keepAlive,
  keyExchangeComplete,
  keyExchangeReset,
  serverDisconnect,
  serverError,
  serverFull,
  ServerText,
  serverVersionInfo,
} from "../protocol/control.js";
import { encodeFrame, FrameTooLargeError } from "../protocol/frame.js";
import { AddressLimits } from "./address-limits.js";
import { classify, type Classified } from "./classify.js";
import { Connection, SHARED_READ_BUFFER } from "./connection.js";
import type { Logger } from "./log.js";
import type { ServerOptions } from "./options.js";
import { LOBBY, Pair, parseJoin, WaitingRooms } from "./pairing.js";
import { readIntoBuffers } from "./socket-reads.js";
import { DisconnectReason, RefusalReason, RelayStats, type RelayGauges } from "./stats.js";

/** Pause a sender while its partner has more than this many bytes queued for writing. */
export const HIGH_WATER_BYTES = 1 << 20;
/** Unexpected messages allowed per connection; the last one disconnects (reference: 10). */
export const MAX_UNEXPECTED = 10;
/** Unanswered keepalive probes before the client is dropped (reference: 3). */
export const MAX_KEEPALIVE_FAILURES = 3;
/** After we end a connection, how long the client may take to close its side. */
const CLOSE_GRACE_MS = 2000;
/** On shutdown, how long clients get to read SERVER_DISCONNECT before sockets are destroyed. */
const SHUTDOWN_GRACE_MS = 2000;
/**
 * When full, newcomers beyond --max-clients are still accepted (up to this
 * many, and no more than there are waiting clients) so that, once their room
 * is known, one waiting client can make room for each (see register()).
 */
const MAX_OVERFLOW = 64;
/** Refused sockets allowed their SERVER_FULL grace period at once; beyond, a refused socket is dropped at once. */
const MAX_REFUSED_IN_GRACE = 256;
/** A connection's first frame (a JOIN, at most 1 KiB) must be complete this long after it connected. */
const FIRST_FRAME_LIMIT_MS = 10_000;

/** SERVER_DISCONNECT reasons and unexpected-message suffixes of our own (not in the reference). */
export const Reason = {
  frameTooLarge: (max: number) => `Frame too large: the limit is ${max} bytes`,
  frameTimeout: "Frame timeout: incomplete frame",
  exchangeTimeout: "Key exchange timeout",
  invalidRoom: "Invalid room code",
  lateJoin: "Room request arrived too late: reconnect and send JOIN first",
  evicted: "Server full: a new client needed the place of a client waiting for a partner",
  waitedTooLong: "No partner arrived in time: reconnect to wait again",
  tooManyWaiting: "Too many clients waiting from this address",
  /** Suffix after "Too many unexpected messages" for frames dropped after the exchange. */
  unexpectedAfterExchange: "unexpected message after key exchange",
} as const;

const frame = (payload: Uint8Array): Buffer => Buffer.from(encodeFrame(payload));

/** Constant frames, encoded once and shared (never mutated). */
const F = {
  version: frame(serverVersionInfo()),
  initiate: frame(initiateKeyExchange()),
  complete: frame(keyExchangeComplete()),
  reset: frame(keyExchangeReset()),
  full: frame(serverFull()),
  noPeer: frame(serverError(ServerText.exchangeFailedNoPeer)),
  shutdown: frame(serverDisconnect(ServerText.shuttingDown)),
  keepaliveTimeout: frame(serverDisconnect(ServerText.keepaliveTimeout)),
  exchangeTimeout: frame(serverDisconnect(Reason.exchangeTimeout)),
  frameTimeout: frame(serverDisconnect(Reason.frameTimeout)),
  invalidRoom: frame(serverDisconnect(Reason.invalidRoom)),
  lateJoin: frame(serverDisconnect(Reason.lateJoin)),
  evicted: frame(serverDisconnect(Reason.evicted)),
  waitedTooLong: frame(serverDisconnect(Reason.waitedTooLong)),
  tooManyWaiting: frame(serverDisconnect(Reason.tooManyWaiting)),
  internal: frame(serverDisconnect(ServerText.defaultDisconnect)),
};

/** The stats reason of each SERVER_DISCONNECT notice the relay sends (by identity). */
const NOTICE_REASON = new Map<Buffer, string>([
  [F.shutdown, DisconnectReason.shutdown],
  [F.keepaliveTimeout, DisconnectReason.keepaliveTimeout],
  [F.exchangeTimeout, DisconnectReason.exchangeTimeout],
  [F.frameTimeout, DisconnectReason.frameTimeout],
  [F.invalidRoom, DisconnectReason.invalidJoin],
  [F.lateJoin, DisconnectReason.lateJoin],
  [F.internal, DisconnectReason.internalError],
  [F.evicted, DisconnectReason.evicted],
  [F.waitedTooLong, DisconnectReason.maxWait],
  [F.tooManyWaiting, DisconnectReason.waitingPerAddress],
  [F.full, DisconnectReason.serverFull],
]);

const tooMany = new Map<string, Buffer>();
function tooManyFrame(suffix: string): Buffer {
  let f = tooMany.get(suffix);
  if (f === undefined) {
    // No separator, exactly like the reference (WIRE-NOTES §15.14).
    f = frame(serverDisconnect(ServerText.tooManyUnexpected + suffix));
    tooMany.set(suffix, f);
    NOTICE_REASON.set(f, DisconnectReason.tooManyUnexpected);
  }
  return f;
}

export interface ListenAddress {
  host: string;
  port: number;
}

type PlaceMode =
  /** Just registered: gets SERVER_VERSION_INFO; a waiting client becomes the initiator. */
  | "newcomer"
  /** Its partner left: it already got KEY_EXCHANGE_RESET and becomes the initiator. */
  | "survivor"
  /** Moved out of the lobby by a late JOIN: already greeted; a waiting client becomes the initiator. */
  | "moved";

export class RelayServer {
  private readonly server: Server;
  /** Connections not being closed (pending or registered): what capacity counts. */
  private readonly live = new Set<Connection>();
  /** Every socket still open, including rejected and closing ones (for shutdown). */
  private readonly sockets = new Set<Socket>();
  private readonly rooms = new WaitingRooms();
  /** Per-address limits, waiting clients, eviction choice; its `stats` count refusals and evictions. */
  readonly limits: AddressLimits<Connection>;
  /** Connections in state "registered" (what --max-clients bounds once a room is known). */
  private registered = 0;
  /** Refused sockets still in their grace period. */
  private refusedInGrace = 0;
  private readonly frameTooLarge: Buffer;
  private nextId = 1;
  private stopping: Promise<void> | null = null;
  /** Resolves when the listener is closed and every connection has ended. */
  private listenerClosed: Promise<void> | null = null;
  /** Draining (see drain()): nobody new is served, paired sessions go on. */
  private draining: Promise<void> | null = null;
  /** Called when the last connection ends while draining. */
  private onDrained: (() => void) | null = null;
  /** Set before anything is closed on shutdown: no RESETs, no re-pairing from then on. */
  private shuttingDown = false;

  constructor(
    private readonly opts: ServerOptions,
    private readonly log: Logger,
    /** Counters for operators; read by the metrics endpoint. */
    readonly stats: RelayStats = new RelayStats(),
  ) {
    this.frameTooLarge = frame(serverDisconnect(Reason.frameTooLarge(opts.maxFrame)));
    NOTICE_REASON.set(this.frameTooLarge, DisconnectReason.frameTooLarge);
    this.limits = new AddressLimits<Connection>(
      opts,
      stats,
      (c) => this.close(c, F.waitedTooLong, "waited too long for a partner"),
      opts.maxClients + MAX_OVERFLOW,
    );
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Number of connections being served (pending or registered). */
  get connectionCount(): number {
    return this.live.size;
  }

  /** What is going on right now; computed on demand (one pass over the connections), never per frame. */
  gauges(): RelayGauges {
    let pending = 0;
    let waiting = 0;
    let paired = 0;
    const rooms = new Set<string>();
    for (const c of this.live) {
      if (c.state === "pending") {
        pending++;
        continue;
      }
      rooms.add(c.room);
      if (c.pair !== null) paired++;
      else waiting++;
    }
    return { connections: this.live.size, pending, waiting, paired, rooms: rooms.size, draining: this.draining !== null || this.shuttingDown };
  }

  listen(): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => {
        this.server.off("error", onError);
        this.server.on("error", (err) => this.log.error(`listener: ${err.message}`));
        const a = this.server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting, send SERVER_DISCONNECT "Server shutting
   * down" to every client, close. Resolves when every socket is closed (sockets
   * that do not close within a grace period are destroyed).
   */
  shutdown(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.shuttingDown = true;
    this.limits.stop();
    this.stopping = this.closeListener();
    for (const c of [...this.live]) this.close(c, F.shutdown, "server shutting down");
    const t = setTimeout(() => this.destroyAll(), SHUTDOWN_GRACE_MS);
    t.unref();
    return this.stopping;
  }

  /**
   * Graceful drain (what a supervisor's SIGTERM asks for): stop accepting;
   * every client not in a session (waiting, or not yet registered) gets
   * SERVER_DISCONNECT "Server shutting down" now; paired sessions go on
   * until both leave or `timeoutMs` has passed, then shutdown() closes them
   * with the same reason (the reference's, WIRE-NOTES §4.2, §11). A client
   * whose partner leaves meanwhile is closed too (nobody new will come).
   * Resolves when every socket is closed.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    if (this.draining !== null) return this.draining;
    void this.closeListener();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => {
      this.onDrained = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    this.draining = idle.then(() => {
      clearTimeout(timer);
      this.onDrained = null;
      return this.shutdown();
    });
    for (const c of [...this.live]) if (c.pair === null) this.close(c, F.shutdown, "draining: not in a session");
    if (this.live.size === 0) this.onDrained?.();
    return this.draining;
  }

  /** Stops listening (once); resolves when the listener and all its connections are closed. */
  private closeListener(): Promise<void> {
    if (this.listenerClosed === null) {
      this.listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
    return this.listenerClosed;
  }

  /** Drops every socket at once (second signal, or the end of the shutdown grace period). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  // ---------------------------------------------------------------- accept

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    if (this.shuttingDown || this.draining !== null) {
      this.stats.refusals.add(RefusalReason.draining);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const n = this.live.size;
    if (n >= this.opts.maxClients + Math.min(this.limits.waitingCount, MAX_OVERFLOW)) {
      this.reject(socket, this.limits.refused(RefusalReason.serverFull));
      return;
    }
    const c: Connection = new Connection(this.nextId++, socket, this.opts.maxFrame, (frame) => this.onFrame(c, frame));
    const refusal = this.limits.admit(c, socket.remoteAddress);
    if (refusal !== null) {
      this.reject(socket, refusal);
      return;
    }
    this.stats.accepted++;
    this.live.add(c);
    // Reads go into the shared buffer, or straight into a large frame's own
    // buffer; without that facility, into a fresh chunk per read ('data').
    const reused = readIntoBuffers(
      socket,
      SHARED_READ_BUFFER,
      (n, buf) => (buf === SHARED_READ_BUFFER ? this.onData(c, buf.subarray(0, n), false) : this.onData(c, null, false, n)),
      () => c.reader.readTarget(SHARED_READ_BUFFER),
    );
    if (!reused) socket.on("data", (chunk: Buffer) => this.onData(c, chunk, true));
    this.log.debug(
      () => `connection #${c.id} from ${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"} (reads ${reused ? "into reused buffers" : "as fresh chunks"})`,
    );
    socket.on("end", () => this.close(c, null, "end of stream"));
    socket.on("error", (err: NodeJS.ErrnoException) => this.close(c, null, `socket error ${err.code ?? err.name}`));
    socket.on("close", () => {
      if (c.closeTimer !== null) clearTimeout(c.closeTimer);
      this.close(c, null, "connection lost");
    });
    socket.on("drain", () => this.onDrain(c));
    const acceptedAt = performance.now();
    c.joinTimer = setTimeout(() => this.onJoinWait(c, acceptedAt), this.opts.joinWaitMs);
    c.keepaliveTimer = setInterval(() => this.onKeepaliveTick(c), this.opts.keepaliveIntervalMs);
  }

  /**
   * Refused (over capacity, or over a per-address limit): SERVER_FULL, then
   * close (the reference keeps the connection: WIRE-NOTES §15.1).
   */
  private reject(socket: Socket, why: string): void {
    this.log.debug(() => `connection from ${socket.remoteAddress ?? "?"} refused: ${why.replace(/_/g, " ")}`);
    socket.on("error", () => {});
    if (this.refusedInGrace >= MAX_REFUSED_IN_GRACE) {
      // A connection storm: no grace period, so refusals cost no memory.
      socket.destroy();
      return;
    }
    this.refusedInGrace++;
    socket.end(F.full);
    socket.resume(); // discard anything it sends; never processed
    const t = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once("close", () => {
      clearTimeout(t);
      this.refusedInGrace--;
    });
  }

  // ------------------------------------------------------------ reading

  /**
   * One read: `chunk` (reused after this call unless `stable`), or, when
   * chunk is null, `filled` bytes read straight into the large frame in progress.
   */
  private onData(c: Connection, chunk: Buffer | null, stable: boolean, filled = 0): void {
    if (!c.open) return; // closing: discard
    // Frames relayed while handling this chunk leave in one writev.
    const out = c.pair !== null ? c.pair.other(c).socket : null;
    out?.cork();
    try {
      if (chunk === null) c.reader.fill(filled);
      else c.reader.push(chunk, stable);
    } catch (err) {
      if (err instanceof FrameTooLargeError) {
        this.close(c, this.frameTooLarge, "frame over the size limit");
      } else {
        // A bug, not the client's fault; never let it take the process down.
        // Only code locations are logged, never the message (it could quote data).
        const where = err instanceof Error ? (err.stack ?? "").split("\n").slice(1, 3).join(" <") : "";
        this.log.warn(`connection #${c.id}: internal error while handling a frame ${where}`);
        this.close(c, F.internal, "internal error");
      }
      return;
    } finally {
      out?.uncork();
    }
    if (c.open && c.reader.pending) this.trackPartialFrame(c);
  }

  /** Slowloris guard: a started frame must complete within --frame-timeout. */
  private trackPartialFrame(c: Connection): void {
    const seq = c.reader.completed;
    if (c.partialSeq !== seq) {
      c.partialSeq = seq;
      c.partialSince = performance.now();
    }
    if (c.frameTimer === null) c.frameTimer = setTimeout(() => this.onFrameTimer(c), this.opts.frameTimeoutMs);
  }

  private onFrameTimer(c: Connection): void {
    c.frameTimer = null;
    if (!c.open || !c.reader.pending) return;
    let wait = this.opts.frameTimeoutMs;
    if (!c.backpressured) {
      // (While we hold its reading paused the clock does not run; it restarts on resume.)
      const left = c.partialSince + this.opts.frameTimeoutMs - performance.now();
      if (left <= 0) {
        this.close(c, F.frameTimeout, "incomplete frame timed out");
        return;
      }
      wait = Math.ceil(left);
    }
    c.frameTimer = setTimeout(() => this.onFrameTimer(c), wait);
  }

  private onFrame(c: Connection, wire: Buffer): boolean {
    if (!c.open) return false;
    const cls = classify(wire);
    const first = !c.sawFrame;
    c.sawFrame = true;
    if (first && cls.kind === "typed" && cls.type === MessageType.JOIN) return this.onJoin(c, wire);
    if (c.state === "pending") {
      // The first frame is not a JOIN: a reference-style client, lobby it now.
      this.stopJoinTimer(c);
      if (cls.kind === "typed" && cls.type === MessageType.CLIENT_DISCONNECT) {
        this.close(c, null, "client disconnect");
        return false;
      }
      this.register(c, LOBBY);
      if (!c.open) return false;
    }
    return this.dispatch(c, cls, wire);
  }

  /** WIRE-NOTES §11 "for every frame received from a registered client", hardened. */
  private dispatch(c: Connection, cls: Classified, wire: Buffer): boolean {
    const pair = c.pair;
    const complete = pair !== null && pair.complete;
    if (cls.kind === "typed") {
      const t = cls.type;
      if (t === MessageType.KEEP_ALIVE_RESPONSE) {
        if (!c.keepaliveOutstanding) return this.unexpected(c, ServerText.keepaliveWithoutRequest);
        c.keepaliveOutstanding = false;
        c.keepaliveFailures = 0;
        return true;
      }
      if (t === MessageType.KEY_VERIFICATION) {
        if (!complete) return this.unexpected(c, ServerText.verificationBeforeExchange);
        this.relay(c, pair.other(c), wire);
        return true;
      }
      if (t === MessageType.CLIENT_DISCONNECT) {
        this.close(c, null, "client disconnect");
        return false;
      }
      if (!complete) {
        if (t === MessageType.KEY_EXCHANGE_INIT || t === MessageType.KEY_EXCHANGE_RESPONSE) {
          return this.keyExchangeFrame(c, pair, t, wire);
        }
        // Includes types 1 and 3, which the reference relays here (§15.2).
        return this.unexpected(c, ServerText.unexpectedDuringExchange);
      }
      if (SERVER_CONTROL_TYPES.has(t) || t === MessageType.JOIN) {
        return this.unexpected(c, Reason.unexpectedAfterExchange);
      }
      this.relay(c, pair.other(c), wire);
      return true;
    }
    // Not a typed JSON object. Before completion the reference relays frames
    // that do not parse; we count them (no honest client sends any then).
    if (!complete) return this.unexpected(c, ServerText.unexpectedDuringExchange);
    if (cls.kind === "malformed") return this.unexpected(c, Reason.unexpectedAfterExchange);
    this.relay(c, pair.other(c), wire); // binary (FILE_CHUNK) or other opaque data
    return true;
  }

  private keyExchangeFrame(c: Connection, pair: Pair | null, type: number, wire: Buffer): boolean {
    if (pair === null) {
      // Reference: ERROR broadcast to the registered clients (here: the sender's room has only the sender).
      c.send(F.noPeer);
      c.greetedOnly = false;
      return true;
    }
    this.relay(c, pair.other(c), wire);
    if (type === MessageType.KEY_EXCHANGE_INIT) {
      if (pair.initFrom === null) pair.initFrom = c;
      return true;
    }
    // KEY_EXCHANGE_RESPONSE relayed: complete for both, COMPLETE after the relayed frame.
    pair.complete = true;
    pair.stopTimer();
    pair.initiator.send(F.complete);
    pair.responder.send(F.complete);
    return true;
  }

  private unexpected(c: Connection, suffix: string): boolean {
    c.unexpected++;
    if (c.unexpected < MAX_UNEXPECTED) return true;
    this.close(c, tooManyFrame(suffix), "too many unexpected messages");
    return false;
  }

  // ------------------------------------------------------------ rooms and pairing

  private stopJoinTimer(c: Connection): void {
    if (c.joinTimer !== null) {
      clearTimeout(c.joinTimer);
      c.joinTimer = null;
    }
  }

  private onJoinWait(c: Connection, acceptedAt: number): void {
    c.joinTimer = null;
    if (c.state !== "pending") return;
    if (c.reader.pending) {
      // Its first frame is arriving right now: let that frame decide, for a
      // while (a JOIN is tiny; a first frame that stalls holds a place).
      if (performance.now() - acceptedAt >= Math.min(FIRST_FRAME_LIMIT_MS, this.opts.frameTimeoutMs)) {
        this.close(c, F.frameTimeout, "first frame timed out");
        return;
      }
      c.joinTimer = setTimeout(() => this.onJoinWait(c, acceptedAt), this.opts.joinWaitMs);
      return;
    }
    this.register(c, LOBBY);
  }

  private onJoin(c: Connection, wire: Buffer): boolean {
    const room = parseJoin(wire.subarray(4));
    if (room === null) {
      this.close(c, F.invalidRoom, "invalid JOIN");
      return false;
    }
    if (c.state === "pending") {
      this.stopJoinTimer(c);
      this.register(c, room);
      return c.open;
    }
    // A JOIN that lost the race against the join wait (e.g. its segment was
    // retransmitted): the client is in the lobby already. If it has seen
    // nothing but SERVER_VERSION_INFO it can still be moved; otherwise it
    // must reconnect.
    if (!c.greetedOnly) {
      this.close(c, F.lateJoin, "JOIN after lobby pairing");
      return false;
    }
    this.leaveRoom(c);
    c.room = room;
    this.place(c, "moved");
    return c.open;
  }

  /**
   * Registers a newcomer in `room` once it is known: the per-address waiting
   * limit and --max-clients apply here. When the relay is full, a waiting
   * client (never a paired one, never the newcomer's partner-to-be) is
   * disconnected to make room; if there is none, the newcomer is refused.
   */
  private register(c: Connection, room: string): void {
    const partner = this.rooms.peek(room);
    if (partner === undefined && !this.limits.mayWait(c)) {
      this.limits.refused(RefusalReason.waitingPerAddress);
      this.close(c, F.tooManyWaiting, "too many waiting clients from its address");
      return;
    }
    if (this.registered >= this.opts.maxClients) {
      const victim = this.limits.victim(partner);
      if (victim === undefined) {
        this.limits.refused(RefusalReason.serverFull);
        this.close(c, F.full, "server full");
        return;
      }
      this.limits.evicted();
      this.close(victim, F.evicted, "disconnected a waiting client to make room");
    }
    this.registered++;
    c.state = "registered";
    c.room = room;
    this.log.debug(() => `connection #${c.id} registered${room === LOBBY ? " in the lobby" : " in a room"}`);
    this.place(c, "newcomer");
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

  /** `c` leaves its room (closing, or moving rooms): its partner is reset and re-placed. */
  private leaveRoom(c: Connection): void {
    const pair = c.pair;
    if (pair === null) {
      this.rooms.remove(c.room, c);
      this.limits.waitEnded(c);
      return;
    }
    pair.stopTimer();
    const s = pair.other(c);
    c.pair = s.pair = null;
    if (c.backpressured) this.resume(c);
    if (s.backpressured) this.resume(s);
    if (!s.open) return;
    s.send(F.reset);
    s.greetedOnly = false;
    this.place(s, "survivor");
  }

  /** The key exchange did not finish in time: drop whoever should have acted, keep the other. */
  private onExchangeTimeout(pair: Pair): void {
    pair.exchangeTimer = null;
    if (pair.complete || pair.initiator.pair !== pair) return;
    this.close(pair.staller(), F.exchangeTimeout, "key exchange timed out");
  }

  // ------------------------------------------------------------ writing, backpressure

  /** Forwards a frame verbatim (its original prefix and payload). */
  private relay(from: Connection, to: Connection, wire: Buffer): void {
    to.forward(wire, from.reader);
    const st = this.stats;
    st.framesRelayed++;
    st.bytesRelayed += wire.length;
    to.greetedOnly = false;
    if (!from.backpressured && to.socket.writableLength >= HIGH_WATER_BYTES) {
      // The receiver is not keeping up: stop reading from the sender until the
      // receiver's buffer drains (write() returned false, so 'drain' will come).
      from.backpressured = true;
      from.socket.pause();
    }
  }

  private onDrain(c: Connection): void {
    const p = c.pair;
    if (p === null) return;
    const sender = p.other(c);
    if (sender.backpressured) this.resume(sender);
  }

  private resume(c: Connection): void {
    c.backpressured = false;
    c.partialSince = performance.now();
    if (c.open) c.socket.resume();
  }

  // ------------------------------------------------------------ keepalive

  private onKeepaliveTick(c: Connection): void {
    if (c.state !== "registered") return;
    // While we hold its reading paused its answers sit unread: not its fault.
    if (c.backpressured) return;
    if (c.keepaliveOutstanding) {
      c.keepaliveFailures++;
      if (c.keepaliveFailures >= MAX_KEEPALIVE_FAILURES) {
        this.close(c, F.keepaliveTimeout, "keepalive timeout");
        return;
      }
    }
    c.send(frame(keepAlive(Date.now())));
    c.keepaliveOutstanding = true;
  }

  // ------------------------------------------------------------ closing

  /**
   * Ends a connection: optional notice (SERVER_DISCONNECT), then FIN. Its
   * partner gets KEY_EXCHANGE_RESET. Idempotent.
   */
  private close(c: Connection, notice: Buffer | null, why: string): void {
    if (!c.open) return;
    const wasRegistered = c.state === "registered";
    c.state = "closing";
    c.clearTimers();
    c.reader.abandon();
    this.live.delete(c);
    this.limits.release(c);
    if (wasRegistered) this.registered--;
    if (this.shuttingDown) c.pair?.stopTimer();
    else if (this.draining !== null) this.leaveWhileDraining(c);
    else if (wasRegistered) this.leaveRoom(c);
    this.log.debug(() => `connection #${c.id} closed: ${why}`);
    const s = c.socket;
    if (notice !== null) this.stats.disconnects.add(NOTICE_REASON.get(notice) ?? "other");
    if (s.destroyed) return;
    if (notice !== null) s.write(notice);
    s.end();
    // Keep reading (and discarding) so that the close is a clean FIN rather
    // than a reset that could destroy the notice in flight.
    s.resume();
    c.closeTimer = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
  }

  /** While draining nobody new arrives: a client whose partner leaves is closed instead of re-placed. */
  private leaveWhileDraining(c: Connection): void {
    const pair = c.pair;
    if (pair === null) {
      this.rooms.remove(c.room, c);
    } else {
      pair.stopTimer();
      const s = pair.other(c);
      c.pair = s.pair = null;
      if (s.backpressured) this.resume(s);
      this.close(s, F.shutdown, "partner left while draining");
    }
    if (this.live.size === 0) this.onDrained?.();
  }
}
