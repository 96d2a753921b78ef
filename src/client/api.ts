// The contract between the client core and its views. ClientCore (core.ts)
// implements it; the terminal UI, the JSON-lines interface and the GUI bridge
// use only this.
import type { AcceptFilesPolicy, CallEventMap, CallEventName, ClientEventMap, ClientEventName, ErrorKind, FileInfo, Policy } from "./events.js";

/** Where the client keeps its temp files: the GUI stores uploads beside them. */
export { tempDirPrefix } from "../io/file/temp-files.js";

export interface ConnectOptions {
  host: string;
  port: number;
  /** Room code (JOIN extension, docs/PROTOCOL-EXTENSIONS.md); null = lobby. */
  room?: string | null;
  /** Local (source) address to connect from, on a host with several; default: the system's choice. */
  localAddress?: string;
}

export interface ClientOptions {
  /** Absolute or relative; resolved once. Default: process.cwd(). */
  downloadDir?: string;
  nickname?: string | null;
  /** DUMMY_MESSAGE when idle (SPEC §12.2). Default true. */
  dummyTraffic?: boolean;
  /** DELIVERY_CONFIRMATION for received texts. Default true. */
  deliveryReceipts?: boolean;
  /** Honour the verified peer's NICKNAME_CHANGE. Default true. */
  allowNicknameChange?: boolean;
  /** Default "ask"; `true` only for a verified peer (events.ts AcceptFilesPolicy). */
  acceptFiles?: AcceptFilesPolicy;
  autoVerify?: Policy; // default "ask"
  /** gzip level for outgoing files. Default: chosen per file from samples of it (as many gzip members at the engine's cheaper levels as keep the ratio within a few per cent of level 6's, the rest at 6). */
  gzipLevel?: number;
  /** Largest incoming file accepted. Default 64 GiB. */
  maxFileSize?: number;
  /** Send tick (SPEC §12.1). Default 250 ms; tests must not change it for interop runs. */
  tickMs?: number;
  /**
   * Voice calls. Default false: every VOICE_CALL_INIT is answered
   * with VOICE_CALL_REJECT, as the reference terminal client does. The GUI
   * turns them on (setVoiceCalls).
   */
  voiceCalls?: boolean;
  /** An unanswered outgoing call ends (VOICE_CALL_END) after this long. Default 30 s. */
  callRingTimeoutMs?: number;
  /** A rekey step the peer does not answer times out after this long (rekey-flow.ts). Default 120 s for the response, 60 s for commit/commit_ack. */
  rekeyTimeoutMs?: number;
  /** Coalesced error events: at most one per kind of peer misbehaviour this often. Default 3 s (notice-coalescer.ts). */
  noticeIntervalMs?: number;
  /** An unanswered file offer (either direction) expires after this long. Default 10 minutes (flood-limits.ts). */
  offerTimeoutMs?: number;
  /** An accepted transfer whose data stops for this long ends on both sides. Default 60 s (flood-limits.ts). */
  transferStallMs?: number;
  /**
   * The relay counts as gone, and the connection is closed with `disconnected`,
   * after this long without receiving anything from it while reading
   * (liveness.ts). Default 210 s: 3.5 times the relay's 60 s KEEP_ALIVE
   * interval (SPEC §10). 0 turns it off (TCP keepalive stays on).
   */
  serverSilenceMs?: number;
  /** How long a new session waits for the peer's continuity proof (continuity.ts; default 15 s). */
  continuityTimeoutMs?: number;
  /** How long an interrupted transfer is kept for a resume (kept-transfers.ts; default 10 min; 0: never). */
  resumeKeepMs?: number;
  /**
   * Automatic reconnect after an unexpected disconnect (reconnect.ts):
   * `false` turns it off; otherwise the bounds of one episode — `attempts`
   * (default 20) and `forMs` from the first failure (default 10 minutes; 0:
   * no time limit), whichever comes first.
   */
  reconnect?: boolean | { attempts?: number; forMs?: number };
  /** How long a text stays while ephemeral mode is on (ephemeral-mode.ts). Default 30 s, as the reference. */
  ephemeralMs?: number;
}

export type CallPhase = "idle" | "ringing_out" | "ringing_in" | "active";

export interface CallState {
  phase: CallPhase;
  direction: "in" | "out" | null;
  /** Negotiated PortAudio sample format on the wire (null until the call is active). */
  format: number | null;
  muted: boolean;
  /** Date.now() when audio could start flowing; null before. */
  started_at: number | null;
  packets_sent: number;
  packets_received: number;
  /** Outgoing packets not sent (congestion, rekey hold) plus invalid incoming ones. */
  packets_dropped: number;
}

export type ConnectionPhase =
  | "disconnected"
  | "connecting"
  | "waiting_for_peer"
  | "reconnecting" // waiting before the next automatic reconnect attempt
  | "key_exchange"
  | "secure" // key exchange complete
  | "closing";

export interface TransferState extends FileInfo {
  direction: "in" | "out";
  status: "offered" | "accepted" | "transferring" | "verifying" | "done" | "failed" | "rejected";
  bytes: number;
  total: number;
  rate: number;
  path: string | null;
}

