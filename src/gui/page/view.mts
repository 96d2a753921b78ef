// What the page shows, computed from the model without the DOM: the words,
// states and flags render.mts puts into the elements. Pure, so the wording
// rules (what a peer's claim may say, when the verify banner stays) are
// tested in Node.
import { groupHex } from "../../present/display-text.js";
import { clean } from "./format.mjs";
import type { PageModel } from "./model.mjs";
import type { PageState, Theme } from "./wire.mjs";

export const PHASE_TEXT: Record<PageState["phase"], string> = {
  disconnected: "Not connected",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  waiting_for_peer: "Waiting for your peer…",
  key_exchange: "Exchanging keys…",
  secure: "End-to-end encrypted",
  closing: "Closing…",
};

export const THEME_NAMES: Record<Theme, string> = { auto: "follow the system", light: "light", dark: "dark", contrast: "high contrast" };
export const THEME_ORDER: Theme[] = ["auto", "light", "dark", "contrast"];

export function nextTheme(cur: Theme): Theme {
  return THEME_ORDER[(THEME_ORDER.indexOf(cur) + 1) % THEME_ORDER.length]!;
}

export function peerNick(m: PageModel): string {
  return m.session.peer_nickname ? clean(m.session.peer_nickname, 64) : "Peer";
}

export type VerifyState = "verified" | "mismatch" | "unverified";

export function verifyState(m: PageModel): VerifyState {
  const v = m.session.verified;
  return v === true ? "verified" : v === false ? "mismatch" : "unverified";
}

/** The header: connection status, the peer, the verification pill and which buttons show. */
export function headerView(m: PageModel) {
  const s = m.session;
  const secure = s.phase === "secure";
  const online = s.phase !== "disconnected";
  const inChat = m.view === "chat";
  const vs = verifyState(m);
  const pill = vs === "verified" ? "Verified" : vs === "mismatch" ? "Not trusted" : "Not verified";
  const nick = peerNick(m);
  return {
    phase: s.phase,
    status: s.phase === "waiting_for_peer" && s.room ? `Waiting for your peer in room “${clean(s.room, 40)}”…` : PHASE_TEXT[s.phase],
    peerShown: secure,
    peerName: nick,
    avatar: [...nick][0]?.toUpperCase() ?? "P",
    waiting: s.phase === "disconnected" ? "Not connected" : "No peer yet",
    verify: vs,
    pill,
    pillLabel: `${pill}: open the fingerprint check`,
    // KEY_VERIFICATION travels in plaintext (WIRE-NOTES §10) and can be forged by a relay: the
    // peer's answer is a claim, worded as one; the pill above reflects only the user's own comparison.
    peerVerdict: s.peer_verified === true ? "Peer says they verified you (not proof)" : s.peer_verified === false ? "Peer says the words differ!" : "",
    peerVerdictBad: s.peer_verified === false,
    showVerify: secure,
    showRekey: secure,
    showDisconnect: online && inChat,
    showEmergency: online,
    showEphemeral: inChat,
  };
}

/** The banner under the header: it stays until the local user has said the words match. */
export function bannerView(m: PageModel) {
  const s = m.session;
  const mismatch = s.verified === false;
  return {
    shown: s.phase === "secure" && s.verified !== true,
    bad: mismatch,
    strong: mismatch ? "You said the words do not match." : "Not verified.",
    rest: mismatch ? " Someone may be reading this chat. Do not send anything sensitive; compare again or leave." : " Compare the eight words with your peer before you trust this chat.",
    button: mismatch ? "Compare again" : "Compare words",
  };
}

export function composerView(m: PageModel) {
  const phase = m.session.phase;
  const secure = phase === "secure";
  // While the session is interrupted, messages are held by the core and sent when it is back.
  const held = !secure && m.interrupted;
  return {
    enabled: secure || held,
    placeholder: secure
      ? "Write a message…  (Enter sends, Shift+Enter for a new line)"
      : held
        ? "Messages you write now are sent when the session is back…"
        : phase === "disconnected"
          ? "Not connected"
          : "Waiting for the secure session…",
  };
}

