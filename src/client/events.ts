// The typed events the client core emits. Every view (terminal UI, JSON-lines
// interface, GUI bridge) is a thin layer over these; the JSON-lines interface
// emits them almost verbatim (docs/JSON-API.md), so names and fields use the
// same snake_case as that contract.
import type { Compatibility } from "../protocol/constants.js";
import type { FileMetadata } from "../protocol/file/metadata.js";

export type Direction = "out" | "in";
export type Policy = true | false | "ask";
/**
 * Incoming files: `true` accepts automatically only from a peer the local user
 * verified (an unverified one — a stranger in the lobby, a relay in the
 * middle — is asked about); "yes-unverified" accepts from anyone.
 */
export type AcceptFilesPolicy = Policy | "yes-unverified";

/** Fixed list of error kinds (docs/JSON-API.md). Add new kinds there too. */
export type ErrorKind =
  | "rate_limited"
  | "oversize"
  | "unexpected_field"
  | "unexpected_inner_field"
  | "hmac_failed"
  | "decrypt_failed"
  | "replay"
  | "out_of_window"
  | "malformed"
  | "unknown_type"
  | "bad_filename"
  | "file_too_large"
  | "hash_mismatch"
  | "chunk_rejected"
  | "version_mismatch"
  | "server_error"
  | "protocol_violation"
  | "connection_error"
  | "io_error"
  | "not_allowed"
  | "text_too_long"
  | "stale_verification"
  | "rekey_timeout"
  | "insufficient_space";

/** What views see of a file transfer: the FILE_METADATA fields (WIRE-NOTES §4.6). */
export type FileInfo = FileMetadata;

export interface ClientEventMap {
  connected: { host: string; port: number; room: string | null };
  server_version: { version: string; local_version: string; match: boolean; compatibility: Compatibility };
  /**
   * The `version` the peer put in its KEY_EXCHANGE_INIT / RESPONSE (SPEC §7.2,
   * SPEC §4.2.1): null and "missing" when it sent none (the reference requires it).
   * Breaking also comes as an `error {kind: "version_mismatch"}`.
   */
  peer_version: { version: string | null; local_version: string; compatibility: Compatibility | "missing" };
  waiting_for_peer: Record<string, never>;
  key_exchange_started: { role: "initiator" | "responder" };
  key_exchange_complete: { fingerprint: string; words: string[]; fingerprint_sha256: string };
  /**
   * Our KEY_VERIFICATION was sent with this answer. `carried`: not the user's
   * comparison but the peer's valid continuity proof from a session the user
   * verified before (docs/PROTOCOL-EXTENSIONS.md §4).
   */
  verified: { verified: boolean; carried?: true };
  /** The peer's answer; `carried`: it came with the peer's valid continuity proof in this session. */
  peer_verified: { verified: boolean; carried?: true };
  /**
   * We hold a continuity secret from a verified session, and the peer of this
   * new session did not prove it holds it (no proof in time, or a wrong one):
   * the session is unverified and may be with someone else.
   */
  verification_not_carried: { reason: "no_proof" | "invalid_proof"; text: string };
  /** `message_id`: this client's id for the text (for `message_expired`); `ephemeral`: it disappears (ephemeral mode). */
  message: { text: string; nickname: string | null; peer_key_verified: boolean; counter: number; message_id: string; ephemeral: boolean };
  sent: { message_id: string; counter: number };
  delivered: { message_id: string; counter: number };
  nickname: { nickname: string; previous: string | null };
  nickname_ignored: { requested: string; reason: string };
  /** `seconds`: how long a message stays here while the mode is on. */
  ephemeral_mode: { mode: "OFF" | "GLOBAL" | "LOCAL"; owner_id: string | null; by_peer: boolean; seconds: number };
  /** A disappearing text (ours, "out", or the peer's, "in") expired: views remove it. */
  message_expired: { message_id: string; direction: Direction };
  /** `auto`: what the standing policy did ("accept"/"reject"), or null: waiting for acceptFile/rejectFile. */
  /** `resume_from`: a re-offer of a transfer we kept, bytes of it we already hold (docs/PROTOCOL-EXTENSIONS.md §5). */
  file_offer: FileInfo & { direction: "in"; auto: "accept" | "reject" | null; peer_key_verified: boolean; resume_from?: number };
  /** `resumed`: a kept transfer offered again after a reconnect (same transfer_id). */
  file_offered: FileInfo & { direction: "out"; path: string; resumed?: true };
  /** `resume_from`: a resumed transfer; the bytes the receiver already held (the sender sends only the rest). */
  file_accepted: { transfer_id: string; direction: Direction; resume_from?: number };
  file_rejected: { transfer_id: string; direction: Direction; reason: string };
  file_progress: { transfer_id: string; direction: Direction; bytes: number; total: number; chunks: number; total_chunks: number; rate: number; eta: number | null };
  file_sent: { transfer_id: string; direction: "out" };
  file_complete: { transfer_id: string; direction: "out" };
  /** `resumed_from`: the transfer resumed; bytes held before the resume. */
  file_received: { transfer_id: string; direction: "in"; path: string; size: number; blake2b: string; hash_ok: boolean; resumed_from?: number };
  /** `resumable`: the session ended, the partial file is kept for a while and the transfer continues if the sender offers it again. */
  file_receive_failed: { transfer_id: string; direction: "in"; error: string; kind: ErrorKind; resumable?: true };
  /** `resumable`: the session ended; the file is offered again in the next session (at once if it is carried, else after file_resumable is answered). */
  file_send_failed: { transfer_id: string; direction: "out"; error: string; resumable?: true };
  /**
   * An interrupted transfer of ours could continue, but the peer of this new
   * session is not the one verified before (no continuity proof): answer
   * with resumeFile(id, true) to offer it again, false to drop it.
   */
  file_resumable: FileInfo & { direction: "out"; bytes: number };
  /**
   * We gave up waiting (flood-limits.ts), and told the peer with FILE_REJECT:
   * "offer" = an offer not answered in time (either direction), "stalled" = an
   * accepted transfer whose data stopped (temp file removed). Ends the transfer.
   */
  file_expired: { transfer_id: string; direction: Direction; reason: "offer" | "stalled"; text: string };
  rekey_started: { role: "initiator" | "responder" };
  rekey_done: { role: "initiator" | "responder" };
  /** An unverified peer asks to rekey; answer with core.answerRekey(). */
  rekey_prompt: Record<string, never>;
  voice_call_rejected: { reason: string };
  emergency_close: Record<string, never>;
  reset: { reason: string };
  server_full: Record<string, never>;
  server_disconnect: { reason: string };
  server_error: { error: string };
  /** `reconnect: true`: the ending was unexpected and an automatic reconnect follows (`reconnecting`). */
  disconnected: { emergency?: boolean; reason: string; reconnect?: boolean };
  /** The next automatic reconnect attempt starts in `delay_ms` (reconnect.ts). */
  reconnecting: { attempt: number; max_attempts: number; delay_ms: number; reason: string };
  /** The automatic reconnect ended without a new session: it gave up (`reason`: the last failure), or the user canceled it. */
  reconnect_failed: { attempts: number; reason: string; canceled: boolean };
  /** A text that was on its way when the session ended is held for the next session (outbox.ts). */
  message_pending: { message_id: string };
  /** Held texts wait until the new session is verified (the interrupted one was). */
  messages_held: { count: number; until: "verification" };
  /** A held or queued text will never be sent. */
  message_not_sent: { message_id: string; reason: string };
  /**
   * A problem, never silent. Peer misbehaviour (notice-coalescer.ts) is
   * coalesced: the first of a kind at once, then at most one per kind every
   * few seconds; `count` is how many occurrences this event stands for.
   */
  error: { kind: ErrorKind; text: string; count: number };
}

