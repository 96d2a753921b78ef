// The UI-free client core (issue 4): one connection to a relay, the key
// exchange in either role, verification, the sender loop, the inbound
// pipeline, every inner message type, rekey and file transfers. Views (the
// terminal UI, the JSON-lines interface, the GUI bridge) only use ClientApi and
// the typed events. No console I/O here; nothing emitted ever carries keys,
// nonces, others' counters in error texts, or message content in error texts.
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import * as path from "node:path";
import {
  FrameTooLargeError,
  Initiator,
  MAX_SAFE_INNER_PLAINTEXT,
  MessageType,
  NICKNAME_MAX,
  PROTOCOL_VERSION,
  SEND_INTERVAL_MS,
  SessionError,
  HandshakeError,
  clientDisconnect,
  compareVersions,
  isValidRoomCode,
  join,
  keepAliveResponse,
  keyVerification,
  peerVersion,
  pyjson,
  respond,
  toBytes,
  type Fingerprint,
  type JsonObject,
  type Session,
} from "../protocol/index.js";
import { DEFAULT_MAX_FILE_SIZE } from "../protocol/file/index.js";
import { CommandError, type ClientApi, type ClientOptions, type ClientState, type ConnectOptions, type ConnectionPhase } from "./api.js";
import { Connection } from "./connection.js";
import type { ClientEventMap, ClientEventName, ErrorKind, FileInfo, Policy } from "./events.js";
import { RateLimiter, checkInner, classifyFrame, isKeepAlive, isServerControl, oversizeUnbypassed } from "./inbound.js";
import { RekeyFlow } from "./rekey-flow.js";
import { Sender } from "./sender.js";
import { Transfers } from "./transfers.js";

/** §13: a reference peer's limiter window right after the handshake is full; send nothing to the peer for this long after COMPLETE. */
export const POST_COMPLETE_QUIET_MS = 1000;
/** Chunk streaming waits while more than this is buffered in the socket (never the whole file in memory). */
export const SEND_HIGH_WATER = 4 * 1024 * 1024;
/** Sent texts remembered for delivery confirmations. */
const MAX_TRACKED_TEXTS = 10000;

const SESSION_ERROR_KIND: Record<string, ErrorKind> = {
  malformed: "malformed",
  hmac_failed: "hmac_failed",
  replay: "replay",
  out_of_window: "out_of_window",
  decrypt_failed: "decrypt_failed",
  invalid_utf8: "malformed",
  not_ready: "protocol_violation",
};

const now = () => performance.now();

function truncateChars(s: string, n: number): string {
  const cps = [...s];
  return cps.length <= n ? s : cps.slice(0, n).join("");
}

export class ClientCore extends EventEmitter implements ClientApi {
  // ---- settings (survive reconnects)
  private readonly downloadDir: string;
  private nickname: string | null;
  private dummyTraffic: boolean;
  private deliveryReceipts: boolean;
  private allowNicknameChange: boolean;
  private acceptFiles: Policy;
  private autoVerify: Policy;
  private readonly gzipLevel: number;
  private readonly maxFileSize: number;
  private readonly tickMs: number;
  /** Our EPHEMERAL_MODE_CHANGE owner id (§4.6: a random UUID4). */
  private readonly ownerId = randomUUID();

  // ---- connection
  private conn: Connection | null = null;
  private phase: ConnectionPhase = "disconnected";
  private host: string | null = null;
  private port: number | null = null;
  private room: string | null = null;
  private serverVersion: string | null = null;
  private emergency = false;
  private readonly limiter = new RateLimiter();

  // ---- session (wiped on reset / disconnect)
  private role: "initiator" | "responder" | null = null;
  private initiator: Initiator | null = null;
  private session: Session | null = null;
  private fingerprint: Fingerprint | null = null;
  private completeAt = 0;
  private verified: boolean | null = null;
  private heldAnswer: boolean | null = null;
  private verifyTimer: NodeJS.Timeout | null = null;
  private peerVerified: boolean | null = null;
  private peerNickname: string | null = null;
  private ephemeralMode: "OFF" | "GLOBAL" | "LOCAL" = "OFF";
  private ephemeralOwner: string | null = null;
  private sentTexts: { message_id: string; counter: number }[] = [];
  private wakers: (() => void)[] = [];

  private readonly sender: Sender;
  private readonly rekeyFlow: RekeyFlow;
  private readonly transfers: Transfers;

