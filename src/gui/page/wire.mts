// The messages on the GUI bridge's one WebSocket (types only; shared by the
// Node bridge, src/gui/bridge.ts, and the page). The page sends commands with
// an id and gets exactly one reply per command; the bridge pushes the client
// core's events (src/client/events.ts) as they happen, plus a hello on connect.
//
//   page -> bridge   {"id": 7, "cmd": "send", "text": "hi"}
//   bridge -> page   {"t": "reply", "id": 7, "ok": true, "result": {"message_id": "…"}}
//   bridge -> page   {"t": "event", "name": "sent", "data": {"message_id": "…", "counter": 3}}
//
// The page never sees key material: events carry none, and nothing else is sent.
// During a voice call, audio also travels as binary messages (raw PCM, see PageCall).

import type { CallState, ClientState, TransferState } from "../../client/api.js";
import type { CallEventMap, ClientEventMap } from "../../client/events.js";

export type Mode = ClientState["ephemeral_mode"];
/** "yes": from a peer you verified (asked otherwise); "yes-unverified": from anyone. */
export type AcceptFiles = "ask" | "yes" | "no" | "yes-unverified";
export type Theme = "auto" | "light" | "dark" | "contrast";

/** Settings the user can change in the page (saved in gui.json). */
export interface GuiSettings {
  dummy_traffic: boolean;
  delivery_receipts: boolean;
  allow_nickname_change: boolean;
  accept_files: AcceptFiles;
  notifications: boolean;
  sound: boolean;
  theme: Theme;
}

/** The remembered connect form plus settings (never keys or messages). */
export interface GuiConfig {
  host: string;
  port: number;
  room: string;
  nickname: string;
  settings: GuiSettings;
}

export type Command =
  | { cmd: "connect"; host: string; port: number; room: string; nickname: string }
  | { cmd: "disconnect" }
  | { cmd: "verify"; answer: boolean; /** the eight words the page showed, space-separated */ fingerprint?: string }
  | { cmd: "send"; text: string }
  | { cmd: "accept"; transfer_id: string }
  | { cmd: "reject"; transfer_id: string }
  | { cmd: "resume"; transfer_id: string; answer: boolean }
  | { cmd: "rekey" }
  | { cmd: "rekey_answer"; accept: boolean }
  | { cmd: "nick"; nickname: string }
  | { cmd: "ephemeral"; mode: Mode }
  | { cmd: "settings"; settings: Partial<GuiSettings> }
  | { cmd: "emergency_close" }
  | { cmd: "open_downloads" }
  | { cmd: "call" }
  | { cmd: "answer_call"; accept: boolean }
  | { cmd: "hang_up" }
  | { cmd: "mute"; muted: boolean }
  | { cmd: "state" };

export type CommandName = Command["cmd"];
export type CommandMessage = Command & { id: number };

/** The parts of the core's ClientState the page uses (see src/client/api.ts). */
export type PageState = Pick<ClientState, "phase" | "host" | "port" | "room" | "role" | "words" | "verified" | "peer_verified" | "nickname" | "peer_nickname" | "ephemeral_mode" | "download_dir"> & {
  /** The full SHA-256 behind the words, lowercase hex (the "compare the full fingerprint" view). */
  fingerprint_sha256: string | null;
  transfers: PageTransfer[];
  call: PageCall;
  /** The automatic reconnect under way (the banner), or null. */
  reconnect: NonNullable<ClientState["reconnect"]> | null;
};

/** The voice call. Audio itself travels as binary WebSocket messages: 16-bit LE mono PCM at 44.1 kHz, both ways. */
export type PageCall = Pick<CallState, "phase" | "direction" | "format" | "muted" | "started_at"> & {
  /** Voice calls are available in this pqchat process. */
  available: boolean;
};

/** A transfer as the hello lists it: the core's TransferState without its local path. */
export type PageTransfer = Pick<TransferState, "transfer_id" | "filename" | "file_size" | "direction" | "status" | "bytes" | "total" | "rate">;

/**
 * The core's events as the page receives them: ClientEventMap and CallEventMap
 * (src/client/events.ts) as they are, except where the bridge changes them:
 * an outgoing offer loses the bridge's private temp path, a received file gains
 * the name it was saved as and whether the bridge serves a preview, and call
 * audio goes as binary messages instead.
 */
export type PageEventMap = Omit<ClientEventMap, "file_offered" | "file_received"> &
  Omit<CallEventMap, "call_audio"> & {
    file_offered: Omit<ClientEventMap["file_offered"], "path">;
    file_received: ClientEventMap["file_received"] & { name: string; preview: boolean };
  };

export type PageEventName = keyof PageEventMap;

/** One event, its name tagging its data: a switch on `name` narrows `data`. */
export type PageEvent = { [K in PageEventName]: { name: K; data: PageEventMap[K] } }[PageEventName];

/** The call events (the page's call module handles them). */
export type CallEventPageName = Exclude<keyof CallEventMap, "call_audio"> | "voice_call_rejected";
export type CallPageEvent = Extract<PageEvent, { name: CallEventPageName }>;
/** Every other event (the page's reducer handles them). */
export type SessionPageEvent = Exclude<PageEvent, { name: CallEventPageName }>;

/** Not a core event: a message the local user sent, kept so a reloaded page shows it again. */
export interface OwnMessage {
  name: "own_message";
  data: { text: string; message_id: string };
}

/** Who turned on GLOBAL ephemeral mode (only the owner can turn it off). */
export type EphemeralOwner = "self" | "peer" | null;

export interface Hello {
  t: "hello";
  version: string;
  protocol_version: string;
  state: PageState;
  config: GuiConfig;
  ephemeral_owner: EphemeralOwner;
  /** How long messages stay in ephemeral mode (30 s; tests may shorten it). */
  ephemeral_ms: number;
  /** Largest image (bytes) the bridge previews inline. */
  preview_max: number;
  /** An unverified peer's rekey request is waiting for an answer. */
  rekey_prompt: boolean;
  /** The session's log so far, for a page that (re)loads mid-session (src/gui/history.ts). */
  history: HistoryEvent[];
}

/** One event of the session's log, as it was forwarded, with its time (ms since the epoch). */
export type HistoryEvent = (PageEvent | OwnMessage) & { at: number };

export type EventMessage = { t: "event" } & PageEvent;

export interface Reply {
  t: "reply";
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface ConfigMessage {
  t: "config";
  config: GuiConfig;
}

export type ServerMessage = Hello | EventMessage | Reply | ConfigMessage;
