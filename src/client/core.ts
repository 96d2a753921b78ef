// The UI-free client core (issue 4): one connection to a relay, the key
// exchange in either role, verification, the sender loop, the inbound
// pipeline, every inner message type, rekey, file transfers and voice calls
// (calls.ts; off unless ClientOptions.voiceCalls / setVoiceCalls). Views (the
// terminal UI, the JSON-lines interface, the GUI bridge) only use ClientApi and
// the typed events. No console I/O here; nothing emitted ever carries keys,
// nonces, others' counters in error texts, or message content in error texts.
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import * as os from "node:os";
import * as path from "node:path";
import { tuneAllocatorForBulkCrypto } from "../io/allocator.js";
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
import { removeStaleTemps } from "../io/file/index.js";
import { chunkFramePrefix, chunkHeader, type ChunkOpenJob } from "../protocol/session.js";
import { PoolClosedError, WorkerPool, owned, transferable } from "../io/workers/pool.js";
import { CommandError, type CallApi, type ClientApi, type ClientOptions, type ClientState, type ConnectOptions, type ConnectionPhase } from "./api.js";
import { CallError, CallManager } from "./calls.js";
import { Connection } from "./connection.js";
import type { AcceptFilesPolicy, AnyEventMap, AnyEventName, CallEndReason, CallEventMap, CallEventName, ClientEventMap, ClientEventName, ErrorKind, FileInfo, Policy } from "./events.js";
import { OFFER_TIMEOUT_MS, STALL_TIMEOUT_MS, limitsLifted } from "./flood-limits.js";
import { NoticeCoalescer } from "./notice-coalescer.js";
import { RateLimiter, checkInner, classifyFrame, classifySmall, isServerControl, oversizeUnbypassed, type Classified } from "./inbound.js";
import { RekeyFlow } from "./rekey-flow.js";
import { OrderedOutput, Sender } from "./sender.js";
import { Transfers } from "./transfers.js";
import { fingerprintHex, judgeAnswer } from "./verification.js";

/** §13: a reference peer's limiter window right after the handshake is full; send nothing to the peer for this long after COMPLETE. */
export const POST_COMPLETE_QUIET_MS = 1000;
/** Chunk streaming waits while more than this is buffered in the socket (never the whole file in memory). */
export const SEND_HIGH_WATER = 4 * 1024 * 1024;
/** File chunks being encrypted on worker threads at once (the pool has 2; one more keeps both busy). */
export const MAX_SEALS_IN_FLIGHT = 3;
/** Chunk frames at least this big are encrypted/decrypted on the worker pool; smaller ones inline. */
export const PIPELINE_MIN_BYTES = 64 * 1024;
/** Pause reading while this many received bytes wait for decryption or for frames ahead of them. */
export const INBOUND_HIGH_WATER = 8 * 1024 * 1024;
export const INBOUND_LOW_WATER = 2 * 1024 * 1024;
/**
 * Voice packets are dropped rather than queued while this much is waiting to
 * be written (a file transfer filling the socket): late audio is useless, and
 * queueing it would only add latency to every packet after it.
 */
export const REALTIME_HIGH_WATER = 256 * 1024;
/** Sent texts remembered for delivery confirmations. */
const MAX_TRACKED_TEXTS = 10000;

/**
 * The inbound line (§12.1, §8.5): frames are handled strictly in arrival
 * order. A chunk frame's AEAD may run on a worker ("chunk" entries; the chain
 * walk and the commit stay here, in order); every frame behind a pending one
 * waits in line ("frame" entries), except that further chunk frames are begun
 * at once so both workers stay busy.
 */
type InEntry =
  | { kind: "frame"; payload: Uint8Array; /** admitted (limiter, size, classified) as a chunk on arrival */ chunk: boolean }
  | { kind: "chunk"; job: ChunkOpenJob; session: Session; plain: Uint8Array | null; settled: boolean; bytes: number };

const entryBytes = (e: InEntry): number => (e.kind === "frame" ? e.payload.length : e.bytes);

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