  constructor(opts: ClientOptions = {}) {
    super();
    this.downloadDir = path.resolve(opts.downloadDir ?? process.cwd());
    this.nickname = opts.nickname ? truncateChars(opts.nickname, NICKNAME_MAX) : null;
    this.dummyTraffic = opts.dummyTraffic ?? true;
    this.deliveryReceipts = opts.deliveryReceipts ?? true;
    this.allowNicknameChange = opts.allowNicknameChange ?? true;
    this.acceptFiles = opts.acceptFiles ?? "ask";
    this.autoVerify = opts.autoVerify ?? "ask";
    this.gzipLevel = opts.gzipLevel ?? 6;
    this.maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    this.tickMs = opts.tickMs ?? SEND_INTERVAL_MS;

    this.sender = new Sender(
      {
        ready: () => this.session !== null && this.conn !== null && !this.conn.closed && now() >= this.completeAt + POST_COMPLETE_QUIET_MS,
        hold: () => this.rekeyFlow.holdOutgoing,
        // Reference: dummies only once the local user answered (§12.5); paused during transfers (both sides).
        dummiesAllowed: () => this.dummyTraffic && this.verified !== null && !this.transfers.active,
        sendInner: (inner) => this.sendInner(inner),
      },
      this.tickMs,
    );
    this.rekeyFlow = new RekeyFlow({
      emit: (n, p) => this.emitEvent(n, p),
      error: (k, t) => this.reportError(k, t),
      queueRekey: (inner, onSent) => this.sender.push({ inner, rekey: true, onSent: onSent ? () => onSent() : undefined }),
      switched: () => this.wakeAll(),
      localVerified: () => this.verified === true,
    });
    const settings = { downloadDir: this.downloadDir, maxFileSize: this.maxFileSize, gzipLevel: this.gzipLevel };
    this.transfers = new Transfers({
      emit: (n, p) => this.emitEvent(n, p),
      error: (k, t) => this.reportError(k, t),
      queue: (obj, o) => this.queueInner(obj, o?.auto ?? false, o?.onSent),
      sendChunk: (id, index, data) => this.sendChunk(id, index, data),
      waitWritable: () => this.waitWritable(),
      pauseReading: (r) => this.conn?.pauseReading(r),
      resumeReading: (r) => this.conn?.resumeReading(r),
      ...settings,
    });
  }

  // ================================================================ typed events

  override on<K extends ClientEventName>(event: K, listener: (e: ClientEventMap[K]) => void): this {
    return super.on(event, listener);
  }

  override off<K extends ClientEventName>(event: K, listener: (e: ClientEventMap[K]) => void): this {
    return super.off(event, listener);
  }

  override once<K extends ClientEventName>(event: K, listener: (e: ClientEventMap[K]) => void): this {
    return super.once(event, listener);
  }

  override emit<K extends ClientEventName>(event: K, payload: ClientEventMap[K]): boolean {
    // An unhandled "error" must not throw out of the core (EventEmitter default).
    if (event === "error" && this.listenerCount("error") === 0) return false;
    return super.emit(event, payload);
  }

  private emitEvent<K extends ClientEventName>(event: K, payload: ClientEventMap[K]): void {
    this.emit(event, payload);
  }

  /** Every drop is reported (never silent); texts never contain message content. */
  private reportError(kind: ErrorKind, text: string): void {
    this.emit("error", { kind, text });
  }

  // ================================================================ commands

