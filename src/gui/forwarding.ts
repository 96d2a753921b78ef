// Which core events the bridge forwards to the page and how the page gets
// them, and the core's state as the page's hello reports it (page/wire.mts has the types). The compile-time
// checks below fail when the core gains an event the bridge does not forward.
import type { CallState, ClientState } from "../client/api.js";
import type { CallEventMap, CallEventName, ClientEventMap, ClientEventName } from "../client/events.js";
import * as path from "node:path";
import { imageTypeByName } from "./files.js";
import type { PageCall, PageEvent, PageState } from "./page/wire.mjs";

/** Every core event, forwarded (the compile-time check below keeps this complete). */
export const GUI_EVENTS = [
  "connected", "server_version", "peer_version", "waiting_for_peer", "key_exchange_started", "key_exchange_complete", "verified",
  "peer_verified", "verification_not_carried", "message", "sent", "delivered", "nickname", "nickname_ignored", "ephemeral_mode", "file_offer",
  "file_offered", "file_accepted", "file_rejected", "file_progress", "file_sent", "file_complete", "file_received",
  "file_receive_failed", "file_send_failed", "file_resumable", "file_expired", "rekey_started", "rekey_done", "rekey_prompt", "voice_call_rejected",
  "emergency_close", "reset", "server_full", "server_disconnect", "server_error", "disconnected", "error",
  "reconnecting", "reconnect_failed", "message_pending", "messages_held", "message_not_sent", "message_expired",
] as const satisfies readonly ClientEventName[];
type Unforwarded = Exclude<ClientEventName, (typeof GUI_EVENTS)[number]>;
const _allForwarded: [Unforwarded] extends [never] ? true : Unforwarded = true;
void _allForwarded;

/** Call events sent to the pages as JSON (call_audio goes as a binary message to the page that owns the call's audio). */
export const GUI_CALL_EVENTS = ["call_ringing", "call_incoming", "call_started", "call_muted", "call_ended"] as const satisfies readonly CallEventName[];
type UnforwardedCall = Exclude<CallEventName, (typeof GUI_CALL_EVENTS)[number] | "call_audio">;
const _allCallForwarded: [UnforwardedCall] extends [never] ? true : UnforwardedCall = true;
void _allCallForwarded;

/** A core event with its name: a switch on `name` narrows `data`. */
export type ClientEvent = { [K in ClientEventName]: { name: K; data: ClientEventMap[K] } }[ClientEventName];
type CallJsonName = (typeof GUI_CALL_EVENTS)[number];
export type CallJsonEvent = { [K in CallJsonName]: { name: K; data: CallEventMap[K] } }[CallJsonName];

/** The event as the page gets it (page/wire.mts PageEventMap): no private temp path, received files named. */
export function toPageEvent(e: ClientEvent): PageEvent {
  switch (e.name) {
    case "file_offered": {
      // The path is the bridge's private temp copy: the page does not need it.
      const { path: _path, ...data } = e.data;
      return { name: e.name, data };
    }
    case "file_received": {
      const p = e.data.path;
      return { name: e.name, data: { ...e.data, name: path.basename(p), preview: e.data.hash_ok && imageTypeByName(p) !== null } };
    }
    default:
      return e;
  }
}

export function pageCall(c: CallState | undefined): PageCall {
  if (!c) return { available: false, phase: "idle", direction: null, format: null, muted: false, started_at: null };
  return { available: true, phase: c.phase, direction: c.direction, format: c.format, muted: c.muted, started_at: c.started_at };
}

export function pageState(s: ClientState): PageState {
  return {
    phase: s.phase,
    host: s.host,
    port: s.port,
    room: s.room,
    role: s.role,
    words: s.words,
    fingerprint_sha256: s.fingerprint_sha256 ?? null,
    verified: s.verified,
    peer_verified: s.peer_verified,
    nickname: s.nickname,
    peer_nickname: s.peer_nickname,
    ephemeral_mode: s.ephemeral_mode,
    transfers: s.transfers.map((t) => ({
      transfer_id: t.transfer_id,
      filename: t.filename,
      file_size: t.file_size,
      direction: t.direction,
      status: t.status,
      bytes: t.bytes,
      total: t.total,
      rate: t.rate,
    })),
    download_dir: s.download_dir,
    call: pageCall(s.call),
    reconnect: s.reconnect ?? null,
  };
}
