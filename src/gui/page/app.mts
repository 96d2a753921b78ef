// The pqchat page: a view over the client core that runs in the `pqchat gui`
// process. It holds no keys and talks only to that process, over one
// WebSocket (commands with ids and replies; the core's events) plus HTTP PUT
// for the files the user sends. Everything the peer controls is inserted as
// text, never as markup.
import { askNotificationPermission, chime, inBackground, notify, primeAudio } from "./alerts.mjs";
import { CallUi } from "./call.mjs";
import { closeDialog, openDialog, setupDialog } from "./dialogs.mjs";
import { groupHex } from "./display-text.mjs";
import { $, $as, clean, el, fmtSize } from "./dom.mjs";
import { ChatLog } from "./log.mjs";
import { TransferPanel } from "./transfers.mjs";
import type { Command, EphemeralOwner, GuiConfig, GuiSettings, Hello, HistoryEvent, PageState, ServerMessage, Theme } from "./wire.mjs";

// ------------------------------------------------------------------ elements

const ui = {
  status: $("status"),
  statusText: $("status-text"),
  peer: $("peer"),
  peerName: $("peer-name"),
  peerAvatar: $("peer-avatar"),
  peerWaiting: $("peer-waiting"),
  verifyPill: $as("verify-pill", HTMLButtonElement),
  peerVerdict: $("peer-verdict"),
  ephemeralWrap: $("ephemeral-wrap"),
  ephemeral: $as("ephemeral", HTMLSelectElement),
  btnVerify: $as("btn-verify", HTMLButtonElement),
  btnRekey: $as("btn-rekey", HTMLButtonElement),
  btnTheme: $as("btn-theme", HTMLButtonElement),
  btnSettings: $as("btn-settings", HTMLButtonElement),
  btnDisconnect: $as("btn-disconnect", HTMLButtonElement),
  btnEmergency: $as("btn-emergency", HTMLButtonElement),
  connectView: $("connect-view"),
  connectForm: $as("connect-form", HTMLFormElement),
  connectNotice: $("connect-notice"),
  connectError: $("connect-error"),
  fHost: $as("f-host", HTMLInputElement),
  fPort: $as("f-port", HTMLInputElement),
  fRoom: $as("f-room", HTMLInputElement),
  fNick: $as("f-nick", HTMLInputElement),
  btnConnect: $as("btn-connect", HTMLButtonElement),
  chatView: $("chat-view"),
  verifyBanner: $("verify-banner"),
  verifyBannerText: $("verify-banner-text"),
  bannerVerify: $as("banner-verify", HTMLButtonElement),
  ephemeralBanner: $("ephemeral-banner"),
  ephemeralText: $("ephemeral-text"),
  log: $as("log", HTMLOListElement),
  composer: $as("composer", HTMLFormElement),
  input: $as("input", HTMLTextAreaElement),
  btnSend: $as("btn-send", HTMLButtonElement),
  btnAttach: $as("btn-attach", HTMLButtonElement),
  fileInput: $as("file-input", HTMLInputElement),
  transfers: $as("transfers", HTMLUListElement),
  transfersEmpty: $("transfers-empty"),
  btnDownloads: $as("btn-downloads", HTMLButtonElement),
  dropOverlay: $("drop-overlay"),
  toasts: $("toasts"),
  offline: $("offline"),
  dlgVerify: $as("dlg-verify", HTMLDialogElement),
  words1: $("words-1"),
  words2: $("words-2"),
  verifyOwn: $("verify-own"),
  verifyPeer: $("verify-peer"),
  verifyFull: $as("verify-full", HTMLDetailsElement),
  verifyHex: $("verify-hex"),
  btnMatch: $as("btn-match", HTMLButtonElement),
  btnNoMatch: $as("btn-nomatch", HTMLButtonElement),
  dlgOffer: $as("dlg-offer", HTMLDialogElement),
  offerName: $("offer-name"),
  offerSize: $("offer-size"),
  offerNote: $("offer-note"),
  btnOfferAccept: $as("btn-offer-accept", HTMLButtonElement),
  btnOfferReject: $as("btn-offer-reject", HTMLButtonElement),
  dlgRekey: $as("dlg-rekey", HTMLDialogElement),
  btnRekeyYes: $as("btn-rekey-yes", HTMLButtonElement),
  btnRekeyNo: $as("btn-rekey-no", HTMLButtonElement),
  dlgSettings: $as("dlg-settings", HTMLDialogElement),
  sNick: $as("s-nick", HTMLInputElement),
  sNickSave: $as("s-nick-save", HTMLButtonElement),
  sDummy: $as("s-dummy", HTMLInputElement),
  sReceipts: $as("s-receipts", HTMLInputElement),
  sNickChange: $as("s-nickchange", HTMLInputElement),
  sFiles: $as("s-files", HTMLSelectElement),
  sNotify: $as("s-notify", HTMLInputElement),
  sSound: $as("s-sound", HTMLInputElement),
  sTheme: $as("s-theme", HTMLSelectElement),
  sAbout: $("s-about"),
};

// ------------------------------------------------------------------ state

let st: PageState = {
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
};
let cfg: GuiConfig | null = null;
let ephemeralOwner: EphemeralOwner = null;
let view: "connect" | "chat" = "connect";
let offers: string[] = [];
let selfEmergency = false;
let unread = 0;
let firstHello = true;
/** True while a (re)loaded page redraws the session's log from the bridge's history. */
let replaying = false;
/** The replayed event's time (ms since the epoch) while replaying. */
let replayAt = 0;