export class ClientCore extends EventEmitter implements ClientApi, CallApi {
  // ---- settings (survive reconnects)
  private readonly downloadDir: string;
  private nickname: string | null;
  private dummyTraffic: boolean;
  private deliveryReceipts: boolean;
  private allowNicknameChange: boolean;
  private acceptFiles: AcceptFilesPolicy;
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
  /** Views whose output is backed up (pauseInbound): reading from the relay waits for them. */
  private readonly viewPauses = new Set<string>();
  /** Error events: one per kind of peer misbehaviour every few seconds, with a count. */
  private readonly notices: NoticeCoalescer;

  // ---- session (wiped on reset / disconnect)
  private role: "initiator" | "responder" | null = null;
  private initiator: Initiator | null = null;
  private session: Session | null = null;
  private fingerprint: Fingerprint | null = null;
  private completeAt = 0;
  private verified: boolean | null = null;
  private heldAnswer: boolean | null = null;
  /** A fingerprint was shown on this connection: unnamed answers are no longer held (verification.ts). */
  private fingerprintShown = false;
  private verifyTimer: NodeJS.Timeout | null = null;
  private peerVerified: boolean | null = null;
  private peerNickname: string | null = null;
  private ephemeralMode: "OFF" | "GLOBAL" | "LOCAL" = "OFF";
  private ephemeralOwner: string | null = null;
  private sentTexts: { message_id: string; counter: number }[] = [];
  private wakers: (() => void)[] = [];

  // ---- file pipeline (issue 5 §3; reset with the session)
  /** The one write path for encrypted frames (§13): strictly in counter order. */
  private readonly output: OrderedOutput;
  /** Worker threads for chunk AEADs and gzip members; ended on reset, disconnect, emergency close. */
  private pool: WorkerPool | null = null;
  private sealsInFlight = 0;
  private inq: InEntry[] = [];
  private inqBytes = 0;
  private pumping = false;

  private readonly sender: Sender;
  private readonly rekeyFlow: RekeyFlow;
  private readonly transfers: Transfers;
  private readonly calls: CallManager;
  /** A call is active: no dummies (§12.5, set/cleared by the call manager). */
  private callPausesDummies = false;
  /** Removal of temp files a crashed pqchat left behind (temp-files.ts); connect() waits for it. */
  private readonly startupSweep: Promise<void>;
  /** Removal of this connection's transfers' temp files; disconnect() resolves only after it. */
  private closingCleanup: Promise<void> = Promise.resolve();

