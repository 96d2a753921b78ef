// The UI-free client core: the façade the views (the terminal UI, the
// JSON-lines interface, the GUI bridge) use through ClientApi, CallApi and the
// typed events. Behind it, named parts (parts.ts, built by wiring.ts): the
// connection lifecycle, the key exchange, verification, the ordered inbound
// line, the outer and inner dispatch, the paced sender and the ordered write
// path, rekey, file transfers and voice calls (off unless
// ClientOptions.voiceCalls / setVoiceCalls). No console I/O here; nothing
// emitted ever carries keys, nonces, others' counters in error texts, or
// message content in error texts.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import * as path from "node:path";
import { tuneAllocatorForBulkCrypto } from "../io/allocator.js";
import { MAX_SAFE_INNER_PLAINTEXT, MessageType, PROTOCOL_VERSION, pyjson, toBytes } from "../protocol/index.js";
import { CommandError, type CallApi, type ClientApi, type ClientOptions, type ClientState, type ConnectOptions } from "./api.js";
import { CallError } from "./calls.js";
import type { AcceptFilesPolicy, AnyEventMap, AnyEventName, CallEventMap, CallEventName, ClientEventMap, ClientEventName, FileInfo, Policy } from "./events.js";
import { NoticeCoalescer } from "./notice-coalescer.js";
import { queueText, type ClientParts } from "./parts.js";
import { fingerprintHex } from "./verification.js";
import { buildParts } from "./wiring.js";

export { POST_COMPLETE_QUIET_MS } from "./context.js";

export class ClientCore extends EventEmitter implements ClientApi, CallApi {
  /** Error events: one per kind of peer misbehaviour every few seconds, with a count. */
  private readonly notices: NoticeCoalescer;
  private readonly parts: ClientParts;

  constructor(opts: ClientOptions = {}) {
    super();
    // Chunk buffers come and go by the megabyte; keep their pages (allocator.ts).
    tuneAllocatorForBulkCrypto();
    this.notices = new NoticeCoalescer((n) => this.emit("error", n), opts.noticeIntervalMs);
    this.parts = buildParts(opts, path.resolve(opts.downloadDir ?? process.cwd()), {
      emit: (event, payload) => this.emit(event, payload),
      emitAny: (event, payload) => this.emitAny(event, payload),
      report: (kind, text) => this.notices.report(kind, text),
      flushNotices: () => this.notices.flush(),
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

  // ================================================================ connection

  connect(opts: ConnectOptions): Promise<void> {
    return this.parts.lifecycle.connect(opts);
  }

  pauseInbound(reason: string): void {
    this.parts.lifecycle.pauseInbound(reason);
  }

  resumeInbound(reason: string): void {
    this.parts.lifecycle.resumeInbound(reason);
  }

  emergencyClose(): void {
    this.parts.lifecycle.emergencyClose();
  }

  disconnect(): Promise<void> {
    return this.parts.lifecycle.disconnect();
  }

  cancelReconnect(): boolean {
    return this.parts.reconnect.cancel();
  }

  // ================================================================ session commands

  verify(answer: boolean, fingerprint?: string): void {
    this.parts.verification.verify(answer, fingerprint);
  }

  setAutoVerify(value: Policy): void {
    this.parts.verification.setAutoVerify(value);
  }

  sendText(text: string): { message_id: string; pending?: boolean } {
    const { ctx, outbox } = this.parts;
    if (typeof text !== "string") throw new CommandError("The text must be a string.");
    if (!ctx.secure && !outbox.holding) throw new CommandError("Not connected to a peer yet: wait for the key exchange to complete.");
    const inner = toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text }));
    if (inner.length > MAX_SAFE_INNER_PLAINTEXT) {
      throw new CommandError(
        `The message is too long to send in one piece (${inner.length} bytes encoded, at most ${MAX_SAFE_INNER_PLAINTEXT}); shorten it or send it as a file.`,
        "text_too_long",
      );
    }
    const message_id = randomBytes(8).toString("hex");
    const pending = !ctx.secure;
    // The session is interrupted: held for the next one (outbox.ts).
    if (pending) outbox.hold({ message_id, inner });
    else queueText(this.parts, { message_id, inner });
    const ephemeral = this.parts.ephemeral.track(message_id, "out");
    return { message_id, ...(pending ? { pending } : {}), ...(ephemeral ? { ephemeral } : {}) };
  }

  async sendFile(filePath: string, opts: { compress?: boolean } = {}): Promise<FileInfo> {
    const { ctx, transfers } = this.parts;
    if (typeof filePath !== "string" || filePath === "") throw new CommandError("A file path is required.");
    if (!ctx.secure) throw new CommandError("Not connected to a peer yet: wait for the key exchange to complete.");
    const session = ctx.session;
    try {
      return await transfers.offer(filePath, opts.compress ?? true, () => ctx.session === session && ctx.phase === "secure");
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw new CommandError(err instanceof Error ? err.message : "The file could not be offered.");
    }
  }

  acceptFile(transferId: string): void {
    if (!this.parts.transfers.hasOffer(transferId)) throw new CommandError("No pending file offer with that id.");
    void this.parts.transfers.accept(transferId);
  }

