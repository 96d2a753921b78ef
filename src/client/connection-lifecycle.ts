// The life of one connection to a relay: connect (JOIN a room first, if any),
// leave with CLIENT_DISCONNECT, emergency close in either direction, the
// server's RESET when the peer leaves, and the teardown that wipes every key
// and ends calls, transfers and worker threads when the session or the
// connection ends. How each connection ended decides whether the reconnect
// part (reconnect.ts, reconnect-policy.ts) opens the next one; the parts that
// keep memory across sessions hear of it through SessionLife
// (session-life.ts). Views' read pauses survive reconnects.
import * as os from "node:os";
import { removeStaleTemps } from "../io/file/index.js";
import { MessageType, PROTOCOL_VERSION, clientDisconnect, compareVersions, isValidRoomCode, join, pyjson, toBytes } from "../protocol/index.js";
import { CommandError, type ConnectOptions } from "./api.js";
import { Connection, type ConnectionHandlers } from "./connection.js";
import type { ClientParts } from "./parts.js";
import { retryable, type ConnectionEnd } from "./reconnect-policy.js";

export class ConnectionLifecycle {
  host: string | null = null;
  port: number | null = null;
  room: string | null = null;
  /** How this connection is ending (reconnect-policy.ts): "lost" until something says otherwise. */
  private end: ConnectionEnd = { kind: "lost" };
  /** This connection is ending because the user asked (disconnect, quit): nothing is kept for a resume. */
  private deliberate = false;
  /** Views whose output is backed up (pauseInbound): reading from the relay waits for them. */
  private readonly viewPauses = new Set<string>();
  /** Removal of temp files a crashed pqchat left behind (temp-files.ts); connect() waits for it. */
  private readonly startupSweep: Promise<void>;
  /** Removal of this connection's transfers' temp files; disconnect() resolves only after it. */
  private closingCleanup: Promise<void> = Promise.resolve();

  constructor(
    private readonly p: ClientParts,
    /** Pending coalesced notices go out before `disconnected`. */
    private readonly flushNotices: () => void,
  ) {
    // Partial downloads (plaintext) in the download dir, gzip temp files in the temp dir.
    const dir = p.ctx.downloadDir;
    this.startupSweep = Promise.all([removeStaleTemps(dir, "files"), removeStaleTemps(os.tmpdir(), "files")]).then(() => undefined);
  }

  /** ClientApi.connect: a connection asked for by the user (it ends a reconnect under way). */
  async connect(opts: ConnectOptions): Promise<void> {
    await this.startupSweep;
    const { ctx } = this.p;
    if (ctx.conn && !ctx.conn.closed) throw new CommandError("Already connected; disconnect first.");
    const { host, port } = opts;
    if (typeof host !== "string" || host === "") throw new CommandError("A host is required.");
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CommandError("The port must be a number from 1 to 65535.");
    const room = opts.room ?? null;
    if (room !== null && !isValidRoomCode(room)) throw new CommandError("The room code must be 1 to 64 letters, digits, '-' or '_'.");
    this.p.reconnect.supersede();
    await this.open({ ...opts, room });
  }

