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
import { createServer, type Server, type Socket } from "node:net";
import { MessageType } from "../protocol/constants.js";
import { FrameTooLargeError } from "../protocol/frame.js";
import { AddressLimits } from "./address-limits.js";
import { classify, startsOpaque } from "./classify.js";
import { flushAllRuns } from "./direct-writes.js";
import { Connection, SHARED_READ_BUFFER } from "./connection.js";
import { frameAction } from "./frame-policy.js";
import { afterSplice, SpliceEnd, Splicer, type SpliceJob } from "./frame-splice.js";
import { listenOn, type ListenAddress } from "./listen.js";
import type { Logger } from "./log.js";
import { Matchmaker } from "./matchmaking.js";
import { F, frameTooLargeFrame, NOTICE_REASON, tooManyFrame } from "./notices.js";
import type { ServerOptions } from "./options.js";
import { LOBBY, type Pair } from "./pairing.js";
import { CLOSE_GRACE_MS, Refusals } from "./refusals.js";
import { readIntoBuffers } from "./socket-reads.js";
import { gaugesOf, RefusalReason, RelayStats, type RelayGauges } from "./stats.js";

export { Reason } from "./notices.js";
export type { ListenAddress } from "./listen.js";
export { MAX_KEEPALIVE_FAILURES } from "./connection.js";

/** Pause a sender while its partner has more than this many bytes queued for writing. */
export const HIGH_WATER_BYTES = 1 << 20;
/** Unexpected messages allowed per connection; the last one disconnects (reference: 10). */
export const MAX_UNEXPECTED = 10;
/** On shutdown, how long clients get to read SERVER_DISCONNECT before sockets are destroyed. */
const SHUTDOWN_GRACE_MS = 2000;
/**
 * When full, newcomers beyond --max-clients are still accepted (up to this
 * many, and no more than there are waiting clients) so that, once their room
 * is known, one waiting client can make room for each (see register()).
 */
const MAX_OVERFLOW = 64;

export class RelayServer {
  private readonly server: Server;
  /** Connections not being closed (pending or registered): what capacity counts. */
  private readonly live = new Set<Connection>();
  /** Every socket still open, including rejected and closing ones (for shutdown). */
  private readonly sockets = new Set<Socket>();
  /** Per-address limits, waiting clients, eviction choice; its `stats` count refusals and evictions. */
  readonly limits: AddressLimits<Connection>;
  private readonly matchmaker: Matchmaker;
  private readonly refusals: Refusals;
  /** One function for every connection's frame timeout (no closure per read). */
  private readonly onFrameTimeout = (c: Connection): void => this.close(c, F.frameTimeout, "incomplete frame timed out");
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
  /** destroyAll() was called: sockets still held by a splice job are destroyed when it ends. */
  private destroying = false;
  private readonly splicer = new Splicer((job, end, unread, wrote) => this.onSpliceEnd(job, end, unread, wrote));