const log = new ChatLog(ui.log);
const transfers = new TransferPanel(ui.transfers, ui.transfersEmpty, {
  accept: (id) => void answerOffer(id, true),
  reject: (id) => void answerOffer(id, false),
});

/** Binary messages waiting in the WebSocket beyond this are not sent (audio is dropped, never delayed). */
const AUDIO_BACKLOG = 64 * 1024;

const calls = new CallUi({
  cmd: (c) => cmd(c),
  sendBinary: (buf) => {
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > AUDIO_BACKLOG) return false;
    ws.send(buf);
    return true;
  },
  toast: (text, error) => toast(text, error),
  sys: (text, tone) => sys(text, tone),
  peerName: () => peerNick(),
  secure: () => st.phase === "secure",
  alert: (body) => alertUser("message", body),
});

// ------------------------------------------------------------------ the WebSocket

let ws: WebSocket | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function connectSocket(): void {
  const url = new URL("ws", location.href);
  url.protocol = "ws:";
  url.hash = "";
  url.search = "";
  const sock = new WebSocket(url.href);
  sock.binaryType = "arraybuffer";
  ws = sock;
  sock.addEventListener("message", (ev) => {
    if (ev.data instanceof ArrayBuffer) return calls.onBinary(ev.data);
    if (typeof ev.data !== "string") return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(ev.data) as ServerMessage;
    } catch {
      return;
    }
    onServerMessage(msg);
  });
  sock.addEventListener("close", () => {
    ws = null;
    for (const p of pending.values()) p.reject(new Error("Lost contact with pqchat."));
    pending.clear();
    document.documentElement.removeAttribute("data-ready");
    calls.reset();
    ui.offline.hidden = false;
  });
}

/** Sends a command; resolves with its result, rejects with the bridge's plain-words error. */
function cmd(c: Command): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return reject(new Error("Lost contact with pqchat."));
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ ...c, id }));
  });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function onServerMessage(msg: ServerMessage): void {
  switch (msg.t) {
    case "hello":
      return onHello(msg);
    case "config":
      cfg = msg.config;
      applyConfig();
      return;
    case "reply": {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error ?? "The command failed."));
      return;
    }
    case "event":
      try {
        onEvent(msg.name, msg.data);
      } catch (err) {
        console.error(err);
      }
      return;
  }
}

function onHello(h: Hello): void {
  st = h.state;
  cfg = h.config;
  ephemeralOwner = h.ephemeral_owner;
  ephemeralMsValue = h.ephemeral_ms;
  log.setEphemeralMs(h.ephemeral_ms);
  ui.sAbout.textContent = `pqchat ${h.version} · Secure Chat Protocol ${h.protocol_version} · received files go to ${h.state.download_dir}`;
  ui.btnDownloads.title = h.state.download_dir;
  applyConfig();
  if (firstHello) {
    fillConnectForm();
    firstHello = false;
  }
  if (st.phase === "disconnected") showConnect(null);
  else {
    showChat();
    replay(h.history);
    for (const t of st.transfers) {
      transfers.upsert(t.transfer_id, t.direction, t.filename, t.file_size, t.total);
      transfers.setStatus(t.transfer_id, t.status, statusWords(t.direction, t.status));
      if (t.status === "offered" && t.direction === "in") queueOffer(t.transfer_id);
    }
  }
  if (h.rekey_prompt) openDialog(ui.dlgRekey);
  calls.onHello(h.state.call);
  render();
  ui.offline.hidden = true;
  document.documentElement.setAttribute("data-ready", "1");
}

/**
 * A page loaded (or reloaded) mid-session draws the conversation again from
 * the bridge's history: the same handlers, at the original times, with no
 * alerts or dialogs; the state stays the one the hello just gave.
 */
function replay(events: HistoryEvent[]): void {
  log.clear();
  const state = structuredClone(st);
  const owner = ephemeralOwner;
  replaying = true;
  try {
    for (const e of events) {
      log.setClock(e.at);
      replayAt = e.at;
      if (e.name === "own_message") {
        const li = log.addOwn(myNick(), typeof e.data["text"] === "string" ? e.data["text"] : "", false);
        if (typeof e.data["message_id"] === "string") log.bindOwn(li, e.data["message_id"]);
      } else {
        try {
          onEvent(e.name, e.data);
        } catch (err) {
          console.error(err);
        }
      }
    }
  } finally {
    log.setClock(null);
    replaying = false;
    st = state;
    ephemeralOwner = owner;
  }
}

function statusWords(dir: "in" | "out", s: string): string {
  switch (s) {
    case "offered":
      return dir === "in" ? "Waiting for your answer" : "Waiting for your peer to accept";
    case "accepted":
      return "Accepted";
    case "transferring":
      return dir === "in" ? "Receiving…" : "Sending…";
    case "verifying":
      return "Checking…";
    case "done":
      return dir === "in" ? "Received" : "Delivered";
    case "rejected":
      return "Rejected";
    default:
      return "Failed";
  }
}

// ------------------------------------------------------------------ config and theme

