// Voice calls (WIRE-NOTES §4.6, §12.2, §12.5; SPEC §15): the call state
// machine. The sample formats, the PCM packets and the INIT / ACCEPT / DATA
// messages are call-wire-format.ts. UI- and socket-free: the client core
// drives it through CallHost.
//
//   idle ──call()──> ringing_out ──ACCEPT──> active ──END / hangUp()──> idle
//   idle ──INIT───> ringing_in ──answerCall(true)──> active
//                       └──answerCall(false) / timeout──> idle (REJECT)
//
// INIT / ACCEPT / REJECT / END go through the 250 ms queue like every inner
// message; VOICE_CALL_DATA goes out at once through the core's ordered
// encrypt-and-write path (CallHost.sendNow), so audio packets take their
// counters in order with the rest of the traffic (the reference encrypts them
// on another thread without a lock, WIRE-NOTES §15.8: we do not).
//
// The accepting side starts streaming only once its ACCEPT was encrypted and
// put in line: the caller then always sees ACCEPT before the first DATA. A
// reference callee may send DATA before its queued ACCEPT, so while our call
// rings at the peer the rate-limit bypass is on and such early packets are
// dropped quietly.
//
// Call messages that belong to no call of ours (the echo of a call we
// ended, WIRE-NOTES §15.24) are judged in call-strays.ts.
//
// Peer settings (WIRE-NOTES §4.6): the reference sends at its own rate (any the
// sound card takes), chunk_size = rate / send frequency (1–1000 per second)
// and any of its formats; a format outside the PortAudio map counts as 16-bit,
// as the reference counts it. We always send 44,100 Hz, 441 frames; received
// audio is handed on at the peer's rate (call_started.peer_rate) and the page
// resamples it.
import { MessageType, b64decodeStrict, pyjson, toBytes, type JsonObject } from "../protocol/index.js";
import type { CallPhase, CallState } from "./api.js";
import {
  CALL_CHUNK,
  CALL_RATE,
  MAX_PACKET_BYTES,
  OUR_FORMAT,
  Packetizer,
  callAccept,
  callDataInner,
  callInit,
  checkPeerParams,
  decodePcm,
  encodePcm,
  formatName,
  negotiateFormat,
  type PeerParams,
} from "./call-wire-format.js";
import { StrayCalls } from "./call-strays.js";
import type { CallEndReason } from "./events.js";
import { CALL_GRACE_MS, INCOMING_EXTRA_MS, RING_TIMEOUT_MS, type CallHost, type CallOptions } from "./call-host.js";
import { CallError, END_TEXT } from "./call-errors.js";

export { CALL_GRACE_MS, INCOMING_EXTRA_MS, RING_TIMEOUT_MS, type CallHost, type CallOptions } from "./call-host.js";
export { CallError, type CallErrorKind } from "./call-errors.js";