export interface ClientState {
  phase: ConnectionPhase;
  host: string | null;
  port: number | null;
  room: string | null;
  server_version: string | null;
  protocol_version: string;
  role: "initiator" | "responder" | null;
  fingerprint: string | null;
  words: string[] | null;
  /** The whole SHA-256 behind the words (WIRE-NOTES §10), lowercase hex; the words carry only about 72 bits of it. */
  fingerprint_sha256?: string | null;
  verified: boolean | null; // our answer, null = not answered
  peer_verified: boolean | null;
  /** Verified reconnect (docs/PROTOCOL-EXTENSIONS.md §4) in this session; absent from stand-in cores. */
  continuity?: "none" | "awaiting" | "carried" | "failed";
  nickname: string | null;
  peer_nickname: string | null;
  message_counter: number;
  peer_counter: number;
  rekey: { phase: string; role: string | null };
  transfers: TransferState[];
  ephemeral_mode: "OFF" | "GLOBAL" | "LOCAL";
  /** How long a message stays while ephemeral mode is on; absent from stand-in cores. */
  ephemeral_seconds?: number;
  settings: { dummy_traffic: boolean; delivery_receipts: boolean; allow_nickname_change: boolean; accept_files: AcceptFilesPolicy; auto_verify: Policy };
  download_dir: string;
  /** The automatic reconnect under way (reconnect.ts), or null; absent from stand-in cores. */
  reconnect?: { attempt: number; max_attempts: number; next_at: number | null; reason: string } | null;
  /** Texts held for the next session (outbox.ts); absent from stand-in cores. */
  pending_messages?: number;
  /** Voice call state; absent from stand-in cores. */
  call?: CallState;
}

/** Errors thrown by commands carry a plain-words message for the user. */
export class CommandError extends Error {
  /** Set when the refusal has a machine-readable kind (e.g. "text_too_long"). */
  kind?: ErrorKind;
  constructor(message: string, kind?: ErrorKind) {
    super(message);
    this.name = "CommandError";
    if (kind !== undefined) this.kind = kind;
  }
}

export interface ClientApi {
  on<K extends ClientEventName>(event: K, listener: (e: ClientEventMap[K]) => void): this;
  off<K extends ClientEventName>(event: K, listener: (e: ClientEventMap[K]) => void): this;

  /** Resolves once the TCP connection is up (and JOIN sent). Throws CommandError. */
  connect(opts: ConnectOptions): Promise<void>;
  /**
   * Answers the current fingerprint. `fingerprint` names the words (or the full
   * hex) the answer is for: refused (CommandError, kind "stale_verification")
   * unless they are the current session's. Without it, an answer before the
   * first fingerprint of the connection is held for it; after one was shown,
   * an answer with no session to apply to is refused. Re-verification sends a
   * new KEY_VERIFICATION.
   */
  verify(answer: boolean, fingerprint?: string): void;
  setAutoVerify(value: Policy): void;
  /**
   * Queues a text; throws CommandError before the exchange completes or when
   * too long for one frame. While the session is interrupted (a reconnect
   * under way, or the peer gone and awaited again) the text is held instead
   * and `pending` is true (outbox.ts says when it goes out).
   */
  sendText(text: string): { message_id: string; pending?: boolean; ephemeral?: boolean };
  /** Prepares (hashes/compresses) and offers a file; resolves with its metadata. */
  sendFile(path: string, opts?: { compress?: boolean }): Promise<FileInfo>;
  acceptFile(transferId: string): void;
  rejectFile(transferId: string, reason?: string): void;
  /** Answers file_resumable: `true` offers the kept transfer again to this peer, `false` drops it. Throws CommandError when none is kept. */
  resumeFile(transferId: string, answer: boolean): void;
  setAcceptFiles(value: AcceptFilesPolicy): void;
  rekey(): void;
  /** Answer to a rekey_prompt (unverified peer started a rekey). */
  answerRekey(accept: boolean): void;
  setNickname(name: string): void;
  /** `seconds`: how long messages stay here while the mode is on (1 to 86,400; default 30). */
  setEphemeralMode(mode: "OFF" | "LOCAL" | "GLOBAL", seconds?: number): void;
  setOption(name: "dummy_traffic" | "delivery_receipts" | "allow_nickname_change", value: boolean): void;
  /**
   * A view cannot keep up with the events (its output is backed up): stop
   * reading from the relay until resumeInbound with the same reason. TCP
   * backpressure then slows the relay and the peer; no event is dropped.
   * Holds across reconnects until resumed.
   */
  pauseInbound(reason: string): void;
  resumeInbound(reason: string): void;
  /** Sends EMERGENCY_CLOSE at once, wipes the session, closes the connection. */
  emergencyClose(): void;
  /** Sends CLIENT_DISCONNECT and closes; resolves when the socket is closed. Between reconnect attempts: stops reconnecting. */
  disconnect(): Promise<void>;
  /** Stops an automatic reconnect under way (`reconnect_failed` with `canceled: true`); false when none was. */
  cancelReconnect(): boolean;
  state(): ClientState;
}

/** Voice calls: implemented by ClientCore. */
export interface CallApi {
  onCall<K extends CallEventName>(event: K, listener: (e: CallEventMap[K]) => void): this;
  offCall<K extends CallEventName>(event: K, listener: (e: CallEventMap[K]) => void): this;
  /** Voice calls on or off (off: incoming calls are rejected; an ongoing call is ended). */
  setVoiceCalls(enabled: boolean): void;
  /** Places a call (VOICE_CALL_INIT, 16-bit); throws CommandError without a secure session, when calls are off or a call exists. */
  call(): void;
  /** Accepts (VOICE_CALL_ACCEPT) or declines (VOICE_CALL_REJECT) the ringing incoming call. */
  answerCall(accept: boolean): void;
  /** Ends the call in any phase (END; REJECT while an incoming call rings). */
  hangUp(): void;
  setMuted(muted: boolean): void;
  /**
   * Microphone audio: 16-bit signed mono PCM at 44,100 Hz, any length (cut
   * into 441-frame packets, sent at once through the ordered encrypted path).
   * False when nothing was sent (no live call, muted, congested).
   */
  sendAudio(pcm: Int16Array): boolean;
}