function applyConfig(): void {
  if (!cfg) return;
  const s = cfg.settings;
  document.documentElement.setAttribute("data-theme", s.theme);
  ui.btnTheme.setAttribute("aria-label", `Theme: ${THEME_NAMES[s.theme]} (change)`);
  ui.btnTheme.title = `Theme: ${THEME_NAMES[s.theme]}`;
  ui.sDummy.checked = s.dummy_traffic;
  ui.sReceipts.checked = s.delivery_receipts;
  ui.sNickChange.checked = s.allow_nickname_change;
  ui.sFiles.value = s.accept_files;
  ui.sNotify.checked = s.notifications;
  ui.sSound.checked = s.sound;
  ui.sTheme.value = s.theme;
  if (document.activeElement !== ui.sNick) ui.sNick.value = cfg.nickname;
}

const THEME_NAMES: Record<Theme, string> = { auto: "follow the system", light: "light", dark: "dark", contrast: "high contrast" };
const THEME_ORDER: Theme[] = ["auto", "light", "dark", "contrast"];

function fillConnectForm(): void {
  if (!cfg) return;
  ui.fHost.value = cfg.host;
  ui.fPort.value = String(cfg.port);
  ui.fRoom.value = cfg.room;
  ui.fNick.value = cfg.nickname;
}

async function changeSetting(s: Partial<GuiSettings>): Promise<void> {
  try {
    await cmd({ cmd: "settings", settings: s });
  } catch (err) {
    toast(errText(err), true);
    applyConfig();
  }
}

// ------------------------------------------------------------------ rendering

const PHASE_TEXT: Record<PageState["phase"], string> = {
  disconnected: "Not connected",
  connecting: "Connecting…",
  waiting_for_peer: "Waiting for your peer…",
  key_exchange: "Exchanging keys…",
  secure: "End-to-end encrypted",
  closing: "Closing…",
};

function myNick(): string {
  return st.nickname || cfg?.nickname || "You";
}

function peerNick(): string {
  return st.peer_nickname ? clean(st.peer_nickname, 64) : "Peer";
}

function render(): void {
  const secure = st.phase === "secure";
  const online = st.phase !== "disconnected";
  ui.status.setAttribute("data-phase", st.phase);
  let text = PHASE_TEXT[st.phase];
  if (st.phase === "waiting_for_peer" && st.room) text = `Waiting for your peer in room “${clean(st.room, 40)}”…`;
  ui.statusText.textContent = text;
  ui.peer.hidden = !secure;
  ui.peerName.textContent = peerNick();
  ui.peerAvatar.textContent = [...peerNick()][0]?.toUpperCase() ?? "P";
  ui.peerWaiting.hidden = secure;
  ui.peerWaiting.textContent = st.phase === "disconnected" ? "Not connected" : "No peer yet";
  const vs = st.verified === true ? "verified" : st.verified === false ? "mismatch" : "unverified";
  ui.verifyPill.setAttribute("data-state", vs);
  ui.verifyPill.textContent = vs === "verified" ? "Verified" : vs === "mismatch" ? "Not trusted" : "Not verified";
  ui.verifyPill.setAttribute("aria-label", `${ui.verifyPill.textContent}: open the fingerprint check`);
  // KEY_VERIFICATION travels in plaintext (WIRE-NOTES §10) and can be forged by a relay: the
  // peer's answer is a claim, worded as one; the pill above reflects only the user's own comparison.
  ui.peerVerdict.textContent = st.peer_verified === true ? "Peer says they verified you (not proof)" : st.peer_verified === false ? "Peer says the words differ!" : "";
  ui.peerVerdict.className = st.peer_verified === false ? "peer-verdict bad" : "peer-verdict";

  const inChat = view === "chat";
  ui.btnVerify.hidden = !secure;
  ui.btnRekey.hidden = !secure;
  ui.btnDisconnect.hidden = !online || !inChat;
  ui.btnEmergency.hidden = !online;
  ui.ephemeralWrap.hidden = !inChat;

  // The banner stays until the local user has said the words match.
  ui.verifyBanner.hidden = !(secure && st.verified !== true);
  ui.verifyBanner.className = st.verified === false ? "banner bad" : "banner warn";
  ui.verifyBannerText.replaceChildren(
    ...(st.verified === false
      ? [el("strong", null, "You said the words do not match."), " Someone may be reading this chat. Do not send anything sensitive; compare again or leave."]
      : [el("strong", null, "Not verified."), " Compare the eight words with your peer before you trust this chat."]),
  );
  ui.bannerVerify.textContent = st.verified === false ? "Compare again" : "Compare words";

  ui.input.disabled = !secure;
  ui.btnSend.disabled = !secure;
  ui.btnAttach.disabled = !secure;
  ui.input.placeholder = secure ? "Write a message…  (Enter sends, Shift+Enter for a new line)" : st.phase === "disconnected" ? "Not connected" : "Waiting for the secure session…";

  renderEphemeral();
  renderVerifyDialog();
  calls.render();
}

function renderEphemeral(): void {
  const m = st.ephemeral_mode;
  ui.ephemeral.value = m;
  const peerOwns = m === "GLOBAL" && ephemeralOwner === "peer";
  ui.ephemeral.disabled = peerOwns;
  ui.ephemeral.title = peerOwns ? "Your peer turned on disappearing messages for both of you; only they can turn it off." : "Disappearing messages: they vanish 30 seconds after they appear";
  const globalOpt = ui.ephemeral.querySelector<HTMLOptionElement>('option[value="GLOBAL"]');
  if (globalOpt) globalOpt.disabled = st.phase !== "secure" && m !== "GLOBAL";
  ui.ephemeralBanner.hidden = m === "OFF";
  const secs = Math.round(ephemeralSeconds());
  ui.ephemeralText.textContent =
    m === "LOCAL"
      ? `Disappearing messages are on in this window: each message vanishes ${secs} s after it appears. Your peer keeps theirs.`
      : m === "GLOBAL"
        ? `Disappearing messages are on for both of you (turned on by ${ephemeralOwner === "peer" ? "your peer, only they can turn it off" : "you"}): each message vanishes ${secs} s after it appears.`
        : "";
}