export class CallManager {
  enabled: boolean;
  private phase: CallPhase = "idle";
  private direction: "in" | "out" | null = null;
  private peer: PeerParams | null = null;
  private format: number | null = null;
  /** Audio may be sent (caller: ACCEPT received; callee: our ACCEPT is in line). */
  private live = false;
  private muted = false;
  private startedAt: number | null = null;
  private startedMono = 0;
  private timer: NodeJS.Timeout | null = null;
  private endedAt = -Infinity;
  private sent = 0;
  private received = 0;
  private dropped = 0;
  /** Bumped on every end: an ACCEPT's onSent from an earlier call is ignored. */
  private generation = 0;
  /** Call messages that belong to no call of ours (call-strays.ts). */
  private readonly strays: StrayCalls;
  private readonly packetizer = new Packetizer(CALL_CHUNK);
  private readonly ringTimeoutMs: number;
  private readonly incomingTimeoutMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly host: CallHost,
    enabled: boolean,
    opts: CallOptions = {},
  ) {
    this.enabled = enabled;
    this.ringTimeoutMs = opts.ringTimeoutMs ?? RING_TIMEOUT_MS;
    this.incomingTimeoutMs = opts.incomingTimeoutMs ?? this.ringTimeoutMs + INCOMING_EXTRA_MS;
    this.graceMs = opts.graceMs ?? CALL_GRACE_MS;
    this.now = opts.now ?? (() => performance.now());
    this.strays = new StrayCalls(this.now);
  }

  // ------------------------------------------------------------------ state

  get state(): CallState {
    return {
      phase: this.phase,
      direction: this.direction,
      format: this.format,
      muted: this.muted,
      started_at: this.startedAt,
      packets_sent: this.sent,
      packets_received: this.received,
      packets_dropped: this.dropped,
    };
  }

  get active(): boolean {
    return this.phase === "active";
  }

  /**
   * WIRE-NOTES §12.2: the rate and size limits are skipped while a call is active; also
   * while our call rings at the peer (a reference callee's first packets can
   * arrive before its queued ACCEPT) and for a short grace after a call (the
   * peer's packets still in flight).
   */
  get bypass(): boolean {
    return this.phase === "active" || this.phase === "ringing_out" || this.inGrace() || this.strays.bypass;
  }

  private inGrace(): boolean {
    return this.now() - this.endedAt < this.graceMs;
  }

  // ------------------------------------------------------------------ commands

  call(): void {
    if (!this.enabled) throw new CallError("calls_off", "Voice calls are turned off in this client.");
    if (!this.host.secure()) throw new CallError("not_connected", "Not connected to a peer yet: wait for the key exchange to complete.");
    if (this.phase !== "idle") throw new CallError("call_in_progress", this.phase === "ringing_in" ? "Your peer is calling you: answer or decline first." : "A call is already in progress.");
    if (!this.host.queue(toBytes(pyjson(callInit())))) throw new CallError("not_queued", "The call could not be placed.");
    this.begin("ringing_out", "out");
    this.arm(this.ringTimeoutMs, () => {
      this.host.queue(toBytes(pyjson({ type: MessageType.VOICE_CALL_END })));
      this.end("no_answer");
    });
    this.host.emit("call_ringing", { direction: "out" });
  }

  answer(accept: boolean): void {
    if (this.phase !== "ringing_in" || !this.peer) throw new CallError("no_incoming_call", "No incoming call is waiting for an answer.");
    if (!accept) {
      this.host.queue(toBytes(pyjson({ type: MessageType.VOICE_CALL_REJECT })));
      this.end("declined");
      return;
    }
    const format = negotiateFormat(OUR_FORMAT, this.peer.format);
    const gen = this.generation;
    const queued = this.host.queue(toBytes(pyjson(callAccept())), {
      onSent: () => {
        if (gen !== this.generation || this.phase !== "active") return;
        this.goLive("in");
      },
    });
    if (!queued) throw new CallError("not_queued", "The call could not be accepted.");
    this.clearTimer();
    this.format = format;
    this.activate();
  }

  hangUp(): void {
    switch (this.phase) {
      case "idle":
        throw new CallError("no_call", "There is no call.");
      case "ringing_in":
        this.answer(false);
        return;
      default:
        this.host.queue(toBytes(pyjson({ type: MessageType.VOICE_CALL_END })));
        this.end("hung_up");
    }
  }

  /** Before a disconnect: END at once (the queue will not run again), then the call ends locally. */
  hangUpNow(reason: CallEndReason): void {
    if (this.phase === "idle") return;
    const inner = toBytes(pyjson({ type: this.phase === "ringing_in" ? MessageType.VOICE_CALL_REJECT : MessageType.VOICE_CALL_END }));
    this.host.sendNow(inner);
    this.end(reason);
  }

  setMuted(muted: boolean): void {
    if (this.muted === muted) return;
    this.muted = muted;
    this.host.emit("call_muted", { muted });
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled && this.phase !== "idle") this.hangUp();
  }

  /** Microphone samples (16-bit mono, 44.1 kHz): cut into 441-frame packets and sent at once. */
  sendAudio(pcm: Int16Array): boolean {
    if (this.phase !== "active" || !this.live || this.muted || this.format === null) return false;
    const format = this.format;
    let any = false;
    this.packetizer.push(pcm, (packet) => {
      if (this.host.sendNow(callDataInner(encodePcm(packet, format)))) {
        this.sent++;
        any = true;
      } else {
        this.dropped++;
      }
    });
    return any;
  }

  // ------------------------------------------------------------------ peer messages (types 30–34)

  onMessage(type: number, obj: JsonObject): void {
    switch (type) {
      case MessageType.VOICE_CALL_INIT:
        return this.onInit(obj);
      case MessageType.VOICE_CALL_ACCEPT:
        return this.onAccept(obj);
      case MessageType.VOICE_CALL_REJECT:
        if (this.phase === "ringing_out") return this.end("rejected");
        // The reference's dialog declines by itself ~30 s after a call we cancelled: expected.
        return this.stray("call rejection", false);
      case MessageType.VOICE_CALL_END:
        if (this.phase === "ringing_in") return this.end("canceled");
        if (this.phase === "ringing_out") return this.end("rejected");
        if (this.phase === "active") return this.end("peer_hung_up");
        return; // nothing to end: harmless
      case MessageType.VOICE_CALL_DATA:
        return this.onData(obj);
    }
  }

  private onInit(obj: JsonObject): void {
    if (!this.enabled) {
      // The terminal client's answer (WIRE-NOTES §4.6): reject politely.
      this.reply(MessageType.VOICE_CALL_REJECT);
      this.host.emit("voice_call_rejected", { reason: "Voice calls are not supported by this client." });
      return;
    }
    const p = checkPeerParams(obj);
    if (typeof p === "string") {
      this.reply(MessageType.VOICE_CALL_REJECT);
      this.host.emit("voice_call_rejected", { reason: `The peer's call uses ${p}.` });
      return;
    }
    if (this.phase !== "idle") {
      // Busy (including both sides calling at once): decline the newcomer.
      this.reply(MessageType.VOICE_CALL_REJECT);
      this.host.emit("voice_call_rejected", { reason: "Declined a second call while a call is in progress." });
      return;
    }
    this.begin("ringing_in", "in");
    this.peer = p;
    this.arm(this.incomingTimeoutMs, () => {
      this.host.queue(toBytes(pyjson({ type: MessageType.VOICE_CALL_REJECT })));
      this.end("missed");
    });
    this.host.emit("call_incoming", { rate: p.rate, chunk_size: p.chunkSize, audio_format: p.format });
  }

  private onAccept(obj: JsonObject): void {
    if (this.phase === "active") return; // a repeated ACCEPT: the call already runs
    if (this.phase !== "ringing_out") return this.stray("call acceptance", this.phase === "idle");
    const p = checkPeerParams(obj);
    if (typeof p === "string") {
      this.reply(MessageType.VOICE_CALL_END);
      this.host.error("malformed", `Ended the call: the peer's audio uses ${p}.`);
      this.end("unsupported");
      return;
    }
    this.peer = p;
    this.clearTimer();
    this.format = negotiateFormat(OUR_FORMAT, p.format);
    this.activate();
    this.goLive("out");
  }

  private onData(obj: JsonObject): void {
    if (this.phase !== "active" || this.format === null) {
      // Early packets of a reference callee (before its queued ACCEPT): expected, quiet.
      if (this.phase === "ringing_out") return;
      return this.stray("voice packet", this.phase === "idle");
    }
    const a = obj["audio_data"];
    let bytes: Uint8Array;
    try {
      if (typeof a !== "string") throw new TypeError("not a string");
      // Size first: at most what a frame can carry (4/3 base64 expansion).
      if (a.length === 0 || a.length > Math.ceil(MAX_PACKET_BYTES / 3) * 4) throw new RangeError("size");
      bytes = b64decodeStrict(a);
    } catch {
      this.dropped++;
      this.host.error("malformed", "Dropped a voice packet that is not valid base64 audio of a sane size.");
      return;
    }
    const pcm = decodePcm(bytes, this.format);
    if (pcm === null || pcm.length === 0) {
      this.dropped++;
      this.host.error("malformed", `Dropped a voice packet of ${bytes.length} bytes, which is not whole ${formatName(this.format)} samples of a sane size.`);
      return;
    }
    this.received++;
    this.host.emit("call_audio", { pcm, seq: this.received });
  }

  /** A reply to peer input: queued as an automatic (capped) item. */
  private reply(type: number): void {
    if (!this.host.queue(toBytes(pyjson({ type })), { auto: true })) this.host.error("rate_limited", "Too many automatic replies are waiting; a call answer was not sent.");
  }

  /** A call message that belongs to no call of ours: dropped; END and a notice as call-strays.ts decides. */
  private stray(what: string, answer: boolean): void {
    this.dropped++;
    const v = this.strays.onStray(what, answer, this.inGrace(), this.host.secure());
    if (v.replyEnd) this.reply(MessageType.VOICE_CALL_END);
    if (v.notice !== null) this.host.error("not_allowed", v.notice);
  }

  // ------------------------------------------------------------------ teardown

  /** The session ended (peer reset, disconnect, emergency close): no message can be sent any more. */
  reset(reason: CallEndReason): void {
    if (this.phase !== "idle") this.end(reason);
    this.strays.reset();
  }

  // ------------------------------------------------------------------ internals

  private begin(phase: CallPhase, direction: "in" | "out"): void {
    this.phase = phase;
    this.direction = direction;
    this.format = null;
    this.peer = null;
    this.live = false;
    this.muted = false;
    this.startedAt = null;
    this.sent = 0;
    this.received = 0;
    this.dropped = 0;
    this.packetizer.reset();
  }

  private activate(): void {
    this.phase = "active";
    this.host.pauseDummies(true);
  }

  private goLive(direction: "in" | "out"): void {
    this.live = true;
    this.startedAt = Date.now();
    this.startedMono = this.now();
    const format = this.format ?? OUR_FORMAT;
    const peer = this.peer ?? { rate: CALL_RATE, chunkSize: CALL_CHUNK };
    this.host.emit("call_started", {
      direction,
      format,
      format_name: formatName(format),
      rate: CALL_RATE,
      chunk_size: CALL_CHUNK,
      peer_rate: peer.rate,
      peer_chunk_size: peer.chunkSize,
    });
  }

  private end(reason: CallEndReason): void {
    const wasActive = this.phase === "active";
    const duration = this.live ? Math.round(this.now() - this.startedMono) : null;
    this.clearTimer();
    this.generation++;
    this.phase = "idle";
    this.live = false;
    this.format = null;
    this.peer = null;
    this.strays.callEnded();
    this.muted = false;
    this.startedAt = null;
    this.endedAt = this.now();
    this.packetizer.reset();
    if (wasActive) this.host.pauseDummies(false);
    this.host.emit("call_ended", { reason, text: END_TEXT[reason], duration_ms: duration });
  }

  private arm(ms: number, fire: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      fire();
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops the timer (the core is being disposed). */
  dispose(): void {
    this.clearTimer();
  }
}