  constructor(opts: ClientOptions = {}) {
    super();
    // Chunk buffers come and go by the megabyte; keep their pages (allocator.ts).
    tuneAllocatorForBulkCrypto();
    this.output = new OrderedOutput((frame) => {
      const c = this.conn;
      return !!c && !c.closed && c.write(frame);
    });
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
    this.notices = new NoticeCoalescer((n) => this.emit("error", n), opts.noticeIntervalMs);
    // Partial downloads (plaintext) in the download dir, gzip temp files in the temp dir.
    this.startupSweep = Promise.all([removeStaleTemps(this.downloadDir, "files"), removeStaleTemps(os.tmpdir(), "files")]).then(() => undefined);

    this.sender = new Sender(
      {
        ready: () => this.session !== null && this.conn !== null && !this.conn.closed && now() >= this.completeAt + POST_COMPLETE_QUIET_MS,
        hold: () => this.rekeyFlow.holdOutgoing,
        // Reference: dummies only once the local user answered (§12.5); paused during transfers (both sides).
        dummiesAllowed: () => this.dummyTraffic && this.verified !== null && !this.transfers.active && !this.callPausesDummies,
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
      endSession: (reason) => this.leave(reason),
    }, opts.rekeyTimeoutMs);
    const settings = {
      downloadDir: this.downloadDir,
      maxFileSize: this.maxFileSize,
      gzipLevel: this.gzipLevel,
      offerTimeoutMs: opts.offerTimeoutMs ?? OFFER_TIMEOUT_MS,
      stallTimeoutMs: opts.transferStallMs ?? STALL_TIMEOUT_MS,
    };
    this.transfers = new Transfers({
      emit: (n, p) => this.emitEvent(n, p),
      error: (k, t) => this.reportError(k, t),
      queue: (obj, o) => this.queueInner(obj, o?.auto ?? false, o?.onSent),
      sendChunk: (id, index, data) => this.sendChunk(id, index, data),
      waitWritable: () => this.waitWritable(),
      workerPool: () => this.workerPool() ?? undefined,
      pauseReading: (r) => this.conn?.pauseReading(r),
      resumeReading: (r) => this.conn?.resumeReading(r),
      binaryBytesRead: () => this.conn?.binaryBytesRead ?? 0,
      readingPauses: () => ({ count: this.conn?.pauses ?? 0, now: this.conn?.readingPaused ?? false }),
      ...settings,
    });
    this.calls = new CallManager(
      {
        secure: () => this.phase === "secure" && this.session !== null,
        queue: (inner, o) => {
          if (!this.session) return false;
          return this.sender.push({ inner, auto: o?.auto ?? false, onSent: o?.onSent ? () => o.onSent?.() : undefined });
        },
        sendNow: (inner) => this.sendRealtime(inner),
        emit: (n, p) => this.emitAny(n, p),
        error: (k, t) => this.reportError(k, t),
        pauseDummies: (paused) => {
          this.callPausesDummies = paused;
        },
      },
      opts.voiceCalls ?? false,
      { ringTimeoutMs: opts.callRingTimeoutMs },
    );
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

  onCall<K extends CallEventName>(event: K, listener: (e: CallEventMap[K]) => void): this {
    return super.on(event, listener);
  }

  offCall<K extends CallEventName>(event: K, listener: (e: CallEventMap[K]) => void): this {
    return super.off(event, listener);
  }

  private emitAny<K extends AnyEventName>(event: K, payload: AnyEventMap[K]): void {
    if (event === "error" && this.listenerCount("error") === 0) return;
    super.emit(event, payload);
  }

  /** Every drop is reported (never silent, but coalesced per kind: notice-coalescer.ts); texts never contain message content. */
  private reportError(kind: ErrorKind, text: string): void {
    this.notices.report(kind, text);
  }

  // ================================================================ commands

  async connect(opts: ConnectOptions): Promise<void> {
    await this.startupSweep;
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
    this.fingerprintShown = false;
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
      }, undefined, opts.localAddress);
    } catch (err) {
      this.phase = "disconnected";
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : "error");
      throw new CommandError(`Cannot connect to ${host}:${port} (${code}).`);
    }
    this.conn = conn;
    for (const r of this.viewPauses) conn.pauseReading(`view:${r}`);
    // JOIN first, before reading anything (docs/PROTOCOL-EXTENSIONS.md).
    if (room !== null) conn.write(join(room));
    this.phase = "waiting_for_peer";
    this.emit("connected", { host, port, room });
    this.emit("waiting_for_peer", {});
  }

  verify(answer: boolean, fingerprint?: string): void {
    if (typeof answer !== "boolean") throw new CommandError("The answer must be true or false.");
    if (fingerprint !== undefined && typeof fingerprint !== "string") {
      throw new CommandError("The fingerprint must be a string: the eight words, or the full SHA-256 in hex.");
    }
    const verdict = judgeAnswer(this.phase === "secure" ? this.fingerprint : null, fingerprint, this.fingerprintShown);
    if ("refuse" in verdict) throw new CommandError(verdict.refuse, "stale_verification");
    if ("hold" in verdict) {
      // Given in advance: held for the first fingerprint of this connection (§10).
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

  setAcceptFiles(value: AcceptFilesPolicy): void {
    if (value !== true && value !== false && value !== "ask" && value !== "yes-unverified") {
      throw new CommandError('accept_files must be true (from a verified peer), false, "ask" or "yes-unverified".');
    }
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

  // ---------------------------------------------------------------- voice calls (issue 7)

  setVoiceCalls(enabled: boolean): void {
    if (typeof enabled !== "boolean") throw new CommandError("The value must be true or false.");
    this.calls.setEnabled(enabled);
  }

  call(): void {
    this.callCommand(() => this.calls.call());
  }

  answerCall(accept: boolean): void {
    if (typeof accept !== "boolean") throw new CommandError("The answer must be true or false.");
    this.callCommand(() => this.calls.answer(accept));
  }

  hangUp(): void {
    this.callCommand(() => this.calls.hangUp());
  }

  setMuted(muted: boolean): void {
    if (typeof muted !== "boolean") throw new CommandError("The value must be true or false.");
    this.calls.setMuted(muted);
  }

  sendAudio(pcm: Int16Array): boolean {
    if (!(pcm instanceof Int16Array)) throw new CommandError("Audio must be 16-bit samples.");
    return this.calls.sendAudio(pcm);
  }

  private callCommand(f: () => void): void {
    try {
      f();
    } catch (err) {
      if (err instanceof CallError) throw new CommandError(err.message);
      throw err;
    }
  }

  /** The session is going away: the call ends now (no message can follow). */
  private endCall(reason: CallEndReason): void {
    this.calls.reset(reason);
  }

  pauseInbound(reason: string): void {
    this.viewPauses.add(reason);
    this.conn?.pauseReading(`view:${reason}`);
  }

  resumeInbound(reason: string): void {
    this.viewPauses.delete(reason);
    this.conn?.resumeReading(`view:${reason}`);
  }

  emergencyClose(): void {
    const conn = this.conn;
    if (!conn || conn.closed) throw new CommandError("Not connected.");
    // Sent at once, outside the queue; encrypted if keys exist, else plaintext (errata 25).
    const inner = toBytes(pyjson({ type: MessageType.EMERGENCY_CLOSE }));
    // Out of line: it does not wait for file chunks still being encrypted (the transfer is abandoned).
    if (this.session && this.sendInner(inner, true) !== null) {
      // sent
    } else {
      conn.write(inner);
    }
    this.emergency = true;
    this.phase = "closing";
    this.endCall("emergency_close");
    this.wipeSession();
    conn.close("Emergency close.");
  }

  async disconnect(): Promise<void> {
    const conn = this.conn;
    if (!conn || conn.closed) return this.closingCleanup;
    this.leave("Disconnected.");
    await conn.closedPromise;
    await this.closingCleanup;
  }

  /** CLIENT_DISCONNECT and close, with `reason` in the disconnected event. */
  private leave(reason: string): void {
    const conn = this.conn;
    if (!conn || conn.closed || this.phase === "closing") return;
    // A call ends with END at once (the queue will not run again), then CLIENT_DISCONNECT.
    if (this.phase === "secure") this.calls.hangUpNow("disconnected");
    conn.write(clientDisconnect());
    this.phase = "closing";
    conn.close(reason);
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
      fingerprint_sha256: this.fingerprint ? fingerprintHex(this.fingerprint) : null,
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
      call: this.calls.state,
    };
  }

  // ================================================================ sending

  /**
   * Encrypts (the counter is assigned here) and puts the frame in line on the
   * ordered output in one synchronous step (§13): written at once, or right
   * after the file chunks encrypted before it. `outOfLine` (emergency close
   * only) writes it at once and drops whatever is still in line.
   */
  private sendInner(inner: Uint8Array, outOfLine = false): number | null {
    const s = this.session;
    const c = this.conn;
    if (!s || s.isDestroyed || !c || c.closed) return null;
    const { wire, counter } = s.encrypt(inner);
    if (outOfLine) this.output.abandonAndSend(wire);
    else this.output.send(wire);
    return counter;
  }

  /**
   * VOICE_CALL_DATA (§4.6, §12.5): outside the 250 ms queue, at once, but
   * through the same serialized encrypt-and-write path as everything else, so
   * its counter is in order with the rest of the traffic (not §15.8). Not sent
   * (false) while rekey holds outgoing traffic or while the socket is backed up.
   */
  private sendRealtime(inner: Uint8Array): boolean {
    const c = this.conn;
    if (this.phase !== "secure" || !c || c.closed) return false;
    if (this.rekeyFlow.holdOutgoing) return false;
    if (c.buffered + this.output.queuedBytes > REALTIME_HIGH_WATER) return false;
    return this.sendInner(inner) !== null;
  }

  /** The worker pool of this session, started on first use; null without a session. */
  private workerPool(): WorkerPool | null {
    if (!this.session || this.session.isDestroyed) return null;
    this.pool ??= new WorkerPool();
    return this.pool;
  }

  /**
   * One FILE_CHUNK: the counter, chain step, DH and message key now, in order
   * (Session.prepareChunkKeys); the double AEAD on a worker thread; the frame
   * takes its place in line now and is written once every frame before it
   * was. Resolves true once the frame is written or waiting only for earlier
   * frames, false if the session ended meanwhile; rejects if the encryption
   * failed (the counter is then skipped). `data` is handed over: do not use it
   * afterwards. Returns false at once without a session or connection.
   */
  private sendChunk(transferId: string, index: number, data: Uint8Array): Promise<boolean> | false {
    const s = this.session;
    const c = this.conn;
    if (!s || s.isDestroyed || !c || c.closed) return false;
    const pool = data.length >= PIPELINE_MIN_BYTES ? this.workerPool() : null;
    if (!pool) {
      const { frame } = s.encryptChunk(transferId, index, data);
      return Promise.resolve(this.output.send(frame));
    }
    const k = s.prepareChunkKeys();
    const ticket = this.output.reserve();
    const key = owned(k.messageKey);
    if (key !== k.messageKey) k.messageKey.fill(0);
    const plain = owned(data);
    this.sealsInFlight++;
    const task = { op: "seal" as const, key, nonce: k.nonce, aad: k.aad, prefix: chunkFramePrefix(k), parts: [chunkHeader(transferId, index), plain] };
    return pool.run(task, [key.buffer as ArrayBuffer, plain.buffer as ArrayBuffer]).then(
      (frame) => {
        this.sealsInFlight--;
        const ok = this.output.fill(ticket, frame);
        this.wakeAll();
        return ok;
      },
      (err: unknown) => {
        this.sealsInFlight--;
        this.output.skip(ticket);
        this.wakeAll();
        if (err instanceof PoolClosedError) return false;
        throw err;
      },
    );
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
        // Bounded: at most SEND_HIGH_WATER in the socket plus a few frames encrypting or waiting in line.
        if (
          this.rekeyFlow.holdOutgoing ||
          c.buffered + this.output.queuedBytes > SEND_HIGH_WATER ||
          this.sealsInFlight >= MAX_SEALS_IN_FLIGHT
        ) {
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
    // SPEC §11.1 "in progress", narrower than the reference's WIRE-NOTES §12.2 (flood-limits.ts).
    return limitsLifted({ transferInProgress: this.transfers.inProgress, rekeyInProgress: this.rekeyFlow.inProgress, callActive: this.calls.bypass });
  }

  private onFrame(payload: Uint8Array): void {
    const conn = this.conn;
    // Closing (disconnect, emergency close, SERVER_FULL/DISCONNECT): nothing more to act on.
    if (this.phase === "closing") return;
    try {
      const pre = classifySmall(payload);
      // The server's KEEP_ALIVE is answered at once, before the limiter, so our
      // own limiter can never make us miss one (reference bug §15.12).
      if (pre?.kind === "json" && pre.type === MessageType.KEEP_ALIVE) {
        conn?.write(keepAliveResponse());
        return;
      }
      if (this.inq.length === 0) {
        this.handleFrame(payload, pre);
      } else if (payload.length === 0 || payload[0] !== 0x7b) {
        // A chunk frame behind pending chunk opens: admitted now, in arrival order, and begun as soon as it may be.
        if (this.admit(payload) === null) return;
        this.enqueue({ kind: "frame", payload, chunk: true });
        this.beginDeferred();
      } else {
        // JSON behind pending chunk opens: handled (limiter included) once everything before it was.
        this.enqueue({ kind: "frame", payload, chunk: false });
      }
    } catch (err) {
      this.internalError(conn, err);
    }
  }

  private internalError(conn: Connection | null, err: unknown): void {
    // Peer input must never crash the process (§15.3).
    if (this.conn === conn && conn && !conn.closed) {
      this.reportError("protocol_violation", `Internal error while handling a message (${err instanceof Error ? err.name : "error"}).`);
    }
  }

  /** The limiter, the size rule and classification (§12.1); null when the frame was dropped (and reported). */
  private admit(payload: Uint8Array, pre: Classified | null = classifySmall(payload)): Exclude<Classified, { kind: "drop" }> | null {
    // The limiter guards against a flooding peer. Before the session is
    // secure only the server and the handshake speak, and the server's own
    // control frames must never be lost to it (a RESET, INITIATE and the
    // handshake can land in one second when a peer leaves and another joins).
    const limited = this.phase === "secure" && !isServerControl(pre);
    if (!this.bypass) {
      if (limited && !this.limiter.allow()) {
        this.reportError("rate_limited", "Dropped a message: more than 5 messages in one second.");
        return null;
      }
      if (oversizeUnbypassed(payload.length)) {
        this.reportError("oversize", "Dropped a message larger than 8192 bytes.");
        return null;
      }
    }
    const c = pre ?? classifyFrame(payload);
    if (c.kind === "drop") {
      this.reportError(c.error, c.text);
      return null;
    }
    return c;
  }

  private handleFrame(payload: Uint8Array, pre?: Classified | null): void {
    const c = this.admit(payload, pre);
    if (c === null) return;
    if (c.kind === "chunk") this.onChunkFrame(c.payload);
    else this.onOuter(c.type, c.obj);
  }

  private enqueue(e: InEntry): void {
    this.inq.push(e);
    this.inqBytes += entryBytes(e);
    this.updateInboundPause();
  }

  private updateInboundPause(): void {
    if (this.inqBytes >= INBOUND_HIGH_WATER) this.conn?.pauseReading("decrypt");
    else if (this.inqBytes <= INBOUND_LOW_WATER) this.conn?.resumeReading("decrypt");
  }

  /** Runs the inbound line: finished chunk opens commit in order, waiting frames follow. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const conn = this.conn;
    try {
      while (this.inq.length > 0) {
        const head = this.inq[0]!;
        if (head.kind === "chunk" && !head.settled) break;
        this.inq.shift();
        this.inqBytes -= entryBytes(head);
        try {
          if (head.kind === "chunk") this.finishChunk(head);
          else if (this.phase === "closing") continue;
          else if (head.chunk) this.onChunkFrame(head.payload);
          else this.handleFrame(head.payload);
        } catch (err) {
          this.internalError(conn, err);
        }
      }
      this.beginDeferred();
    } catch (err) {
      this.internalError(conn, err);
    } finally {
      this.pumping = false;
      this.updateInboundPause();
    }
  }

  /** Begins the chunk frames waiting directly behind pending chunk opens (no JSON frame before them). */
  private beginDeferred(): void {
    for (let i = 0; i < this.inq.length; i++) {
      const e = this.inq[i]!;
      if (e.kind === "chunk") continue;
      if (!e.chunk) return;
      const r = this.startChunk(e.payload);
      if (r === "wait") return;
      if (r === "done") {
        this.inq.splice(i, 1);
        this.inqBytes -= e.payload.length;
        i--;
      } else {
        this.inq[i] = r;
      }
    }
  }

  /** An admitted chunk frame at the head of the line (or with nothing in line). */
  private onChunkFrame(payload: Uint8Array): void {
    const r = this.startChunk(payload);
    if (r === "done") return;
    const e: InEntry = r === "wait" ? { kind: "frame", payload, chunk: true } : r;
    this.inq.unshift(e);
    this.inqBytes += entryBytes(e);
    this.updateInboundPause();
  }

  /**
   * §8.5 for one chunk frame: inline ("done": decrypted and handed over, or
   * dropped and reported) or begun on the worker pool (the returned entry).
   * "wait": it may only be handled once the chunk opens ahead of it finished
   * (a small frame, or a counter at or below a pending one: only the
   * sequential order gives the reference's answer there).
   */
  private startChunk(payload: Uint8Array): InEntry | "done" | "wait" {
    const s = this.session;
    if (this.phase !== "secure" || !s) {
      this.reportError("malformed", "Dropped a binary frame outside an established session.");
      return "done";
    }
    if (payload.length < 48) {
      this.reportError("malformed", "Dropped a binary frame too short to be a file chunk.");
      return "done";
    }
    const pool = payload.length >= PIPELINE_MIN_BYTES ? this.workerPool() : null;
    const pending = s.pendingChunkOpens > 0;
    if (!pool) {
      if (pending) return "wait";
      let c;
      try {
        c = s.decryptChunk(payload);
      } catch (err) {
        this.chunkError(err);
        return "done";
      }
      this.transfers.onChunk(c.transferId, c.chunkIndex, c.data);
      return "done";
    }
    const n = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, false);
    if (pending && n <= s.chunkOpenBase) return "wait";
    let job: ChunkOpenJob;
    try {
      job = s.beginChunkOpen(payload);
    } catch (err) {
      this.chunkError(err);
      return "done";
    }
    const entry: InEntry & { kind: "chunk" } = { kind: "chunk", job, session: s, plain: null, settled: false, bytes: payload.length };
    const key = owned(job.messageKey);
    const transfer: ArrayBuffer[] = [key.buffer as ArrayBuffer];
    let ciphertext = job.ciphertext;
    if (transferable(payload)) transfer.push(payload.buffer as ArrayBuffer);
    else {
      ciphertext = Uint8Array.from(ciphertext);
      transfer.push(ciphertext.buffer as ArrayBuffer);
    }
    pool
      .run({ op: "open", key, nonce: job.nonce, aad: job.aad, ciphertext }, transfer)
      .then(
        (plain) => {
          entry.plain = plain;
        },
        () => {
          entry.plain = null; // tag/padding failure (or the pool ended): the frame does not authenticate
        },
      )
      .finally(() => {
        entry.settled = true;
        this.pump();
      });
    return entry;
  }

  /** A chunk open finished on a worker: commit it (in order) and hand the data to the file layer. */
  private finishChunk(e: InEntry & { kind: "chunk" }): void {
    const s = this.session;
    if (!s || s !== e.session) return; // the session ended meanwhile
    let c;
    try {
      c = s.finishChunkOpen(e.job, e.plain);
    } catch (err) {
      this.chunkError(err);
      return;
    }
    this.transfers.onChunk(c.transferId, c.chunkIndex, c.data);
  }

  private chunkError(err: unknown): void {
    if (err instanceof SessionError) {
      this.reportError(SESSION_ERROR_KIND[err.kind] ?? "decrypt_failed", `Dropped a file chunk: ${err.message}.`);
      return;
    }
    throw err;
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
    this.notePeerVersion(v);
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
    this.notePeerVersion(peerVersion(obj));
  }

  /** SPEC §4.2.1 / §7.2 for the peer's announced version: breaking → warning (an error event), the rest as the event says. */
  private notePeerVersion(v: string | null): void {
    const shown = v === null ? null : v.slice(0, 32);
    const compatibility = v === null ? "missing" : compareVersions(PROTOCOL_VERSION, v);
    this.emit("peer_version", { version: shown, local_version: PROTOCOL_VERSION, compatibility });
    if (compatibility === "breaking") {
      this.reportError("version_mismatch", `The peer speaks protocol ${shown ?? ""}, a different major version than ours (${PROTOCOL_VERSION}).`);
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
    this.fingerprintShown = true;
    this.sender.start(POST_COMPLETE_QUIET_MS);
    // One line of eight words (docs/JSON-API.md); views group them as they like.
    this.emit("key_exchange_complete", {
      fingerprint: this.fingerprint.words.join(" "),
      words: [...this.fingerprint.words],
      fingerprint_sha256: fingerprintHex(this.fingerprint),
    });
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
    this.endCall("reset");
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
        this.endCall("emergency_close");
        this.emit("emergency_close", {});
        this.emergency = true;
        this.phase = "closing";
        this.wipeSession();
        this.conn?.destroy("The peer sent an emergency close.");
        return;
      case MessageType.REKEY:
        return this.rekeyFlow.onMessage(obj);
      case MessageType.FILE_METADATA:
        return this.transfers.onMetadata(obj, this.acceptFiles, this.verified === true);
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
      case MessageType.VOICE_CALL_ACCEPT:
      case MessageType.VOICE_CALL_REJECT:
      case MessageType.VOICE_CALL_DATA:
      case MessageType.VOICE_CALL_END:
        // With calls off (the terminal client), INIT is rejected politely (§4.6).
        return this.calls.onMessage(type, obj);
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
    this.endCall("disconnected");
    this.sender.stop();
    // Frames still in line or being encrypted belong to the old session: dropped, and the threads end.
    this.output.clear();
    this.inq = [];
    this.inqBytes = 0;
    this.conn?.resumeReading("decrypt");
    const pool = this.pool;
    this.pool = null;
    void pool?.terminate();
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
    this.endCall(emergency ? "emergency_close" : "disconnected");
    this.wipeSession();
    this.notices.flush();
    this.phase = "disconnected";
    this.closingCleanup = this.transfers.failAll(emergency ? "Emergency close." : "Disconnected.");
    this.emit("disconnected", emergency ? { emergency: true, reason } : { reason });
  }
}