let ephemeralMsValue = 30_000;
function ephemeralSeconds(): number {
  return ephemeralMsValue / 1000;
}

/** The words the verify dialog shows: the answer is bound to them (the bridge refuses it once they are stale). */
let shownFingerprint: string | null = null;

function renderVerifyDialog(): void {
  const w = st.words ?? [];
  const line = (ws: string[]): Node[] => ws.map((x) => el("span", null, clean(x, 40)));
  ui.words1.replaceChildren(...line(w.slice(0, 4)));
  ui.words2.replaceChildren(...line(w.slice(4, 8)));
  shownFingerprint = st.words ? st.words.join(" ") : null;
  const hex = st.fingerprint_sha256;
  ui.verifyFull.hidden = !hex;
  ui.verifyHex.replaceChildren(...(hex ? groupHex(clean(hex, 64)).map((l) => el("p", null, l)) : []));
  ui.verifyOwn.className = st.verified === true ? "good" : st.verified === false ? "bad" : "";
  ui.verifyOwn.textContent = st.verified === true ? "You confirmed that the words match." : st.verified === false ? "You said the words do not match." : "You have not answered yet.";
  ui.verifyPeer.className = st.peer_verified === false ? "peer-claim bad" : "peer-claim";
  ui.verifyPeer.textContent =
    st.peer_verified === true
      ? "Your peer's app says they verified you. This is not proof: the message is not authenticated and anyone relaying the chat could fake it. Only your own comparison protects you."
      : st.peer_verified === false
        ? "Your peer's app says the words do NOT match for them. Compare again, carefully."
        : "";
  ui.btnMatch.disabled = st.phase !== "secure";
  ui.btnNoMatch.disabled = st.phase !== "secure";
}

function showChat(): void {
  view = "chat";
  ui.connectView.hidden = true;
  ui.chatView.hidden = false;
}

/** Back to the connect form; the chat and the files list are cleared. */
function showConnect(notice: string | null, tone: "bad" | "info" = "bad"): void {
  view = "connect";
  log.clear();
  transfers.clear();
  offers = [];
  for (const d of [ui.dlgVerify, ui.dlgOffer, ui.dlgRekey]) closeDialog(d);
  ui.input.value = "";
  autosize();
  ui.chatView.hidden = true;
  ui.connectView.hidden = false;
  ui.connectNotice.hidden = notice === null;
  ui.connectNotice.className = tone === "bad" ? "notice" : "notice info";
  ui.connectNotice.textContent = notice ?? "";
  ui.connectError.hidden = true;
  ui.btnConnect.disabled = false;
  ui.btnConnect.textContent = "Connect";
  render();
}

// ------------------------------------------------------------------ toasts and alerts

function toast(text: string, error = false): void {
  const t = el("div", { class: error ? "toast error" : "toast", role: error ? "alert" : "status" }, text);
  ui.toasts.append(t);
  window.setTimeout(() => t.remove(), error ? 7000 : 4000);
}

function alertUser(kind: "message" | "offer", body: string): void {
  if (replaying || !inBackground() || !cfg) return;
  unread++;
  document.title = `(${unread}) pqchat`;
  if (cfg.settings.notifications) notify("pqchat", body);
  if (cfg.settings.sound) chime(kind);
}

window.addEventListener("focus", () => {
  unread = 0;
  document.title = "pqchat";
});

let lastError = "";
let lastErrorAt = 0;

// ------------------------------------------------------------------ core events

function sys(text: string | (string | Node)[], tone: "plain" | "good" | "bad" | "warn" = "plain", action?: { label: string; run: () => void }): void {
  log.addSystem(typeof text === "string" ? [text] : text, tone, action);
}

function name(s: string): HTMLElement {
  return el("span", { class: "name", dir: "auto" }, clean(s));
}