export type ClientEventName = keyof ClientEventMap;

/** Why a call ended (call_ended.reason). */
export type CallEndReason =
  | "hung_up" // we hung up
  | "peer_hung_up" // the peer sent VOICE_CALL_END during the call
  | "declined" // we declined the incoming call
  | "rejected" // the peer declined (VOICE_CALL_REJECT; also a busy peer or a terminal client)
  | "canceled" // the caller gave up before we answered
  | "no_answer" // our call rang out (ringing timeout)
  | "missed" // an incoming call rang out
  | "unsupported" // the peer's audio settings cannot be used
  | "reset" // the peer left (KEY_EXCHANGE_RESET)
  | "disconnected" // our connection closed
  | "emergency_close"; // either side's emergency close

/**
 * Voice call events (WIRE-NOTES §4.6). A separate map so the
 * JSON-lines interface, which forwards every ClientEventMap event, stays as it
 * is: `call_audio` carries binary PCM and only makes sense for the GUI bridge.
 */
export interface CallEventMap {
  /** We placed a call (VOICE_CALL_INIT queued); it rings at the peer. */
  call_ringing: { direction: "out" };
  /** The peer calls us; answer with answerCall(). Fields as announced by the peer. */
  call_incoming: { rate: number; chunk_size: number; audio_format: number };
  /**
   * Audio may flow: `format` is the negotiated PortAudio constant used on the
   * wire both ways (8 = 16-bit); `rate` / `chunk_size` are what we send
   * (44,100 Hz, 441 frames), `peer_rate` / `peer_chunk_size` what the peer
   * announced and sends (WIRE-NOTES §4.6: each side sends at its own rate).
   */
  call_started: { direction: "in" | "out"; format: number; format_name: string; rate: number; chunk_size: number; peer_rate: number; peer_chunk_size: number };
  /** One received packet, decoded to 16-bit signed mono PCM at the peer's rate (call_started.peer_rate; platform byte order). */
  call_audio: { pcm: Int16Array; seq: number };
  call_muted: { muted: boolean };
  call_ended: { reason: CallEndReason; text: string; duration_ms: number | null };
}

export type CallEventName = keyof CallEventMap;
export type AnyEventMap = ClientEventMap & CallEventMap;
export type AnyEventName = keyof AnyEventMap;