  constructor(
    private readonly opts: ServerOptions,
    private readonly log: Logger,
    /** Counters for operators; read by the metrics endpoint. */
    readonly stats: RelayStats = new RelayStats(),
  ) {
    this.frameTooLarge = frameTooLargeFrame(opts.maxFrame);
    this.refusals = new Refusals(log);
    this.limits = new AddressLimits<Connection>(
      opts,
      stats,
      (c) => this.close(c, F.waitedTooLong, "waited too long for a partner"),
      opts.maxClients + MAX_OVERFLOW,
    );
    this.matchmaker = new Matchmaker(opts, this.limits, stats, log, {
      close: (c, notice, why) => this.close(c, notice, why),
      resume: (c) => this.resume(c),
    });
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Number of connections being served (pending or registered). */
  get connectionCount(): number {
    return this.live.size;
  }

  /** What is going on right now; computed on demand (one pass over the connections), never per frame. */
  gauges(): RelayGauges {
    return gaugesOf(this.live, this.draining !== null || this.shuttingDown);
  }

  listen(): Promise<ListenAddress> {
    return listenOn(this.server, this.opts.host, this.opts.port, this.log);
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
    this.destroying = true;
    this.splicer.cancelAll();
    for (const s of this.sockets) if (!this.splicer.holds(s)) s.destroy();
  }

  // ---------------------------------------------------------------- accept

  private accept(socket: Socket): void {
    const c = this.admit(socket, this.nextId++);
    if (c === null) return;
    this.serve(c);
    const acceptedAt = performance.now();
    c.joinTimer = setTimeout(() => this.matchmaker.joinWaitElapsed(c, acceptedAt), this.opts.joinWaitMs);
  }

  /**
   * Takes over a connection whose place a primary process already decided
   * (src/server/join-gate.ts): registers it at once and processes the bytes
   * the primary read (`head`, without the JOIN if `joined`). `ip` is the
   * client's address when the socket comes from another relay node.
   */
  adopt(socket: Socket, id: number, room: string, joined: boolean, head: Buffer, ip: string | undefined = socket.remoteAddress): void {
    const c = this.admit(socket, id, ip);
    if (c === null) return;
    // Bytes that arrived before this process took the socket over.
    const early = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
    this.serve(c);
    c.sawFrame = joined;
    this.matchmaker.register(c, room);
    if (!c.open) return;
    const all = early === null ? head : Buffer.concat([head, early]);
    if (all.length > 0) this.onData(c, all, true);
  }

  /** Capacity and per-address admission; null when `socket` was refused. */
  private admit(socket: Socket, id: number, ip: string | undefined = socket.remoteAddress): Connection | null {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    if (this.shuttingDown || this.draining !== null) {
      this.stats.refusals.add(RefusalReason.draining);
      socket.destroy();
      return null;
    }
    socket.setNoDelay(true);
    const n = this.live.size;
    if (n >= this.opts.maxClients + Math.min(this.limits.waitingCount, MAX_OVERFLOW)) {
      this.refusals.refuse(socket, this.limits.refused(RefusalReason.serverFull));
      return null;
    }
    const c: Connection = new Connection(
      id,
      socket,
      this.opts.maxFrame,
      (frame) => this.onFrame(c, frame),
      (head, total) => this.handOff(c, head, total),
    );
    const refusal = this.limits.admit(c, ip);
    if (refusal !== null) {
      this.refusals.refuse(socket, refusal);
      return null;
    }
    this.stats.accepted++;
    this.live.add(c);
    return c;
  }

  /** Starts reading an admitted connection, watching its socket, and its keepalive. */
  private serve(c: Connection): void {
    const socket = c.socket;
    // Reads go into the shared buffer, or straight into a large frame's own
    // buffer; without that facility, into a fresh chunk per read ('data').
    const reused = readIntoBuffers(
      socket,
      SHARED_READ_BUFFER,
      (n, buf) => (buf === SHARED_READ_BUFFER ? this.onData(c, buf.subarray(0, n), false) : this.onData(c, null, false, n)),
      () => c.reader.readTarget(SHARED_READ_BUFFER),
    );
    c.userBufferReads = reused;
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
    c.keepaliveTimer = setInterval(() => this.onKeepaliveTick(c), this.opts.keepaliveIntervalMs);
    if (socket.isPaused()) socket.resume();
  }

  // ------------------------------------------------------------ reading

  /**
   * One read: `chunk` (reused after this call unless `stable`), or, when
   * chunk is null, `filled` bytes read straight into the large frame in progress.
   */
  private onData(c: Connection, chunk: Buffer | null, stable: boolean, filled = 0): void {
    if (!c.open) return; // closing: discard
    // Frames relayed while handling this chunk leave in one send (direct-writes.ts) or one writev.
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
      flushAllRuns(); // before the next read reuses the buffer the runs point into
      out?.uncork();
    }
    // Slowloris guard: a started frame must complete within --frame-timeout.
    if (c.open && c.reader.pending) c.watchPartialFrame(this.opts.frameTimeoutMs, this.onFrameTimeout);
  }

  /**
   * A large frame from `c` has begun: once the key exchange is complete a
   * binary frame goes to the partner by splice (frame-splice.ts), unread.
   */
  private handOff(c: Connection, head: Buffer, total: number): boolean {
    const p = c.pair;
    if (p === null || !p.complete || c.state !== "registered" || !startsOpaque(head)) return false;
    p.other(c).flushDirect(); // the splice thread writes to that socket next: what came before goes first
    return this.splicer.tryStart(c, p.other(c), head, total, this.opts.frameTimeoutMs);
  }

  /** A splice job ended: count it, close whichever side it left broken, let the others go on. */
  private onSpliceEnd(job: SpliceJob, end: SpliceEnd, unread: number, wrote: boolean): void {
    const { from, to } = job;
    job.runDeferred(end, wrote);
    if (this.destroying) {
      from.socket.destroy();
      to.socket.destroy();
      return;
    }
    if (end === SpliceEnd.done) {
      this.stats.framesRelayed++;
      this.stats.framesSpliced++;
      this.stats.bytesRelayed += job.total;
      to.greetedOnly = false;
    }
    const step = afterSplice(end, wrote, from.open, to.open);
    if (step.cutOff !== null) this.close(to, null, step.cutOff);
    if (step.toFailed) this.close(to, null, "connection lost");
    if (step.closeFrom !== null) this.close(from, step.fromTimedOut ? F.frameTimeout : null, step.closeFrom);
    for (const c of [from, to]) {
      if (!c.open) continue;
      if (c === from && end !== SpliceEnd.done) c.reader.skip(unread);
      for (const f of job.takeQueued(c)) c.socket.write(f);
      if (!c.backpressured) c.socket.resume();
      if (c.reader.pending) c.watchPartialFrame(this.opts.frameTimeoutMs, this.onFrameTimeout);
    }
  }