function onEvent(n: string, d: Record<string, unknown>): void {
  if (calls.onEvent(n, d)) return;
  const s = (k: string): string => (typeof d[k] === "string" ? (d[k] as string) : "");
  const num = (k: string): number => (typeof d[k] === "number" ? (d[k] as number) : 0);
  const id = s("transfer_id");
  const dir = d["direction"] === "in" ? "in" : "out";
  switch (n) {
    case "connected":
      st.phase = "waiting_for_peer";
      st.host = s("host");
      st.port = num("port");
      st.room = typeof d["room"] === "string" ? (d["room"] as string) : null;
      showChat();
      sys(`Connected to ${clean(st.host, 80)}:${st.port}${st.room ? ` (room “${clean(st.room, 40)}”)` : ""}.`);
      break;
    case "peer_version":
      // SPEC §4.2.1: minor → a notice, patch → silent; breaking also arrives as a version_mismatch error.
      if (d["compatibility"] === "minor") sys(`Your peer speaks protocol ${clean(s("version"), 32)} (this client: ${clean(s("local_version"), 32)}).`, "warn");
      else if (d["compatibility"] === "missing") sys(`Your peer did not say which protocol version it speaks (this client: ${clean(s("local_version"), 32)}).`, "warn");
      break;
    case "server_version":
      if (d["match"] !== true) sys(`The server speaks protocol ${clean(s("version"), 32)} (this client: ${clean(s("local_version"), 32)}).`, d["compatibility"] === "breaking" ? "bad" : "warn");
      break;
    case "waiting_for_peer":
      st.phase = "waiting_for_peer";
      sys("Waiting for your peer to join…");
      break;
    case "key_exchange_started":
      st.phase = "key_exchange";
      sys("Your peer is here. Agreeing on keys (ML-KEM-1024 + X25519)…");
      break;
    case "key_exchange_complete":
      st.phase = "secure";
      st.words = Array.isArray(d["words"]) ? (d["words"] as unknown[]).filter((w): w is string => typeof w === "string") : null;
      st.fingerprint_sha256 = typeof d["fingerprint_sha256"] === "string" ? (d["fingerprint_sha256"] as string) : null;
      st.verified = null;
      st.peer_verified = null;
      sys("The session is end-to-end encrypted. Compare the eight words with your peer to make sure nobody is in the middle.", "plain", { label: "Compare words", run: () => openVerify() });
      if (replaying) break;
      render();
      openVerify();
      break;
    case "verified":
      st.verified = d["verified"] === true;
      sys(st.verified ? "You verified your peer: the words match." : "You said the words do not match. Treat this chat as untrusted.", st.verified ? "good" : "bad");
      break;
    case "peer_verified":
      st.peer_verified = d["verified"] === true;
      sys(
        st.peer_verified
          ? "Your peer says they verified you. That is their claim, not proof: only your own comparison of the words protects you."
          : "Your peer says the words do NOT match. Compare them again.",
        st.peer_verified ? "plain" : "bad",
      );
      break;
    case "message": {
      const nick = typeof d["nickname"] === "string" && d["nickname"] ? (d["nickname"] as string) : "Peer";
      log.addPeer(nick, s("text"), d["peer_key_verified"] !== true, st.ephemeral_mode !== "OFF" && !replaying);
      alertUser("message", `New message from ${clean(nick, 32)}`);
      return;
    }
    case "sent":
      log.setTick(s("message_id"), "sent");
      return;
    case "delivered":
      log.setTick(s("message_id"), "delivered");
      return;
    case "nickname":
      st.peer_nickname = s("nickname");
      sys(["Your peer is now called ", name(s("nickname")), "."]);
      break;
    case "nickname_ignored":
      // Before we verified, the peer's client sends its nickname again once we have: say nothing.
      if (st.verified === true) sys(["Your peer asked to be called ", name(s("requested")), ` (ignored: ${s("reason")})`], "plain");
      break;
    case "ephemeral_mode": {
      const mode = s("mode") as PageState["ephemeral_mode"];
      st.ephemeral_mode = mode;
      ephemeralOwner = mode === "GLOBAL" ? (d["by_peer"] === true ? "peer" : "self") : null;
      const who = d["by_peer"] === true ? "Your peer" : "You";
      sys(
        mode === "OFF" ? `${who} turned disappearing messages off.` : mode === "LOCAL" ? "Disappearing messages are on in this window." : `${who} turned on disappearing messages for both of you.`,
        mode === "OFF" ? "plain" : "warn",
      );
      break;
    }
    case "file_offer":
      transfers.upsert(id, "in", s("filename"), num("file_size"), num("processed_size"));
      transfers.setStatus(id, "offered", "Waiting for your answer");
      if (d["auto"] === null && d["peer_key_verified"] !== true && cfg?.settings.accept_files === "yes") {
        sys("This file was not accepted automatically: you have not verified your peer. Automatic acceptance is for verified peers only.", "warn");
      }
      queueOffer(id);
      alertUser("offer", "Your peer wants to send you a file");
      return;
    case "file_offered":
      transfers.upsert(id, "out", s("filename"), num("file_size"), num("processed_size"));
      transfers.setStatus(id, "offered", "Waiting for your peer to accept");
      return;
    case "file_accepted":
      transfers.setStatus(id, "accepted", dir === "in" ? "Accepted; waiting for data…" : "Accepted by your peer; sending…");
      dropOffer(id);
      return;
    case "file_rejected":
      transfers.setStatus(id, "rejected", dir === "in" ? "Rejected" : `Declined by your peer (${clean(s("reason"), 80)})`);
      dropOffer(id);
      return;
    case "file_progress":
      transfers.progress(id, num("bytes"), num("total"), num("rate"), typeof d["eta"] === "number" ? (d["eta"] as number) : null);
      return;
    case "file_sent":
      transfers.setStatus(id, "verifying", "Sent; waiting for your peer to confirm…");
      return;
    case "file_complete": {
      transfers.setStatus(id, "done", "Delivered ✓");
      const info = transfers.info(id);
      if (info) sys([name(info.name), ` (${fmtSize(info.size)}) was delivered.`], "good");
      return;
    }
    case "file_received": {
      const info = transfers.info(id);
      const ok = d["hash_ok"] === true;
      transfers.setStatus(id, ok ? "done" : "failed", ok ? "Received ✓ (hash verified)" : "Received, but the hash does not match");
      const fileName = info?.name ?? s("name");
      const preview = d["preview"] === true ? `files/${encodeURIComponent(id)}` : null;
      log.addFile(st.peer_nickname || "Peer", fileName, num("size"), preview, s("name"), st.ephemeral_mode !== "OFF" && !replaying);
      dropOffer(id);
      return;
    }
    case "file_receive_failed":
    case "file_send_failed":
      transfers.setStatus(id, "failed", `Failed: ${clean(s("error"), 160)}`);
      dropOffer(id);
      return;
    case "file_expired":
      transfers.setStatus(id, "failed", d["reason"] === "offer" ? "Expired: not answered in time" : "Stalled: canceled");
      sys(clean(s("text"), 200), "warn");
      dropOffer(id);
      return;
    case "rekey_started":
      sys(d["role"] === "initiator" ? "Agreeing on new keys…" : "Your peer asked for new keys; agreeing on them…");
      return;
    case "rekey_done":
      sys("New keys are in use.", "good");
      closeDialog(ui.dlgRekey);
      return;
    case "rekey_prompt":
      openDialog(ui.dlgRekey);
      alertUser("message", "Your peer asks for new keys");
      return;
    case "emergency_close":
      wipe();
      showConnect("Your peer sent an emergency close. The session was wiped and this window cleared.");
      return;
    case "reset":
      st.words = null;
      st.fingerprint_sha256 = null;
      st.verified = null;
      st.peer_verified = null;
      st.peer_nickname = null;
      st.ephemeral_mode = "OFF";
      ephemeralOwner = null;
      closeDialog(ui.dlgVerify);
      closeDialog(ui.dlgRekey);
      sys("Your peer left. The session keys were wiped.", "warn");
      break;
    case "server_full":
      sys("The server is full.", "bad");
      break;
    case "server_disconnect":
      sys(`The server ended the connection: ${clean(s("reason"), 160)}`, "bad");
      break;
    case "server_error":
      sys(`The server reported an error: ${clean(s("error"), 160)}`, "warn");
      break;
    case "disconnected": {
      st.phase = "disconnected";
      st.words = null;
      st.fingerprint_sha256 = null;
      st.verified = null;
      st.peer_verified = null;
      st.peer_nickname = null;
      st.ephemeral_mode = "OFF";
      ephemeralOwner = null;
      if (d["emergency"] === true || selfEmergency) {
        selfEmergency = false;
        if (view === "chat") showConnect("The session ended with an emergency close and was wiped.");
        break;
      }
      closeDialog(ui.dlgVerify);
      closeDialog(ui.dlgRekey);
      if (view === "chat") sys(`Disconnected: ${clean(s("reason"), 160)}`, "bad", { label: "New connection", run: () => showConnect(null) });
      break;
    }
    case "error": {
      // Coalesced by the core: one event stands for `count` occurrences.
      const count = typeof d["count"] === "number" && d["count"] > 1 ? d["count"] : 1;
      const text = clean(s("text"), 200) + (count > 1 ? ` (${count} times)` : "");
      const now = replaying ? replayAt : Date.now();
      if (text === lastError && now - lastErrorAt < 5000) return;
      lastError = text;
      lastErrorAt = now;
      if (view === "chat") sys(text, "warn");
      return;
    }
    default:
      return;
  }
  render();
}

