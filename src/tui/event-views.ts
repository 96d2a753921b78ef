// How the terminal client shows each client event: one table entry per event
// of ClientEventMap (the table's type makes the compiler refuse a new event
// without a decision here). Everything that came from the peer or the server
// goes through src/present/sanitize.ts before it is shown.
import type { ClientState } from "../client/api.js";
import type { ClientEventMap, ClientEventName } from "../client/events.js";
import { errorKindWords } from "../present/error-text.js";
import { formatBytes } from "../present/format-bytes.js";
import { formatMessage, sanitizeInline, sanitizeName } from "../present/sanitize.js";
import { DROP_KINDS, formatTransfer, type Palette, percent, visibleLength } from "./format.js";
import type { TransferList } from "./transfers.js";

/** What an event view may use of the running terminal client. */
export interface ViewContext {
  readonly p: Palette;
  readonly interactive: boolean;
  readonly downloadDir: string;
  readonly transfers: TransferList;
  /** Ids of our texts shown as pending (held for the next session). */
  readonly pending: Set<string>;
  /** True once the user chose to leave (the disconnect that follows is not news). */
  leaving(): boolean;
  /** True after our own emergency close (a clean end). */
  panicked(): boolean;
  /** Prints lines; `id` names the disappearing message they show. */
  print(lines: string[], id?: string): void;
  /** A disappearing message expired: take it off the screen. */
  expire(id: string): void;
  info(text: string): void;
  warn(text: string): void;
  alarm(text: string): void;
  state(): ClientState | null;
  askVerify(): void;
  askRekey(): void;
  /** Offer an interrupted transfer again to this (not carried) peer? */
  askResume(transferId: string, what: string): void;
  dropQuestions(): void;
  /** The verification question is answered already (a carried verification). */
  dropVerify(): void;
  end(code: number, lines: string[]): void;
}

type View<K extends ClientEventName> = (e: ClientEventMap[K], v: ViewContext) => void;

/** Shown elsewhere, or not news: the view draws nothing (the status line still refreshes). */
const nothing = (): void => undefined;