  private onFrame(c: Connection, wire: Buffer): boolean {
    if (!c.open) return false;
    const cls = classify(wire);
    const first = !c.sawFrame;
    c.sawFrame = true;
    if (first && cls.kind === "typed" && cls.type === MessageType.JOIN) return this.matchmaker.join(c, wire);
    if (c.state === "pending") {
      // The first frame is not a JOIN: a reference-style client, lobby it now.
      Matchmaker.stopJoinTimer(c);
      if (cls.kind === "typed" && cls.type === MessageType.CLIENT_DISCONNECT) {
        this.close(c, null, "client disconnect");
        return false;
      }
      this.matchmaker.register(c, LOBBY);
      if (!c.open) return false;
    }
    return this.dispatch(c, wire, frameAction(cls, c.pair !== null && c.pair.complete, c.keepaliveOutstanding));
  }

  /** Carries out frameAction() (src/server/frame-policy.ts) for a frame from a registered client. */
  private dispatch(c: Connection, wire: Buffer, action: ReturnType<typeof frameAction>): boolean {
    switch (action.do) {
      case "keepalive-answered":
        c.keepaliveOutstanding = false;
        c.keepaliveFailures = 0;
        return true;
      case "relay":
        this.relay(c, c.pair!.other(c), wire);
        return true;
      case "key-exchange":
        return this.keyExchangeFrame(c, c.pair, action.type, wire);
      case "disconnect":
        this.close(c, null, "client disconnect");
        return false;
      case "unexpected":
        return this.unexpected(c, action.suffix);
    }
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

  // ------------------------------------------------------------ writing, backpressure

  /** Forwards a frame verbatim (its original prefix and payload). */
  private relay(from: Connection, to: Connection, wire: Buffer): void {
    const direct = to.forward(wire, from.reader);
    const st = this.stats;
    st.framesRelayed++;
    if (direct) st.framesDirect++;
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
    if (c.open && c.held === null) c.socket.resume();
  }

  // ------------------------------------------------------------ keepalive

  private onKeepaliveTick(c: Connection): void {
    if (c.state !== "registered") return;
    // While we hold its reading paused its answers sit unread: not its fault.
    if (c.backpressured || c.held !== null) return;
    if (!c.probeKeepalive()) this.close(c, F.keepaliveTimeout, "keepalive timeout");
  }

  // ------------------------------------------------------------ closing

  /**
   * Ends a connection: optional notice (SERVER_DISCONNECT), then FIN. Its
   * partner gets KEY_EXCHANGE_RESET. Idempotent.
   */
  private close(c: Connection, notice: Buffer | null, why: string): void {
    if (!c.open) return;
    c.flushDirect(); // frames already forwarded go out before the notice
    const wasRegistered = c.state === "registered";
    c.state = "closing";
    c.clearTimers();
    c.reader.abandon();
    this.live.delete(c);
    this.limits.release(c);
    if (wasRegistered) this.matchmaker.registered--;
    if (this.shuttingDown) c.pair?.stopTimer();
    else if (this.draining !== null) this.leaveWhileDraining(c);
    else if (wasRegistered) this.matchmaker.leave(c);
    this.log.debug(() => `connection #${c.id} closed: ${why}`);
    if (notice !== null) this.stats.disconnects.add(NOTICE_REASON.get(notice) ?? "other");
    const job = c.held;
    if (job !== null) {
      // The splice thread still uses this socket: close it when the job ends
      // (cancelled now). A partner cut off mid-frame gets no notice: it would
      // land inside the frame.
      job.defer((end, wrote) => this.closeSocket(c, c === job.to && wrote && end !== SpliceEnd.done ? null : notice));
      job.cancel();
      return;
    }
    this.closeSocket(c, notice);
  }

  /** Ends a closed connection's socket: notice, FIN, then destroy after a grace period. */
  private closeSocket(c: Connection, notice: Buffer | null): void {
    const s = c.socket;
    if (s.destroyed) return;
    if (notice !== null) s.write(notice);
    s.end();
    // Keep reading (and discarding) so that the close is a clean FIN rather
    // than a reset that could destroy the notice in flight.
    s.resume();
    c.closeTimer = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
  }

  /** While draining nobody new arrives: a client whose partner leaves is closed, and the last one out ends the drain. */
  private leaveWhileDraining(c: Connection): void {
    this.matchmaker.leaveWhileDraining(c);
    if (this.live.size === 0) this.onDrained?.();
  }
}