// ------------------------------------------------------------------ verification

function openVerify(): void {
  renderVerifyDialog();
  openDialog(ui.dlgVerify, st.verified === null ? ui.btnMatch : undefined);
}

async function answerVerify(answer: boolean): Promise<void> {
  try {
    await cmd(shownFingerprint === null ? { cmd: "verify", answer } : { cmd: "verify", answer, fingerprint: shownFingerprint });
    closeDialog(ui.dlgVerify);
  } catch (err) {
    toast(errText(err), true);
  }
}

// ------------------------------------------------------------------ file offers

function queueOffer(id: string): void {
  if (!offers.includes(id)) offers.push(id);
  showNextOffer();
}

function dropOffer(id: string): void {
  const wasFirst = offers[0] === id;
  offers = offers.filter((x) => x !== id);
  if (wasFirst) {
    closeDialog(ui.dlgOffer);
    showNextOffer();
  }
}

function showNextOffer(): void {
  const id = offers[0];
  if (id === undefined || ui.dlgOffer.open || ui.dlgVerify.open) return;
  const info = transfers.info(id);
  if (!info || info.status !== "offered") {
    offers.shift();
    return showNextOffer();
  }
  ui.dlgOffer.setAttribute("data-id", id);
  ui.offerName.textContent = clean(info.name);
  ui.offerName.title = clean(info.name, 400);
  ui.offerSize.textContent = fmtSize(info.size);
  ui.offerNote.textContent =
    st.verified === true ? `From ${peerNick()}. It will be saved in your downloads folder.` : "Careful: you have not verified this peer yet. It will be saved in your downloads folder.";
  openDialog(ui.dlgOffer, ui.btnOfferAccept);
}

async function answerOffer(id: string, accept: boolean): Promise<void> {
  try {
    await cmd(accept ? { cmd: "accept", transfer_id: id } : { cmd: "reject", transfer_id: id });
    if (accept) transfers.setStatus(id, "accepted", "Accepting…");
  } catch (err) {
    toast(errText(err), true);
  }
  if (ui.dlgOffer.getAttribute("data-id") === id) closeDialog(ui.dlgOffer);
  offers = offers.filter((x) => x !== id);
  showNextOffer();
}

// ------------------------------------------------------------------ sending