function clock(): string {
  const d = new Date();
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** A chat line: time, who, an [unverified] mark, the text with its continuation lines. */
export function messageLines(who: string, text: string, p: Palette): string[] {
  const prefix = `${p.dim(clock())} ${who}: `;
  return formatMessage(prefix, text, visibleLength(prefix));
}

type SessionEvent = "connected" | "server_version" | "peer_version" | "waiting_for_peer" | "key_exchange_started" | "key_exchange_complete" | "verified" | "peer_verified" | "verification_not_carried";

const session: { [K in SessionEvent]: View<K> } = {
  connected: (e, v) => v.info(`connected to ${sanitizeInline(e.host)}:${e.port}${e.room ? ` (room ${sanitizeInline(e.room)})` : ""}`),
  server_version: (e, v) => {
    const ver = sanitizeInline(e.version);
    if (e.compatibility === "breaking") v.warn(`the server speaks protocol ${ver}, this client ${e.local_version}: a different major version, the chat may not work`);
    else if (e.compatibility === "minor") v.info(`note: the server speaks protocol ${ver}, this client ${e.local_version}`);
  },
  // SPEC §4.2.1: minor → a notice, patch → silent; breaking comes as a version_mismatch error (a warning).
  peer_version: (e, v) => {
    if (e.compatibility === "minor") v.info(`note: your peer speaks protocol ${sanitizeInline(e.version ?? "")}, this client ${e.local_version}`);
    else if (e.compatibility === "missing") v.info(`note: your peer did not say which protocol version it speaks (this client: ${e.local_version})`);
  },
  waiting_for_peer: (_e, v) => v.info("waiting for the other person to connect…"),
  key_exchange_started: (e, v) => v.info(`peer found, exchanging keys (${e.role})…`),
  key_exchange_complete: (_e, v) => {
    v.info(v.p.green("secure session established") + " — but you do not know yet who is on the other end.");
    v.askVerify();
  },
  verified: (e, v) => {
    if (e.carried) {
      // The peer proved it is the one verified in the previous session (docs/PROTOCOL-EXTENSIONS.md §4).
      v.dropVerify();
      v.info(v.p.green("verified again automatically: the peer proved it is the one you verified in the previous session"));
    } else if (e.verified) v.info(v.p.green("you verified the peer: the words match"));
    else v.warn("you said the words do NOT match: treat this peer as untrusted (/verify to answer again)");
  },
  // KEY_VERIFICATION travels in plaintext (WIRE-NOTES §10): anyone relaying can forge it.
  // Only the local user's own comparison protects them; the peer's answer is shown as a claim.
  peer_verified: (e, v) => {
    if (e.verified) v.info(v.p.dim("the peer says they verified you (not proof: only your own comparison protects you)"));
    else v.warn("the peer says the words do NOT match: compare them again (/verify)");
  },
  verification_not_carried: (e, v) => v.alarm(e.text),
};

const chat: { [K in "message" | "sent" | "delivered" | "nickname" | "nickname_ignored" | "ephemeral_mode" | "message_expired"]: View<K> } = {
  message: (e, v) => {
    const who = v.p.cyan(e.nickname === null ? "peer" : sanitizeInline(e.nickname));
    const marks = (e.peer_key_verified ? "" : " " + v.p.red("[unverified]")) + (e.ephemeral ? " " + v.p.dim("[disappearing]") : "");
    v.print(messageLines(who + marks, e.text, v.p), e.ephemeral ? e.message_id : undefined);
  },
  message_expired: (e, v) => v.expire(e.message_id),
  sent: (e, v) => {
    if (v.pending.delete(e.message_id)) v.info("a held message was sent");
  },
  delivered: nothing,
  nickname: (e, v) => {
    const prev = e.previous === null ? "the peer" : `"${sanitizeInline(e.previous)}"`;
    v.info(`${prev} is now called "${sanitizeInline(e.nickname)}"`);
  },
  nickname_ignored: (e, v) => {
    // Before the user answered the fingerprint question this is expected, not news:
    // the peer resends its nickname once verification is done.
    if (v.state()?.verified === null) return;
    v.info(`ignored the peer's nickname "${sanitizeInline(e.requested)}": ${sanitizeInline(e.reason)}`);
  },
  ephemeral_mode: (e, v) => {
    if (e.mode === "OFF") v.info(`disappearing messages off${e.by_peer ? " (turned off by the peer)" : ""}`);
    else {
      const scope = e.mode === "GLOBAL" ? (e.by_peer ? "the peer turned on disappearing messages for both of you" : "disappearing messages on for both of you") : "disappearing messages on, on this side only";
      v.warn(`${scope}: messages from now on vanish after ${e.seconds} s`);
    }
  },
};

type FileEvent =
  | "file_offer"
  | "file_offered"
  | "file_accepted"
  | "file_rejected"
  | "file_progress"
  | "file_sent"
  | "file_complete"
  | "file_received"
  | "file_receive_failed"
  | "file_send_failed"
  | "file_resumable"
  | "file_expired";

const files: { [K in FileEvent]: View<K> } = {
  file_offer: (e, v) => {
    v.transfers.offers.set(e.transfer_id, e);
    v.transfers.add(e, "in");
    const policy = v.state()?.settings.accept_files ?? "ask";
    const desc = `"${sanitizeName(e.filename, 120)}" (${formatBytes(e.file_size)})${e.resume_from === undefined ? "" : ` again, ${formatBytes(e.resume_from)} of it already here`}`;
    if (e.auto !== null) {
      v.info(`the peer offers the file ${desc}; ${e.auto === "accept" ? "accepting" : "rejecting"} it (--accept-files)`);
      return;
    }
    const id = e.transfer_id.slice(0, 8);
    v.print([
      v.p.bold(`* the peer offers the file ${desc}`),
      ...(policy === true && !e.peer_key_verified ? ["  not accepted automatically: you have not verified this peer (--accept-files yes means verified peers only)"] : []),
      `  /accept ${id} to receive it into ${v.downloadDir}, /reject ${id} to refuse`,
    ]);
  },
  file_offered: (e, v) => {
    v.transfers.add(e, "out");
    const gz = e.compressed ? `, ${formatBytes(e.processed_size)} compressed` : "";
    v.info(`offering "${sanitizeName(e.filename, 120)}" (${formatBytes(e.file_size)}${gz}); waiting for the peer to accept…`);
  },
  file_accepted: (e, v) => {
    const t = v.transfers.transfers.get(e.transfer_id);
    if (t) t.status = "active";
    v.transfers.offers.delete(e.transfer_id);
    const name = v.transfers.fileName(e.transfer_id);
    const from = e.resume_from === undefined ? "" : ` from ${formatBytes(e.resume_from)} on (resumed)`;
    v.info(e.direction === "out" ? `the peer accepted ${name}, sending${from}…` : `receiving ${name}${from}…`);
  },
  file_rejected: (e, v) => {
    const name = v.transfers.fileName(e.transfer_id);
    v.transfers.end(e.transfer_id);
    if (e.direction === "out") v.warn(`the peer rejected ${name}${e.reason ? `: ${sanitizeInline(e.reason)}` : ""}`);
    else v.info(`rejected ${name}`);
  },
  file_progress: (e, v) => {
    const t = v.transfers.transfers.get(e.transfer_id);
    if (!t) return;
    Object.assign(t, { status: "active", bytes: e.bytes, total: e.total, rate: e.rate, eta: e.eta });
    if (v.interactive) return; // the status area shows it
    // Plain output: a progress line at most once a second, and the last one.
    const pct = percent(e.bytes, e.total);
    const last = v.transfers.plainProgress.get(e.transfer_id);
    const now = Date.now();
    if (!last || (pct === 100 && last.pct !== 100) || (now - last.at >= 1000 && pct > last.pct)) {
      v.transfers.plainProgress.set(e.transfer_id, { at: now, pct });
      v.print([v.p.dim("  ") + formatTransfer(t)]);
    }
  },
  file_sent: (e, v) => {
    const t = v.transfers.transfers.get(e.transfer_id);
    if (t) t.status = "sent";
    v.info(`${v.transfers.fileName(e.transfer_id)} sent; waiting for the peer to check it…`);
  },
  file_complete: (e, v) => {
    v.info(v.p.green(`the peer received ${v.transfers.fileName(e.transfer_id)} intact`));
    v.transfers.end(e.transfer_id);
  },
  file_received: (e, v) => {
    const name = v.transfers.fileName(e.transfer_id);
    v.transfers.end(e.transfer_id);
    if (e.hash_ok) v.info(v.p.green(`received ${name} (${formatBytes(e.size)}, hash verified) -> ${sanitizeInline(e.path)}`));
    else v.warn(`received ${name} -> ${sanitizeInline(e.path)}, but its hash does NOT match`);
  },
  file_receive_failed: (e, v) => {
    v.warn(`receiving ${v.transfers.fileName(e.transfer_id)} failed: ${sanitizeInline(e.error)}`);
    v.transfers.end(e.transfer_id);
  },
  file_send_failed: (e, v) => {
    v.warn(`sending ${v.transfers.fileName(e.transfer_id)} failed: ${sanitizeInline(e.error)}`);
    v.transfers.end(e.transfer_id);
  },
  // Never resumed to an unverified peer by itself (docs/PROTOCOL-EXTENSIONS.md §5): the user decides.
  file_resumable: (e, v) => v.askResume(e.transfer_id, `"${sanitizeName(e.filename, 120)}" (${formatBytes(e.file_size)})`),
  file_expired: (e, v) => {
    v.warn(`${v.transfers.fileName(e.transfer_id)}: ${sanitizeInline(e.text)}`);
    v.transfers.end(e.transfer_id);
  },
};

/** Whole seconds, rounded up, for "reconnecting in N s". */
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

const reconnect: { [K in "reconnecting" | "reconnect_failed" | "message_pending" | "messages_held" | "message_not_sent"]: View<K> } = {
  reconnecting: (e, v) =>
    v.warn(`reconnecting in ${seconds(e.delay_ms)} s (attempt ${e.attempt} of ${e.max_attempts}): ${sanitizeInline(e.reason)} — /cancel to stop and leave`),
  reconnect_failed: (e, v) => {
    if (v.leaving()) return;
    if (e.canceled) v.end(0, [v.p.dim("* reconnect canceled")]);
    else v.end(1, [v.p.yellow(`! gave up reconnecting after ${e.attempts} attempt(s): ${sanitizeInline(e.reason)}`)]);
  },
  message_pending: (e, v) => {
    v.pending.add(e.message_id);
    v.info("a message you wrote had not left yet: it is held and will be sent in the next session");
  },
  messages_held: (e, v) =>
    v.warn(`${e.count} message(s) you wrote while disconnected wait until you verify this new session (/verify): it may be someone else`),
  message_not_sent: (e, v) => {
    v.pending.delete(e.message_id);
    v.warn(`a message you wrote was not sent: ${sanitizeInline(e.reason)}`);
  },
};

type EndEvent = "rekey_started" | "rekey_done" | "rekey_prompt" | "voice_call_rejected" | "emergency_close" | "reset" | "server_full" | "server_disconnect" | "server_error" | "disconnected" | "error";

const connection: { [K in EndEvent]: View<K> } = {
  rekey_started: (e, v) => v.info(`replacing the session keys (${e.role})…`),
  rekey_done: (_e, v) => v.info("new session keys in use"),
  rekey_prompt: (_e, v) => v.askRekey(),
  voice_call_rejected: (e, v) => v.info(`the peer tried a voice call; not supported here, declined (${sanitizeInline(e.reason)})`),
  emergency_close: (_e, v) => v.alarm("THE PEER SENT AN EMERGENCY CLOSE: the session is wiped"),
  reset: (e, v) => {
    v.dropQuestions();
    v.transfers.endAll();
    v.warn(`the peer left (${sanitizeInline(e.reason)}); the session is wiped, waiting for a new peer…`);
  },
  server_full: (_e, v) => v.warn("the server is full (two people are already chatting there)"),
  server_disconnect: (e, v) => v.warn(`the server closed the connection: ${sanitizeInline(e.reason)}`),
  server_error: (e, v) => v.warn(`server error: ${sanitizeInline(e.error)}`),
  error: (e, v) => {
    // Coalesced by the core: one line stands for `count` occurrences.
    if (DROP_KINDS.has(e.kind)) {
      const words = errorKindWords(e.kind);
      v.print([v.p.dim(e.count > 1 ? `! dropped ${e.count} frames: ${words}` : `! dropped a frame: ${words}`)]);
    } else {
      v.print([v.p.dim(`! ${sanitizeInline(e.text)}${e.count > 1 ? ` (${e.count} times)` : ""}`)]);
    }
  },
  disconnected: (e, v) => {
    if (v.leaving()) return;
    if (e.reconnect === true) {
      // Not the end: a reconnect follows (`reconnecting`). The session's questions and transfers are over.
      v.dropQuestions();
      v.transfers.endAll();
      v.warn(`connection lost: ${sanitizeInline(e.reason)}`);
      return;
    }
    const clean = v.panicked() || e.emergency === true;
    v.end(clean ? 0 : 1, [v.p.dim(`* disconnected${e.reason ? `: ${sanitizeInline(e.reason)}` : ""}`)]);
  },
};

/** Client event -> how the terminal shows it. */
export const EVENT_VIEWS: { readonly [K in ClientEventName]: View<K> } = { ...session, ...chat, ...files, ...connection, ...reconnect };
