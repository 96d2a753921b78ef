// The JSON API's event table: how each client event becomes the fields of one
// JSON line (docs/JSON-API.md, "Events"). Every event of ClientEventMap has an
// entry — the table's type makes the compiler refuse a new event without one —
// and nearly all are forwarded as they are.
import type { ClientEventMap, ClientEventName } from "../client/events.js";

/** The fields of one output line (besides event, seq and t). */
export type Fields = Record<string, unknown>;

type EventLine<K extends ClientEventName> = (e: ClientEventMap[K]) => Fields;

/** The payload as it is: plain data, written as JSON. */
const asIs = (e: object): Fields => e as Fields;

/** Client event -> the fields of its JSON line, in documentation order. */
export const EVENT_LINES: { readonly [K in ClientEventName]: EventLine<K> } = {
  connected: asIs,
  server_version: asIs,
  peer_version: asIs,
  waiting_for_peer: asIs,
  key_exchange_started: asIs,
  // The contract: the eight words space-separated on one line, and as an array.
  key_exchange_complete: (e) => ({ ...e, fingerprint: e.words.join(" "), words: e.words }),
  verified: asIs,
  peer_verified: asIs,
  verification_not_carried: asIs,
  message: asIs,
  sent: asIs,
  delivered: asIs,
  nickname: asIs,
  nickname_ignored: asIs,
  ephemeral_mode: asIs,
  message_expired: asIs,
  file_offer: asIs,
  file_offered: asIs,
  file_accepted: asIs,
  file_rejected: asIs,
  file_progress: asIs,
  file_sent: asIs,
  file_complete: asIs,
  file_received: asIs,
  file_receive_failed: asIs,
  file_send_failed: asIs,
  file_resumable: asIs,
  file_expired: asIs,
  rekey_started: asIs,
  rekey_done: asIs,
  rekey_prompt: asIs,
  voice_call_rejected: asIs,
  emergency_close: asIs,
  reset: asIs,
  server_full: asIs,
  server_disconnect: asIs,
  server_error: asIs,
  disconnected: asIs,
  reconnecting: asIs,
  reconnect_failed: asIs,
  message_pending: asIs,
  messages_held: asIs,
  message_not_sent: asIs,
  error: asIs,
};

/** Every client event, forwarded 1:1 (the keys of EVENT_LINES). */
export const FORWARDED_EVENTS = Object.keys(EVENT_LINES) as ClientEventName[];

/** The JSON line's fields for one client event. */
export function eventFields<K extends ClientEventName>(name: K, payload: ClientEventMap[K]): Fields {
  return (EVENT_LINES[name] as EventLine<K>)(payload);
}