async function sendMessage(): Promise<void> {
  const text = ui.input.value;
  if (text.trim() === "" || st.phase !== "secure") return;
  ui.input.value = "";
  autosize();
  const li = log.addOwn(myNick(), text, st.ephemeral_mode !== "OFF");
  try {
    const r = (await cmd({ cmd: "send", text })) as { message_id: string };
    log.bindOwn(li, r.message_id);
  } catch (err) {
    log.setTickOn(li, "failed");
    toast(errText(err), true);
  }
}

/** Browsers with CSS field-sizing grow the box themselves (no layout work per key). */
const nativeAutosize = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
let lastLength = 0;

function autosize(): void {
  if (nativeAutosize) return;
  const t = ui.input;
  // Only shrinking needs the "auto" reset (two layouts); growing reads one height.
  if (t.value.length < lastLength) t.style.height = "auto";
  lastLength = t.value.length;
  if (t.scrollHeight > t.clientHeight || t.style.height === "auto") t.style.height = `${Math.min(t.scrollHeight + 2, 180)}px`;
}

let uploadSeq = 0;

function pastedName(f: File): string {
  if (f.name && !/^image\.\w+$/i.test(f.name)) return f.name;
  const ext = ({ "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" } as Record<string, string>)[f.type] ?? "bin";
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, "0");
  return `pasted-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.${ext}`;
}

/** Streams the file to the bridge (HTTP PUT of the File: the browser reads it from disk as it goes). */
function sendFile(file: File, fileName = file.name): void {
  if (st.phase !== "secure") {
    toast("Files can be sent once the secure session is established.", true);
    return;
  }
  const key = `upload-${++uploadSeq}`;
  transfers.upsert(key, "out", fileName, file.size, file.size);
  transfers.setStatus(key, "uploading", "Reading…");
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", `upload?name=${encodeURIComponent(fileName)}`);
  xhr.upload.addEventListener("progress", (e) => transfers.uploading(key, e.loaded, e.lengthComputable ? e.total : file.size));
  xhr.upload.addEventListener("load", () => transfers.uploading(key, file.size, file.size));
  xhr.addEventListener("load", () => {
    transfers.remove(key);
    if (xhr.status === 200) return;
    let msg = "The file could not be sent.";
    try {
      const body = JSON.parse(xhr.responseText) as { error?: string };
      if (body.error) msg = body.error;
    } catch {
      /* keep the generic text */
    }
    toast(`${clean(fileName, 80)}: ${msg}`, true);
  });
  xhr.addEventListener("error", () => {
    transfers.remove(key);
    toast(`${clean(fileName, 80)}: the file could not be read.`, true);
  });
  xhr.send(file);
}

// ------------------------------------------------------------------ emergency close

function wipe(): void {
  log.clear();
  transfers.clear();
  offers = [];
  calls.reset();
  ui.input.value = "";
  st = { ...st, phase: "disconnected", words: null, fingerprint_sha256: null, verified: null, peer_verified: null, peer_nickname: null, ephemeral_mode: "OFF", transfers: [] };
  ephemeralOwner = null;
  for (const d of [ui.dlgVerify, ui.dlgOffer, ui.dlgRekey, ui.dlgSettings]) closeDialog(d);
}

function emergency(): void {
  if (st.phase === "disconnected" && view === "connect") return;
  selfEmergency = true;
  // Sent first: the bridge writes EMERGENCY_CLOSE as soon as it reads this.
  cmd({ cmd: "emergency_close" }).catch(() => undefined);
  wipe();
  showConnect("Emergency close sent. The session was wiped and this window cleared.");
}

// ------------------------------------------------------------------ wiring

