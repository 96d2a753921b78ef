// The page's state as data, and what may change it: the actions the reducer
// (reducer.mts) takes and the effects it asks the page to perform. Nothing
// here touches the DOM: the model is drawn by render.mts, the effects are
// carried out by effects.mts.
import type { Command, EphemeralOwner, GuiConfig, Hello, HistoryEvent, PageState, PageTransfer, SessionPageEvent } from "./wire.mjs";

export type View = "connect" | "chat";
export type Tone = "plain" | "good" | "bad" | "warn";
export type FileStatus = PageTransfer["status"] | "uploading";

/** One entry of the files panel (a transfer either way, or a local file on its way to the bridge). */
export interface FileEntry {
  dir: "in" | "out";
  name: string;
  size: number;
  /** The progress bar's maximum (at least 1) and value. */
  total: number;
  done: number;
  status: FileStatus;
  /** The status line's two halves: what is happening, and speed · time left. */
  left: string;
  right: string;
}

export interface PageModel {
  /** The core's state as the bridge reported it, updated by the events since. */
  session: PageState;
  config: GuiConfig | null;
  ephemeralOwner: EphemeralOwner;
  ephemeralMs: number;
  /** pqchat's and the protocol's version, from the hello. */
  about: { version: string; protocol: string } | null;
  view: View;
  /** Incoming offers waiting for the offer dialog, the one shown (or to show) first. */
  offers: string[];
  /** The files panel, newest last (the panel shows them newest first). */
  files: ReadonlyMap<string, FileEntry>;
  /** The local user pressed the emergency close: the disconnect that follows says nothing more. */
  selfEmergency: boolean;
  /** The first hello fills the connect form; later ones (a reconnected socket) leave what the user typed. */
  helloSeen: boolean;
  /** The connect form: a connect under way, its error, the notice above it. */
  connect: { busy: boolean; error: string | null; notice: { text: string; tone: "bad" | "info" } | null };
  /** The last error line shown and when, so that a burst of the same error shows once. */
  lastError: { text: string; at: number };
  /** The bridge's WebSocket is closed ("lost contact" overlay). */
  offline: boolean;
  /** The session is interrupted (a reconnect under way, or the peer gone): texts are held, not refused. */
  interrupted: boolean;
}

/** Parts of a system line: text, or a peer-chosen name (drawn as a name). */
export type SysPart = string | { name: string };
/** The one button a system line may carry: compare the words, connect again, or continue an interrupted transfer. */
export type SysAction = "verify" | "new_connection" | { resume: string };
export type Dialog = "verify" | "offer" | "rekey" | "settings";

export type Effect =
  | { k: "sys"; parts: SysPart[]; tone: Tone; action?: SysAction }
  | { k: "peer_message"; nick: string; text: string; unverified: boolean; ephemeral: boolean }
  | { k: "own_message"; nick: string; text: string; messageId: string }
  | { k: "tick"; messageId: string; tick: "sent" | "delivered" | "pending" | "failed" }
  | { k: "file_message"; nick: string; name: string; size: number; preview: string | null; savedAs: string; ephemeral: boolean }
  /** Log entries from here on carry this time (a replayed event's), or the current time again (null). */
  | { k: "clock"; at: number | null }
  | { k: "clear_log" }
  | { k: "clear_input" }
  | { k: "alert"; kind: "message" | "offer"; body: string }
  | { k: "open"; dialog: "verify" | "rekey" }
  | { k: "close"; dialogs: Dialog[] }
  /** Show the first waiting offer, unless a dialog is in the way. */
  | { k: "next_offer"; later?: boolean }
  /** Close the offer dialog (only if it shows `id`, when given). */
  | { k: "close_offer"; id?: string }
  | { k: "command"; cmd: Command }
  | { k: "calls_reset" }
  | { k: "calls_hello"; call: PageState["call"] }
  | { k: "fill_connect_form" };

export type Action =
  | { t: "hello"; hello: Hello }
  | { t: "config"; config: GuiConfig }
  /** A core event; `now` is when it arrived (ms since the epoch). */
  | { t: "event"; event: SessionPageEvent; now: number }
  | { t: "socket_closed" }
  | { t: "connect_started" }
  | { t: "connect_done"; nickname: string }
  | { t: "connect_failed"; error: string }
  | { t: "new_connection" }
  | { t: "emergency" }
  | { t: "nick_saved"; nickname: string }
  | { t: "offer_answered"; id: string; accepted: boolean }
  /** Escape or "decide later" on the offer dialog: the offer goes to the back of the queue. */
  | { t: "offer_deferred"; id: string }
  | { t: "upload_started"; key: string; name: string; size: number }
  | { t: "upload_progress"; key: string; loaded: number; total: number }
  | { t: "upload_ended"; key: string };

export interface Step {
  state: PageModel;
  effects: Effect[];
}

export type { HistoryEvent };

export function initialModel(): PageModel {
  return {
    session: {
      phase: "disconnected",
      host: null,
      port: null,
      room: null,
      role: null,
      words: null,
      fingerprint_sha256: null,
      verified: null,
      peer_verified: null,
      nickname: null,
      peer_nickname: null,
      ephemeral_mode: "OFF",
      transfers: [],
      download_dir: "",
      call: { available: false, phase: "idle", direction: null, format: null, muted: false, started_at: null },
      reconnect: null,
    },
    config: null,
    ephemeralOwner: null,
    ephemeralMs: 30_000,
    about: null,
    view: "connect",
    offers: [],
    files: new Map(),
    selfEmergency: false,
    helloSeen: false,
    connect: { busy: false, error: null, notice: null },
    lastError: { text: "", at: 0 },
    offline: false,
    interrupted: false,
  };
}