  async connect(opts: ConnectOptions): Promise<void> {
    if (this.conn && !this.conn.closed) throw new CommandError("Already connected; disconnect first.");
    const host = opts.host;
    const port = opts.port;
    if (typeof host !== "string" || host === "") throw new CommandError("A host is required.");
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CommandError("The port must be a number from 1 to 65535.");
    const room = opts.room ?? null;
    if (room !== null && !isValidRoomCode(room)) {
      throw new CommandError("The room code must be 1 to 64 letters, digits, '-' or '_'.");
    }
    this.phase = "connecting";
    this.host = host;
    this.port = port;
    this.room = room;
    this.serverVersion = null;
    this.emergency = false;
    this.limiter.reset();
    let conn: Connection | null = null;
    try {
      conn = await Connection.open(host, port, {
        onFrame: (p) => {
          if (this.conn === conn) this.onFrame(p);
        },
        onFrameTooLarge: (e) => {
          if (this.conn === conn) this.onFrameTooLarge(e);
        },
        onClose: (reason) => {
          if (this.conn === conn) this.onClosed(reason);
        },
        onDrain: () => {
          if (this.conn === conn) this.wakeAll();
        },
      });
    } catch (err) {
      this.phase = "disconnected";
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : "error");
      throw new CommandError(`Cannot connect to ${host}:${port} (${code}).`);
    }
    this.conn = conn;
    // JOIN first, before reading anything (docs/PROTOCOL-EXTENSIONS.md).
    if (room !== null) conn.write(join(room));
    this.phase = "waiting_for_peer";
    this.emit("connected", { host, port, room });
    this.emit("waiting_for_peer", {});
  }

  verify(answer: boolean): void {
    if (typeof answer !== "boolean") throw new CommandError("The answer must be true or false.");
    if (this.phase !== "secure" || !this.fingerprint) {
      // Held for the next fingerprint (§10, issue 4).
      this.heldAnswer = answer;
      return;
    }
    this.verified = answer;
    this.scheduleVerification();
  }

  setAutoVerify(value: Policy): void {
    if (value !== true && value !== false && value !== "ask") throw new CommandError('auto_verify must be true, false or "ask".');
    this.autoVerify = value;
    if (value !== "ask" && this.phase === "secure" && this.verified === null) this.verify(value);
  }

  sendText(text: string): { message_id: string } {
    if (typeof text !== "string") throw new CommandError("The text must be a string.");
    if (this.phase !== "secure" || !this.session) throw new CommandError("Not connected to a peer yet: wait for the key exchange to complete.");
    const inner = toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text }));
    if (inner.length > MAX_SAFE_INNER_PLAINTEXT) {
      const err = new CommandError(
        `The message is too long to send in one piece (${inner.length} bytes encoded, at most ${MAX_SAFE_INNER_PLAINTEXT}); shorten it or send it as a file.`,
      );
      err.kind = "text_too_long";
      throw err;
    }
    const message_id = randomBytes(8).toString("hex");
    this.sender.push({
      inner,
      onSent: (counter) => {
        this.sentTexts.push({ message_id, counter });
        if (this.sentTexts.length > MAX_TRACKED_TEXTS) this.sentTexts.shift();
        this.emit("sent", { message_id, counter });
      },
    });
    return { message_id };
  }

  async sendFile(filePath: string, opts: { compress?: boolean } = {}): Promise<FileInfo> {
    if (typeof filePath !== "string" || filePath === "") throw new CommandError("A file path is required.");
    if (this.phase !== "secure" || !this.session) throw new CommandError("Not connected to a peer yet: wait for the key exchange to complete.");
    const session = this.session;
    try {
      return await this.transfers.offer(filePath, opts.compress ?? true, () => this.session === session && this.phase === "secure");
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw new CommandError(err instanceof Error ? err.message : "The file could not be offered.");
    }
  }

  acceptFile(transferId: string): void {
    if (!this.transfers.hasOffer(transferId)) throw new CommandError("No pending file offer with that id.");
    void this.transfers.accept(transferId);
  }

  rejectFile(transferId: string, reason = "User declined"): void {
    if (!this.transfers.reject(transferId, reason)) throw new CommandError("No incoming file transfer with that id.");
  }

  setAcceptFiles(value: Policy): void {
    if (value !== true && value !== false && value !== "ask") throw new CommandError('accept_files must be true, false or "ask".');
    this.acceptFiles = value;
  }

  rekey(): void {
    if (this.phase !== "secure" || !this.session) throw new CommandError("No secure session: wait for the key exchange to complete.");
    this.rekeyFlow.start();
  }

  answerRekey(accept: boolean): void {
    if (!this.rekeyFlow.answer(accept)) throw new CommandError("No rekey request is waiting for an answer.");
    // Declining disconnects, as the reference does (§9 step 2).
    if (!accept) void this.disconnect();
  }

  setNickname(name: string): void {
    if (typeof name !== "string" || name.trim() === "") throw new CommandError("The nickname must not be empty.");
    this.nickname = truncateChars(name, NICKNAME_MAX);
    if (this.phase === "secure" && this.session) this.queueNickname();
  }

  setEphemeralMode(mode: "OFF" | "LOCAL" | "GLOBAL"): void {
    if (mode !== "OFF" && mode !== "LOCAL" && mode !== "GLOBAL") throw new CommandError('The mode must be "OFF", "LOCAL" or "GLOBAL".');
    if (mode === "GLOBAL") {
      if (this.phase !== "secure") throw new CommandError("Global ephemeral mode needs a connected peer.");
      this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "GLOBAL", owner_id: this.ownerId });
      this.ephemeralOwner = this.ownerId;
    } else if (this.ephemeralMode === "GLOBAL") {
      if (this.ephemeralOwner !== this.ownerId) throw new CommandError("Only the peer who turned on global ephemeral mode can turn it off.");
      if (this.phase === "secure") this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "OFF", owner_id: this.ownerId });
      this.ephemeralOwner = null;
    }
    this.ephemeralMode = mode;
    this.emit("ephemeral_mode", { mode, owner_id: this.ephemeralOwner, by_peer: false });
  }

  setOption(name: "dummy_traffic" | "delivery_receipts" | "allow_nickname_change", value: boolean): void {
    if (typeof value !== "boolean") throw new CommandError("The value must be true or false.");
    if (name === "dummy_traffic") this.dummyTraffic = value;
    else if (name === "delivery_receipts") this.deliveryReceipts = value;
    else if (name === "allow_nickname_change") this.allowNicknameChange = value;
    else throw new CommandError("Unknown option.");
  }

  emergencyClose(): void {
    const conn = this.conn;
    if (!conn || conn.closed) throw new CommandError("Not connected.");
    // Sent at once, outside the queue; encrypted if keys exist, else plaintext (errata 25).
    const inner = toBytes(pyjson({ type: MessageType.EMERGENCY_CLOSE }));
    if (this.session && this.sendInner(inner) !== null) {
      // sent
    } else {
      conn.write(inner);
    }
    this.emergency = true;
    this.phase = "closing";
    this.wipeSession();
    conn.close("Emergency close.");
  }

  async disconnect(): Promise<void> {
    const conn = this.conn;
    if (!conn || conn.closed) return;
    if (this.phase !== "closing") {
      conn.write(clientDisconnect());
      this.phase = "closing";
      conn.close("Disconnected.");
    }
    await conn.closedPromise;
  }

  state(): ClientState {
    const s = this.session?.state;
    return {
      phase: this.phase,
      host: this.host,
      port: this.port,
      room: this.room,
      server_version: this.serverVersion,
      protocol_version: PROTOCOL_VERSION,
      role: this.role,
      fingerprint: this.fingerprint ? this.fingerprint.words.join(" ") : null,
      words: this.fingerprint ? [...this.fingerprint.words] : null,
      verified: this.verified,
      peer_verified: this.peerVerified,
      nickname: this.nickname,
      peer_nickname: this.peerNickname,
      message_counter: s?.messageCounter ?? 0,
      peer_counter: s?.peerCounter ?? 0,
      rekey: this.rekeyFlow.state,
      transfers: this.transfers.list(),
      ephemeral_mode: this.ephemeralMode,
      settings: {
        dummy_traffic: this.dummyTraffic,
        delivery_receipts: this.deliveryReceipts,
        allow_nickname_change: this.allowNicknameChange,
        accept_files: this.acceptFiles,
        auto_verify: this.autoVerify,
      },
      download_dir: this.downloadDir,
    };
  }

  // ================================================================ sending

  /** Encrypts and writes in one synchronous step (§13); the counter is assigned here. */
  private sendInner(inner: Uint8Array): number | null {
    const s = this.session;
    const c = this.conn;
    if (!s || s.isDestroyed || !c || c.closed) return null;
    const { wire, counter } = s.encrypt(inner);
    c.write(wire);
    return counter;
  }

  private sendChunk(transferId: string, index: number, data: Uint8Array): boolean {
    const s = this.session;
    const c = this.conn;
    if (!s || s.isDestroyed || !c || c.closed) return false;
    const { frame } = s.encryptChunk(transferId, index, data);
    return c.write(frame);
  }

  private queueInner(obj: JsonObject, auto = false, onSent?: (counter: number) => void): void {
    if (!this.session) return;
    const ok = this.sender.push({ inner: toBytes(pyjson(obj)), auto, onSent });
    if (!ok) this.reportError("rate_limited", "Too many automatic replies are waiting; one was not sent.");
  }

  private queueNickname(): void {
    if (this.nickname) this.queueInner({ type: MessageType.NICKNAME_CHANGE, nickname: this.nickname });
  }

  private waitWritable(): Promise<boolean> {
    return (async () => {
      const session = this.session;
      while (true) {
        const c = this.conn;
        if (!this.session || this.session !== session || !c || c.closed) return false;
        if (this.rekeyFlow.holdOutgoing || c.buffered > SEND_HIGH_WATER) {
          await new Promise<void>((r) => this.wakers.push(r));
          continue;
        }
        return true;
      }
    })();
  }

  private wakeAll(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  private scheduleVerification(): void {
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    this.verifyTimer = null;
    const wait = this.completeAt + POST_COMPLETE_QUIET_MS - now();
    if (wait <= 0) this.sendVerification();
    else {
      this.verifyTimer = setTimeout(() => this.sendVerification(), wait);
      this.verifyTimer.unref();
    }
  }

  /**
   * KEY_VERIFICATION is plaintext outer JSON, sent outside the queue (§10,
   * errata 1): at once, or in the next tick slot when our previous frame left
   * less than one interval ago (Sender.sendSoon keeps the pace, §13).
   */
  private sendVerification(): void {
    this.verifyTimer = null;
    this.sender.sendSoon(() => {
      const c = this.conn;
      const answer = this.verified;
      if (this.phase !== "secure" || answer === null || !c || c.closed) return false;
      c.write(keyVerification(answer));
      this.emit("verified", { verified: answer });
      return true;
    });
  }

  // ================================================================ inbound pipeline (§12.1)

  private get bypass(): boolean {
    // §12.2: file offer pending / transfer announced or active, rekey in progress (no voice calls here).
    return this.transfers.bypass || this.rekeyFlow.inProgress;
  }

  private onFrame(payload: Uint8Array): void {
    const conn = this.conn;
    // Closing (disconnect, emergency close, SERVER_FULL/DISCONNECT): nothing more to act on.
    if (this.phase === "closing") return;
    try {
      // The server's KEEP_ALIVE is answered at once, before the limiter, so our
      // own limiter can never make us miss one (reference bug §15.12).
      if (isKeepAlive(payload)) {
        conn?.write(keepAliveResponse());
        return;
      }
      // The limiter guards against a flooding peer. Before the session is
      // secure only the server and the handshake speak, and the server's own
      // control frames must never be lost to it (a RESET, INITIATE and the
      // handshake can land in one second when a peer leaves and another joins).
      const limited = this.phase === "secure" && !isServerControl(payload);
      if (!this.bypass) {
        if (limited && !this.limiter.allow()) {
          this.reportError("rate_limited", "Dropped a message: more than 5 messages in one second.");
          return;
        }
        if (oversizeUnbypassed(payload.length)) {
          this.reportError("oversize", "Dropped a message larger than 8192 bytes.");
          return;
        }
      }
      const c = classifyFrame(payload);
      if (c.kind === "drop") this.reportError(c.error, c.text);
      else if (c.kind === "chunk") this.onChunkFrame(c.payload);
      else this.onOuter(c.type, c.obj);
    } catch (err) {
      // Peer input must never crash the process (§15.3).
      if (this.conn === conn && conn && !conn.closed) {
        this.reportError("protocol_violation", `Internal error while handling a message (${err instanceof Error ? err.name : "error"}).`);
      }
    }
  }

  private onFrameTooLarge(e: FrameTooLargeError): void {
    this.reportError("oversize", `Received a frame announcing ${e.length} bytes (limit ${e.max}); disconnecting.`);
  }

  private onOuter(type: number, obj: JsonObject): void {
    const secure = this.phase === "secure";
    switch (type) {
      case MessageType.SERVER_VERSION_INFO:
        if (secure) return this.suspicious("server version info");
        return this.onServerVersion(obj);
      case MessageType.INITIATE_KEY_EXCHANGE:
        return this.onInitiate();
      case MessageType.KEY_EXCHANGE_INIT:
        return this.onKeyExchangeInit(obj);
      case MessageType.KEY_EXCHANGE_RESPONSE:
        return this.onKeyExchangeResponse(obj);
      case MessageType.KEY_EXCHANGE_COMPLETE:
        return this.onComplete();
      case MessageType.KEY_EXCHANGE_RESET:
        return this.onReset(typeof obj["message"] === "string" ? obj["message"] : "Key exchange reset - other client disconnected");
      case MessageType.SERVER_FULL:
        if (secure) return this.suspicious("server full");
        this.emit("server_full", {});
        this.phase = "closing";
        this.conn?.close("The server is full.");
        return;
      case MessageType.SERVER_DISCONNECT: {
        const reason = typeof obj["reason"] === "string" ? obj["reason"] : "Server disconnect";
        this.emit("server_disconnect", { reason });
        this.phase = "closing";
        this.conn?.close(`Disconnected by the server: ${reason}`);
        return;
      }
      case MessageType.ERROR: {
        const e = obj["error"] ?? obj["message"] ?? obj["reason"];
        this.emit("server_error", { error: typeof e === "string" ? e : "" });
        return;
      }
      case MessageType.KEEP_ALIVE:
        this.conn?.write(keepAliveResponse());
        return;
      case MessageType.KEY_VERIFICATION:
        return this.onPeerVerification(obj["verified"]);
      case MessageType.ENCRYPTED_MESSAGE:
        return this.onEncrypted(obj);
      default:
        this.reportError("protocol_violation", `Dropped a plaintext message of type ${type}, which is not expected here.`);
    }
  }

  /**
   * §15.2: after pairing, the server only sends RESET, SERVER_DISCONNECT, ERROR
   * and KEEP_ALIVE; anything else server- or handshake-like was forged by the
   * peer through a relay that forwards everything. Reported and ignored.
   */
  private suspicious(what: string): void {
    this.reportError("protocol_violation", `Ignored a ${what} message during an established session (possibly forged by the peer).`);
  }

  private onServerVersion(obj: JsonObject): void {
    const v = obj["protocol_version"];
    if (typeof v !== "string" || v.length > 64) {
      this.reportError("malformed", "The server's version information is malformed.");
      return;
    }
    this.serverVersion = v;
    const compatibility = compareVersions(PROTOCOL_VERSION, v);
    this.emit("server_version", { version: v, local_version: PROTOCOL_VERSION, match: v === PROTOCOL_VERSION, compatibility });
    if (compatibility === "breaking") {
      this.reportError("version_mismatch", `The server speaks protocol ${v}, a different major version than ours (${PROTOCOL_VERSION}); communication may fail.`);
    }
  }

  private onInitiate(): void {
    if (this.phase === "secure") return this.suspicious("key exchange start");
    if (this.initiator || this.session) {
      this.reportError("protocol_violation", "Ignored a second key exchange start.");
      return;
    }
    this.role = "initiator";
    this.initiator = new Initiator();
    this.phase = "key_exchange";
    this.emit("key_exchange_started", { role: "initiator" });
    this.conn?.write(this.initiator.initMessage);
  }

  private onKeyExchangeInit(obj: JsonObject): void {
    if (this.phase === "secure") return this.suspicious("key exchange init");
    if (this.initiator || this.session) {
      this.reportError("protocol_violation", "Ignored an unexpected key exchange init.");
      return;
    }
    const v = peerVersion(obj);
    let res;
    try {
      res = respond(obj);
    } catch (err) {
      this.reportError("malformed", err instanceof HandshakeError ? err.message : "Invalid key exchange init.");
      return;
    }
    this.role = "responder";
    this.session = res.session;
    this.rekeyFlow.attach(res.session);
    this.phase = "key_exchange";
    this.emit("key_exchange_started", { role: "responder" });
    this.conn?.write(res.response);
    if (v !== null && compareVersions(PROTOCOL_VERSION, v) === "breaking") {
      this.reportError("version_mismatch", `The peer speaks protocol ${v.slice(0, 32)}, a different major version than ours (${PROTOCOL_VERSION}).`);
    }
  }

  private onKeyExchangeResponse(obj: JsonObject): void {
    if (this.phase === "secure") return this.suspicious("key exchange response");
    const ini = this.initiator;
    if (!ini) {
      this.reportError("protocol_violation", "Ignored a key exchange response without a key exchange in progress.");
      return;
    }
    let session: Session;
    try {
      session = ini.finish(obj);
    } catch (err) {
      this.reportError("malformed", err instanceof HandshakeError ? err.message : "Invalid key exchange response.");
      return;
    }
    ini.dispose();
    this.initiator = null;
    this.session = session;
    this.rekeyFlow.attach(session);
    const v = peerVersion(obj);
    if (v !== null && compareVersions(PROTOCOL_VERSION, v) === "breaking") {
      this.reportError("version_mismatch", `The peer speaks protocol ${v.slice(0, 32)}, a different major version than ours (${PROTOCOL_VERSION}).`);
    }
  }

  private onComplete(): void {
    if (this.phase === "secure") return this.suspicious("key exchange complete");
    if (!this.session) {
      this.reportError("protocol_violation", "The server announced a completed key exchange, but no keys were agreed.");
      return;
    }
    this.phase = "secure";
    this.completeAt = now();
    this.fingerprint = this.session.fingerprint;
    this.sender.start(POST_COMPLETE_QUIET_MS);
    // One line of eight words (docs/JSON-API.md); views group them as they like.
    this.emit("key_exchange_complete", { fingerprint: this.fingerprint.words.join(" "), words: [...this.fingerprint.words] });
    if (this.nickname) this.queueNickname();
    const answer = this.heldAnswer ?? (this.autoVerify === "ask" ? null : this.autoVerify);
    this.heldAnswer = null;
    if (answer !== null && this.phase === "secure" && this.verified === null) {
      this.verified = answer;
      this.scheduleVerification();
    }
  }

  private onReset(reason: string): void {
    // The real server sends this when the peer leaves; a peer can forge it through a
    // reference relay (§15.2), but the only effect is what the server would do anyway.
    this.wipeSession();
    void this.transfers.failAll("The peer disconnected.");
    this.phase = "waiting_for_peer";
    this.emit("reset", { reason: reason.slice(0, 200) });
    this.emit("waiting_for_peer", {});
  }

  private onPeerVerification(v: unknown): void {
    if (this.phase !== "secure") {
      this.reportError("protocol_violation", "Ignored a key verification before the key exchange completed.");
      return;
    }
    if (typeof v !== "boolean") {
      this.reportError("malformed", "Ignored a malformed key verification.");
      return;
    }
    const before = this.peerVerified;
    this.peerVerified = v;
    this.emit("peer_verified", { verified: v });
    // The peer only honours NICKNAME_CHANGE once it verified us: (re)send ours now.
    if (v && before !== true) this.queueNickname();
  }

  // ================================================================ encrypted traffic (§7, §12.4)

  private onEncrypted(outer: JsonObject): void {
    const s = this.session;
    if (this.phase !== "secure" || !s) {
      this.reportError("protocol_violation", "Dropped an encrypted message that arrived before the key exchange completed.");
      return;
    }
    let d;
    try {
      d = s.decrypt(outer);
    } catch (err) {
      if (err instanceof SessionError) {
        this.reportError(SESSION_ERROR_KIND[err.kind] ?? "decrypt_failed", `Dropped an encrypted message: ${err.message}.`);
        return;
      }
      throw err;
    }
    const chk = checkInner(d.plaintext, this.verified === true);
    if (!chk.ok) {
      this.reportError(chk.error, chk.text);
      return;
    }
    this.onInner(chk.type, chk.obj, d.counter);
  }

  private onChunkFrame(payload: Uint8Array): void {
    const s = this.session;
    if (this.phase !== "secure" || !s) {
      this.reportError("malformed", "Dropped a binary frame outside an established session.");
      return;
    }
    if (payload.length < 48) {
      this.reportError("malformed", "Dropped a binary frame too short to be a file chunk.");
      return;
    }
    let c;
    try {
      c = s.decryptChunk(payload);
    } catch (err) {
      if (err instanceof SessionError) {
        this.reportError(SESSION_ERROR_KIND[err.kind] ?? "decrypt_failed", `Dropped a file chunk: ${err.message}.`);
        return;
      }
      throw err;
    }
    this.transfers.onChunk(c.transferId, c.chunkIndex, c.data);
  }

  private onInner(type: number, obj: JsonObject, counter: number): void {
    const str = (k: string): string | null => (typeof obj[k] === "string" ? (obj[k] as string) : null);
    switch (type) {
      case MessageType.TEXT_MESSAGE: {
        const text = str("text");
        if (text === null) return this.reportError("malformed", "Dropped a text message without text.");
        this.emit("message", { text, nickname: this.peerNickname, peer_key_verified: this.verified === true, counter });
        if (this.deliveryReceipts && this.session) {
          // The reference confirms its highest counter right after decrypting (§4.6, §15.16).
          this.queueInner({ type: MessageType.DELIVERY_CONFIRMATION, confirmed_counter: this.session.state.peerCounter }, true);
        }
        return;
      }
      case MessageType.DUMMY_MESSAGE:
        return;
      case MessageType.DELIVERY_CONFIRMATION: {
        const c = obj["confirmed_counter"];
        if (typeof c !== "number" || !Number.isSafeInteger(c)) return this.reportError("malformed", "Dropped a malformed delivery confirmation.");
        return this.onDelivered(c);
      }
      case MessageType.NICKNAME_CHANGE: {
        const n = str("nickname");
        if (n === null) return this.reportError("malformed", "Dropped a malformed nickname change.");
        const requested = truncateChars(n, NICKNAME_MAX);
        if (this.verified !== true) return void this.emit("nickname_ignored", { requested, reason: "You have not verified this peer." });
        if (!this.allowNicknameChange) return void this.emit("nickname_ignored", { requested, reason: "Nickname changes are disabled." });
        const previous = this.peerNickname;
        // The peer resends its nickname once we verified it; no change, no event.
        if (requested === previous) return;
        this.peerNickname = requested;
        this.emit("nickname", { nickname: requested, previous });
        return;
      }
      case MessageType.EPHEMERAL_MODE_CHANGE:
        return this.onEphemeral(obj);
      case MessageType.EMERGENCY_CLOSE:
        this.emit("emergency_close", {});
        this.emergency = true;
        this.phase = "closing";
        this.wipeSession();
        this.conn?.destroy("The peer sent an emergency close.");
        return;
      case MessageType.REKEY:
        return this.rekeyFlow.onMessage(obj);
      case MessageType.FILE_METADATA:
        return this.transfers.onMetadata(obj, this.acceptFiles);
      case MessageType.FILE_ACCEPT:
      case MessageType.FILE_REJECT:
      case MessageType.FILE_COMPLETE: {
        const id = str("transfer_id");
        if (id === null) return this.reportError("malformed", "Dropped a file message without a transfer id.");
        if (type === MessageType.FILE_ACCEPT) return this.transfers.onAccept(id);
        if (type === MessageType.FILE_COMPLETE) return this.transfers.onComplete(id);
        return this.transfers.onReject(id, (str("reason") ?? "Rejected").slice(0, 200));
      }
      case MessageType.VOICE_CALL_INIT:
        // The terminal client's answer (§4.6): reject politely.
        this.queueInner({ type: MessageType.VOICE_CALL_REJECT }, true);
        this.emit("voice_call_rejected", { reason: "Voice calls are not supported by this client." });
        return;
      case MessageType.VOICE_CALL_ACCEPT:
      case MessageType.VOICE_CALL_REJECT:
      case MessageType.VOICE_CALL_DATA:
      case MessageType.VOICE_CALL_END:
        return;
      case MessageType.KEY_VERIFICATION:
        // Spec-style encrypted verification (SPEC §5); the reference sends it in plaintext.
        return this.onPeerVerification(obj["verified"]);
      default:
        this.reportError("unknown_type", `Dropped a decrypted message of unknown type ${type}.`);
    }
  }

  private onDelivered(c: number): void {
    // Exact counter first; else the oldest text below it (reference peers confirm their highest counter, §15.16).
    let i = this.sentTexts.findIndex((t) => t.counter === c);
    if (i < 0) i = this.sentTexts.findIndex((t) => t.counter < c);
    if (i < 0) return;
    const [t] = this.sentTexts.splice(i, 1);
    this.emit("delivered", { message_id: t!.message_id, counter: t!.counter });
  }

  private onEphemeral(obj: JsonObject): void {
    const mode = obj["mode"];
    const owner = obj["owner_id"];
    if ((mode !== "GLOBAL" && mode !== "OFF") || typeof owner !== "string" || owner.length > 64) {
      this.reportError("malformed", "Dropped a malformed ephemeral mode change.");
      return;
    }
    if (mode === "GLOBAL") {
      this.ephemeralMode = "GLOBAL";
      this.ephemeralOwner = owner;
    } else {
      if (this.ephemeralMode !== "GLOBAL" || owner !== this.ephemeralOwner) {
        this.reportError("not_allowed", "Ignored a request to turn off ephemeral mode from someone who did not turn it on.");
        return;
      }
      this.ephemeralMode = "OFF";
      this.ephemeralOwner = null;
    }
    this.emit("ephemeral_mode", { mode: this.ephemeralMode, owner_id: this.ephemeralOwner, by_peer: true });
  }

  // ================================================================ teardown

  /** Wipes all key material and session state (reset, disconnect, emergency close). */
  private wipeSession(): void {
    this.sender.stop();
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    this.verifyTimer = null;
    this.rekeyFlow.detach();
    this.initiator?.dispose();
    this.initiator = null;
    this.session?.destroy();
    this.session = null;
    this.fingerprint = null;
    this.role = null;
    this.verified = null;
    this.heldAnswer = null;
    this.peerVerified = null;
    this.peerNickname = null;
    this.ephemeralMode = "OFF";
    this.ephemeralOwner = null;
    this.sentTexts = [];
    this.completeAt = 0;
    this.wakeAll();
  }

  private onClosed(reason: string): void {
    const emergency = this.emergency;
    this.wipeSession();
    this.phase = "disconnected";
    void this.transfers.failAll(emergency ? "Emergency close." : "Disconnected.");
    this.emit("disconnected", emergency ? { emergency: true, reason } : { reason });
  }
}