/** The automatic reconnect banner at time `now` (ms since the epoch): "Reconnecting in N s (attempt k of M)". */
export function reconnectView(m: PageModel, now: number): { shown: boolean; text: string } {
  const r = m.session.reconnect;
  if (r === null || m.view !== "chat") return { shown: false, text: "" };
  const of = `(attempt ${r.attempt} of ${r.max_attempts})`;
  if (r.next_at === null || r.next_at <= now) return { shown: true, text: `Connection lost. Reconnecting… ${of}` };
  const secs = Math.max(1, Math.ceil((r.next_at - now) / 1000));
  return { shown: true, text: `Connection lost. Reconnecting in ${secs} s ${of}` };
}

/** The disappearing-messages control and banner. */
export function ephemeralView(m: PageModel) {
  const mode = m.session.ephemeral_mode;
  const peerOwns = mode === "GLOBAL" && m.ephemeralOwner === "peer";
  const secs = Math.round(m.ephemeralMs / 1000);
  const banner =
    mode === "LOCAL"
      ? `Disappearing messages are on in this window: each message vanishes ${secs} s after it appears. Your peer keeps theirs.`
      : mode === "GLOBAL"
        ? `Disappearing messages are on for both of you (turned on by ${m.ephemeralOwner === "peer" ? "your peer, only they can turn it off" : "you"}): each message vanishes ${secs} s after it appears.`
        : "";
  return {
    mode,
    locked: peerOwns,
    title: peerOwns ? "Your peer turned on disappearing messages for both of you; only they can turn it off." : "Disappearing messages: they vanish 30 seconds after they appear",
    globalDisabled: m.session.phase !== "secure" && mode !== "GLOBAL",
    bannerShown: mode !== "OFF",
    banner,
  };
}

/** The fingerprint dialog: the words in two lines of four, the full hash, both sides' answers. */
export function verifyDialogView(m: PageModel) {
  const s = m.session;
  const words = (s.words ?? []).map((w) => clean(w, 40));
  const hex = s.fingerprint_sha256;
  return {
    line1: words.slice(0, 4),
    line2: words.slice(4, 8),
    hex: hex ? groupHex(clean(hex, 64)) : null,
    own: s.verified === true ? "You confirmed that the words match." : s.verified === false ? "You said the words do not match." : "You have not answered yet.",
    ownClass: s.verified === true ? "good" : s.verified === false ? "bad" : "",
    peer:
      s.peer_verified === true
        ? "Your peer's app says they verified you. This is not proof: the message is not authenticated and anyone relaying the chat could fake it. Only your own comparison protects you."
        : s.peer_verified === false
          ? "Your peer's app says the words do NOT match for them. Compare again, carefully."
          : "",
    peerBad: s.peer_verified === false,
    canAnswer: s.phase === "secure",
  };
}

/** The words the verify dialog shows: the answer is bound to them (the bridge refuses it once they are stale). */
export function shownFingerprint(m: PageModel): string | null {
  return m.session.words ? m.session.words.join(" ") : null;
}

export function offerNote(m: PageModel): string {
  return m.session.verified === true ? `From ${peerNick(m)}. It will be saved in your downloads folder.` : "Careful: you have not verified this peer yet. It will be saved in your downloads folder.";
}

export function aboutText(m: PageModel): string {
  return m.about ? `pqchat ${m.about.version} · Secure Chat Protocol ${m.about.protocol} · received files go to ${m.session.download_dir}` : "";
}

/** The first waiting offer that is still an offer (the dialog shows it). */
export function nextOffer(m: PageModel): string | null {
  return m.offers.find((id) => m.files.get(id)?.status === "offered") ?? null;
}

/** Whether a step changed anything the page's fixed parts draw (log lines and panel entries draw themselves). */
export function needsRender(a: PageModel, b: PageModel): boolean {
  if (a.view !== b.view || a.ephemeralOwner !== b.ephemeralOwner || a.ephemeralMs !== b.ephemeralMs || a.config !== b.config) return true;
  if (a.about !== b.about || a.offline !== b.offline || a.helloSeen !== b.helloSeen || a.interrupted !== b.interrupted) return true;
  const ca = a.connect;
  const cb = b.connect;
  if (ca.busy !== cb.busy || ca.error !== cb.error || ca.notice !== cb.notice) return true;
  const sa = a.session;
  const sb = b.session;
  for (const k of Object.keys(sb) as (keyof PageState)[]) if (sa[k] !== sb[k]) return true;
  return false;
}