  /** Opens a connection to a checked target (a user's connect, or an automatic reconnect attempt). */
  async open(target: ConnectOptions): Promise<void> {
    const { ctx } = this.p;
    if (ctx.conn && !ctx.conn.closed) throw new CommandError("Already connected; disconnect first.");
    const { host, port } = target;
    const room = target.room ?? null;
    ctx.phase = "connecting";
    this.host = host;
    this.port = port;
    this.room = room;
    this.p.handshake.serverVersion = null;
    this.end = { kind: "lost" };
    this.deliberate = false;
    this.p.verification.newConnection();
    this.p.inbound.resetLimiter();
    let conn: Connection | null = null;
    try {
      conn = await Connection.open(host, port, this.handlers(() => conn), {
        ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
        silenceLimitMs: ctx.serverSilenceMs,
      });
    } catch (err) {
      ctx.phase = "disconnected";
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : "error");
      throw new CommandError(`Cannot connect to ${host}:${port} (${code}).`);
    }
    ctx.conn = conn;
    this.p.reconnect.remember({ ...target, room });
    for (const r of this.viewPauses) conn.pauseReading(`view:${r}`);
    // JOIN first, before reading anything (docs/PROTOCOL-EXTENSIONS.md).
    if (room !== null) conn.write(join(room));
    ctx.phase = "waiting_for_peer";
    ctx.emit("connected", { host, port, room });
    ctx.emit("waiting_for_peer", {});
  }

  /** The socket's events, acted on only while `current()` is still this client's connection. */
  private handlers(current: () => Connection | null): ConnectionHandlers {
    const mine = (): boolean => this.p.ctx.conn === current();
    return {
      onFrame: (payload) => {
        if (mine()) this.p.inbound.onFrame(payload);
      },
      onFrameTooLarge: (e) => {
        if (!mine()) return;
        this.end = { kind: "fatal" };
        this.p.ctx.report("oversize", `Received a frame announcing ${e.length} bytes (limit ${e.max}); disconnecting.`);
      },
      onClose: (reason) => {
        if (mine()) this.onClosed(reason);
      },
      onDrain: () => {
        if (mine()) this.p.writePath.wakeAll();
      },
    };
  }

  pauseInbound(reason: string): void {
    this.viewPauses.add(reason);
    this.p.ctx.conn?.pauseReading(`view:${reason}`);
  }

  resumeInbound(reason: string): void {
    this.viewPauses.delete(reason);
    this.p.ctx.conn?.resumeReading(`view:${reason}`);
  }

  /** EMERGENCY_CLOSE at once, then wipe and close (ClientApi.emergencyClose). */
  emergencyClose(): void {
    const { ctx } = this.p;
    const conn = ctx.conn;
    if (!conn || conn.closed) {
      // Between reconnect attempts there is nothing to tell the peer: stop trying, forget what was held.
      if (this.p.reconnect.cancel()) {
        this.p.continuity.wipe();
        void this.p.transfers.failAll("Emergency close.");
        return;
      }
      throw new CommandError("Not connected.");
    }
    // Sent at once, outside the queue; encrypted if keys exist, else plaintext (WIRE-NOTES §14 erratum 25).
    const inner = toBytes(pyjson({ type: MessageType.EMERGENCY_CLOSE }));
    // Out of line: it does not wait for file chunks still being encrypted (the transfer is abandoned).
    const sent = ctx.session !== null && this.p.writePath.sendInner(inner, true) !== null;
    if (!sent) conn.write(inner);
    this.end = { kind: "emergency" };
    ctx.phase = "closing";
    this.p.calls.reset("emergency_close");
    this.p.continuity.wipe();
    this.wipeSession();
    conn.close("Emergency close.");
  }

  /** The peer's EMERGENCY_CLOSE: wipe and drop the connection at once. */
  onPeerEmergencyClose(): void {
    const { ctx } = this.p;
    this.p.calls.reset("emergency_close");
    ctx.emit("emergency_close", {});
    this.end = { kind: "emergency" };
    ctx.phase = "closing";
    this.p.continuity.wipe();
    this.wipeSession();
    ctx.conn?.destroy("The peer sent an emergency close.");
  }

  /** ClientApi.disconnect: leave, or stop a reconnect under way; it also ends what a verified reconnect would carry over. */
  async disconnect(): Promise<void> {
    this.p.continuity.wipe();
    this.deliberate = true;
    const conn = this.p.ctx.conn;
    if (!conn || conn.closed) {
      this.p.reconnect.cancel();
      await this.closingCleanup;
      // Transfers kept from an earlier unexpected end go too.
      return this.p.transfers.failAll("Disconnected.");
    }
    this.leave("Disconnected.");
    await conn.closedPromise;
    await this.closingCleanup;
  }

  /** CLIENT_DISCONNECT and close, with `reason` in the disconnected event. */
  leave(reason: string): void {
    const { ctx } = this.p;
    const conn = ctx.conn;
    if (!conn || conn.closed || ctx.phase === "closing") return;
    // A call ends with END at once (the queue will not run again), then CLIENT_DISCONNECT.
    if (ctx.phase === "secure") this.p.calls.hangUpNow("disconnected");
    conn.write(clientDisconnect());
    ctx.phase = "closing";
    this.end = { kind: "left" };
    conn.close(reason);
  }

  /** SERVER_FULL or SERVER_DISCONNECT: the server ends the connection. */
  closeFromServer(reason: string, end: ConnectionEnd): void {
    this.p.ctx.phase = "closing";
    this.end = end;
    this.p.ctx.conn?.close(reason);
  }

  /** KEY_EXCHANGE_RESET: the peer left; wait for the next one on the same connection. */
  onReset(reason: string): void {
    // The real server sends this when the peer leaves; a peer can forge it through a
    // reference relay (WIRE-NOTES §15.2), but the only effect is what the server would do anyway.
    const { ctx } = this.p;
    this.p.calls.reset("reset");
    this.wipeSession();
    // The peer's connection may come back (docs/PROTOCOL-EXTENSIONS.md §5): unfinished transfers are kept.
    void this.p.transfers.interruptAll("The peer disconnected.");
    this.p.life.ended("peer_left", "The peer left.");
    ctx.phase = "waiting_for_peer";
    ctx.emit("reset", { reason: reason.slice(0, 200) });
    ctx.emit("waiting_for_peer", {});
  }

  /** Wipes all key material and session state (reset, disconnect, emergency close). */
  private wipeSession(): void {
    const { ctx, writePath } = this.p;
    this.p.calls.reset("disconnected");
    this.p.sender.stop();
    writePath.clear();
    this.p.inbound.clear();
    this.p.verification.clear();
    this.p.continuity.sessionEnded();
    this.p.rekeyFlow.detach();
    this.p.handshake.clear();
    ctx.session?.destroy();
    ctx.session = null;
    ctx.fingerprint = null;
    ctx.completeAt = 0;
    this.p.nicknames.clearPeer();
    this.p.ephemeral.clear();
    this.p.sentTexts.clear();
    this.p.peerFeatures.clear();
    writePath.wakeAll();
  }

  private onClosed(reason: string): void {
    const end = this.end;
    const emergency = end.kind === "emergency";
    const retry = !this.serverBreaking() && retryable(end) && this.p.reconnect.wouldRetry;
    this.p.calls.reset(emergency ? "emergency_close" : "disconnected");
    this.wipeSession();
    this.flushNotices();
    this.p.ctx.phase = "disconnected";
    // An unexpected end keeps unfinished transfers for a resume; an emergency close or the user's own disconnect does not.
    this.closingCleanup =
      emergency || this.deliberate ? this.p.transfers.failAll(emergency ? "Emergency close." : "Disconnected.") : this.p.transfers.interruptAll("Disconnected.");
    this.p.life.ended(emergency ? "emergency" : retry ? "lost" : "closed", reason);
    this.p.ctx.emit("disconnected", emergency ? { emergency: true, reason } : retry ? { reason, reconnect: true } : { reason });
    if (retry) this.p.reconnect.lost(reason);
    else this.p.reconnect.stopped(reason, end.kind === "left" || emergency);
  }

  /** The relay said it speaks a different major version: a new connection would not fare better. */
  private serverBreaking(): boolean {
    const v = this.p.handshake.serverVersion;
    return v !== null && compareVersions(PROTOCOL_VERSION, v) === "breaking";
  }
}