function wire(): void {
  primeAudio();
  for (const d of [ui.dlgVerify, ui.dlgRekey, ui.dlgSettings]) setupDialog(d);
  setupDialog(ui.dlgOffer, () => {
    // Escape or "decide later": the offer stays in the files panel; show the next one.
    const id = ui.dlgOffer.getAttribute("data-id");
    if (id !== null && offers[0] === id) offers.push(offers.shift()!);
    if (offers.length > 1) window.setTimeout(showNextOffer, 0);
  });
  ui.dlgVerify.addEventListener("close", () => window.setTimeout(showNextOffer, 0));

  ui.connectForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void (async () => {
      const port = Number(ui.fPort.value.trim());
      ui.connectError.hidden = true;
      ui.connectNotice.hidden = true;
      ui.btnConnect.disabled = true;
      ui.btnConnect.textContent = "Connecting…";
      try {
        log.clear();
        transfers.clear();
        await cmd({ cmd: "connect", host: ui.fHost.value.trim(), port: Number.isInteger(port) ? port : -1, room: ui.fRoom.value.trim(), nickname: ui.fNick.value.trim() });
        if (ui.fNick.value.trim()) st.nickname = ui.fNick.value.trim();
        showChat();
        render();
        ui.input.focus();
      } catch (err) {
        ui.connectError.textContent = errText(err);
        ui.connectError.hidden = false;
      } finally {
        ui.btnConnect.disabled = false;
        ui.btnConnect.textContent = "Connect";
      }
    })();
  });

  ui.composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void sendMessage();
  });
  ui.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      void sendMessage();
    }
  });
  ui.input.addEventListener("input", autosize);

  ui.btnAttach.addEventListener("click", () => ui.fileInput.click());
  ui.fileInput.addEventListener("change", () => {
    for (const f of ui.fileInput.files ?? []) sendFile(f);
    ui.fileInput.value = "";
  });

  // Drag and drop onto the window.
  let dragDepth = 0;
  const hasFiles = (ev: DragEvent): boolean => !!ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
  window.addEventListener("dragenter", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth++;
    ui.dropOverlay.hidden = st.phase !== "secure";
  });
  window.addEventListener("dragover", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = st.phase === "secure" ? "copy" : "none";
  });
  window.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) ui.dropOverlay.hidden = true;
  });
  window.addEventListener("drop", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth = 0;
    ui.dropOverlay.hidden = true;
    for (const f of ev.dataTransfer?.files ?? []) sendFile(f);
  });

  // Pasting an image (or files) from the clipboard.
  document.addEventListener("paste", (ev) => {
    const files = [...(ev.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    for (const f of files) sendFile(f, pastedName(f));
  });

  // Ctrl+Q: emergency close, from anywhere in the page.
  window.addEventListener(
    "keydown",
    (ev) => {
      if (ev.ctrlKey && !ev.altKey && !ev.metaKey && (ev.key === "q" || ev.key === "Q")) {
        ev.preventDefault();
        emergency();
      }
    },
    { capture: true },
  );
  ui.btnEmergency.addEventListener("click", emergency);

  ui.btnVerify.addEventListener("click", openVerify);
  ui.verifyPill.addEventListener("click", openVerify);
  ui.bannerVerify.addEventListener("click", openVerify);
  ui.btnMatch.addEventListener("click", () => void answerVerify(true));
  ui.btnNoMatch.addEventListener("click", () => void answerVerify(false));

  ui.btnOfferAccept.addEventListener("click", () => {
    const id = ui.dlgOffer.getAttribute("data-id");
    if (id) void answerOffer(id, true);
  });
  ui.btnOfferReject.addEventListener("click", () => {
    const id = ui.dlgOffer.getAttribute("data-id");
    if (id) void answerOffer(id, false);
  });

  ui.btnRekeyYes.addEventListener("click", () => {
    closeDialog(ui.dlgRekey);
    cmd({ cmd: "rekey_answer", accept: true }).catch((err: unknown) => toast(errText(err), true));
  });
  ui.btnRekeyNo.addEventListener("click", () => {
    closeDialog(ui.dlgRekey);
    cmd({ cmd: "rekey_answer", accept: false }).catch((err: unknown) => toast(errText(err), true));
  });

  ui.btnRekey.addEventListener("click", () => {
    cmd({ cmd: "rekey" }).then(
      () => undefined,
      (err: unknown) => toast(errText(err), true),
    );
  });
  ui.btnDisconnect.addEventListener("click", () => {
    cmd({ cmd: "disconnect" }).catch((err: unknown) => toast(errText(err), true));
  });
  ui.btnDownloads.addEventListener("click", () => {
    cmd({ cmd: "open_downloads" }).then(
      () => toast("Opened the downloads folder."),
      (err: unknown) => toast(errText(err), true),
    );
  });

  ui.ephemeral.addEventListener("change", () => {
    const mode = ui.ephemeral.value as PageState["ephemeral_mode"];
    cmd({ cmd: "ephemeral", mode }).catch((err: unknown) => {
      toast(errText(err), true);
      renderEphemeral();
    });
  });

  ui.btnSettings.addEventListener("click", () => {
    applyConfig();
    openDialog(ui.dlgSettings);
  });
  ui.btnTheme.addEventListener("click", () => {
    const cur = cfg?.settings.theme ?? "auto";
    const next = THEME_ORDER[(THEME_ORDER.indexOf(cur) + 1) % THEME_ORDER.length]!;
    document.documentElement.setAttribute("data-theme", next);
    void changeSetting({ theme: next });
  });
  ui.sDummy.addEventListener("change", () => void changeSetting({ dummy_traffic: ui.sDummy.checked }));
  ui.sReceipts.addEventListener("change", () => void changeSetting({ delivery_receipts: ui.sReceipts.checked }));
  ui.sNickChange.addEventListener("change", () => void changeSetting({ allow_nickname_change: ui.sNickChange.checked }));
  ui.sFiles.addEventListener("change", () => void changeSetting({ accept_files: ui.sFiles.value as GuiSettings["accept_files"] }));
  ui.sSound.addEventListener("change", () => void changeSetting({ sound: ui.sSound.checked }));
  ui.sTheme.addEventListener("change", () => {
    document.documentElement.setAttribute("data-theme", ui.sTheme.value);
    void changeSetting({ theme: ui.sTheme.value as Theme });
  });
  ui.sNotify.addEventListener("change", () => {
    void (async () => {
      if (ui.sNotify.checked && !(await askNotificationPermission())) {
        ui.sNotify.checked = false;
        toast("The browser did not allow notifications for this page.", true);
        return;
      }
      await changeSetting({ notifications: ui.sNotify.checked });
    })();
  });
  const saveNick = (): void => {
    const nickname = ui.sNick.value.trim();
    if (nickname === "") return void toast("The nickname must not be empty.", true);
    cmd({ cmd: "nick", nickname }).then(
      () => {
        st.nickname = nickname;
        ui.fNick.value = nickname;
        toast(st.phase === "secure" ? "Nickname sent to your peer." : "Nickname saved.");
      },
      (err: unknown) => toast(errText(err), true),
    );
  };
  ui.sNickSave.addEventListener("click", saveNick);
  ui.sNick.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      saveNick();
    }
  });
  $as("settings-form", HTMLFormElement).addEventListener("submit", (ev) => ev.preventDefault());
}

wire();
connectSocket();