  rejectFile(transferId: string, reason = "User declined"): void {
    if (!this.parts.transfers.reject(transferId, reason)) throw new CommandError("No incoming file transfer with that id.");
  }

  resumeFile(transferId: string, answer: boolean): void {
    if (typeof answer !== "boolean") throw new CommandError("The answer must be true or false.");
    if (!this.parts.ctx.secure && answer) throw new CommandError("Not connected to a peer yet: wait for the key exchange to complete.");
    if (!this.parts.transfers.resume(transferId, answer)) throw new CommandError("No interrupted file transfer with that id is kept.");
  }

  setAcceptFiles(value: AcceptFilesPolicy): void {
    if (value !== true && value !== false && value !== "ask" && value !== "yes-unverified") {
      throw new CommandError('accept_files must be true (from a verified peer), false, "ask" or "yes-unverified".');
    }
    this.parts.ctx.acceptFiles = value;
  }

  rekey(): void {
    if (!this.parts.ctx.secure) throw new CommandError("No secure session: wait for the key exchange to complete.");
    this.parts.rekeyFlow.start();
  }

  answerRekey(accept: boolean): void {
    if (!this.parts.rekeyFlow.answer(accept)) throw new CommandError("No rekey request is waiting for an answer.");
    // Declining disconnects, as the reference does (WIRE-NOTES §9 step 2).
    if (!accept) void this.disconnect();
  }

  setNickname(name: string): void {
    this.parts.nicknames.set(name);
  }

  setEphemeralMode(mode: "OFF" | "LOCAL" | "GLOBAL", seconds?: number): void {
    this.parts.ephemeral.set(mode, seconds);
  }

  setOption(name: "dummy_traffic" | "delivery_receipts" | "allow_nickname_change", value: boolean): void {
    const { ctx } = this.parts;
    if (typeof value !== "boolean") throw new CommandError("The value must be true or false.");
    if (name === "dummy_traffic") ctx.dummyTraffic = value;
    else if (name === "delivery_receipts") ctx.deliveryReceipts = value;
    else if (name === "allow_nickname_change") ctx.allowNicknameChange = value;
    else throw new CommandError("Unknown option.");
  }

  // ================================================================ voice calls

  setVoiceCalls(enabled: boolean): void {
    if (typeof enabled !== "boolean") throw new CommandError("The value must be true or false.");
    this.parts.calls.setEnabled(enabled);
  }

  call(): void {
    this.callCommand(() => this.parts.calls.call());
  }

  answerCall(accept: boolean): void {
    if (typeof accept !== "boolean") throw new CommandError("The answer must be true or false.");
    this.callCommand(() => this.parts.calls.answer(accept));
  }

  hangUp(): void {
    this.callCommand(() => this.parts.calls.hangUp());
  }

  setMuted(muted: boolean): void {
    if (typeof muted !== "boolean") throw new CommandError("The value must be true or false.");
    this.parts.calls.setMuted(muted);
  }

  sendAudio(pcm: Int16Array): boolean {
    if (!(pcm instanceof Int16Array)) throw new CommandError("Audio must be 16-bit samples.");
    return this.parts.calls.sendAudio(pcm);
  }

  private callCommand(f: () => void): void {
    try {
      f();
    } catch (err) {
      if (err instanceof CallError) throw new CommandError(err.message);
      throw err;
    }
  }

  // ================================================================ state

  state(): ClientState {
    const { ctx, lifecycle, handshake, verification, nicknames } = this.parts;
    const s = ctx.session?.state;
    const fp = ctx.fingerprint;
    return {
      phase: ctx.phase,
      host: lifecycle.host,
      port: lifecycle.port,
      room: lifecycle.room,
      server_version: handshake.serverVersion,
      protocol_version: PROTOCOL_VERSION,
      role: handshake.role,
      fingerprint: fp ? fp.words.join(" ") : null,
      words: fp ? [...fp.words] : null,
      fingerprint_sha256: fp ? fingerprintHex(fp) : null,
      verified: verification.verified,
      peer_verified: verification.peerVerified,
      continuity: this.parts.continuity.state,
      nickname: nicknames.own,
      peer_nickname: nicknames.peer,
      message_counter: s?.messageCounter ?? 0,
      peer_counter: s?.peerCounter ?? 0,
      rekey: this.parts.rekeyFlow.state,
      transfers: this.parts.transfers.list(),
      ephemeral_mode: this.parts.ephemeral.mode,
      ephemeral_seconds: this.parts.ephemeral.expiryMs / 1000,
      settings: {
        dummy_traffic: ctx.dummyTraffic,
        delivery_receipts: ctx.deliveryReceipts,
        allow_nickname_change: ctx.allowNicknameChange,
        accept_files: ctx.acceptFiles,
        auto_verify: ctx.autoVerify,
      },
      download_dir: ctx.downloadDir,
      call: this.parts.calls.state,
      reconnect: this.parts.reconnect.info,
      pending_messages: this.parts.outbox.count,
    };
  }
}
