// What the reducer's parts share: the draft a step works on (a copy of the
// model, so the model passed in is never changed) and the changes several
// events make (a system line, the peer gone, back to the connect form).
import type { Dialog, Effect, FileEntry, PageModel, SysAction, SysPart, Tone } from "./model.mjs";

/** One step in progress: the new model (copied from the old one) and the effects so far. */
export interface Draft {
  m: PageModel;
  fx: Effect[];
  /** When the event happened (a replayed event's original time). */
  now: number;
  /** A reloaded page is drawing the session's history: no alerts, dialogs or timers. */
  replay: boolean;
}

export function draft(m: PageModel, now: number, replay = false): Draft {
  return { m: { ...m, session: { ...m.session }, connect: { ...m.connect } }, fx: [], now, replay };
}

export function sys(d: Draft, parts: string | SysPart[], tone: Tone = "plain", action?: SysAction): void {
  const e: Effect = { k: "sys", parts: typeof parts === "string" ? [parts] : parts, tone };
  if (action) e.action = action;
  d.fx.push(e);
}

/** The name the local user goes by. */
export function myNick(m: PageModel): string {
  return m.session.nickname || m.config?.nickname || "You";
}

/** Messages appear with the disappearing style (and vanish) while ephemeral mode is on; never when replayed. */
export function ephemeralNow(d: Draft): boolean {
  return d.m.session.ephemeral_mode !== "OFF" && !d.replay;
}

/** The session's keys and what was bound to them are gone (the peer left, or the connection closed). */
export function forgetPeer(d: Draft): void {
  const s = d.m.session;
  s.words = null;
  s.fingerprint_sha256 = null;
  s.verified = null;
  s.peer_verified = null;
  s.peer_nickname = null;
  s.ephemeral_mode = "OFF";
  d.m.ephemeralOwner = null;
}

export function setFile(d: Draft, id: string, entry: FileEntry | null): void {
  const files = new Map(d.m.files);
  if (entry) files.set(id, entry);
  else files.delete(id);
  d.m.files = files;
}

export function closeDialogs(d: Draft, ...dialogs: Dialog[]): void {
  d.fx.push({ k: "close", dialogs });
}

/** Back to the connect form; the chat and the files list are cleared. */
export function toConnect(d: Draft, notice: string | null, tone: "bad" | "info" = "bad"): void {
  d.m.view = "connect";
  d.fx.push({ k: "clear_log" }, { k: "clear_input" });
  d.m.files = new Map();
  d.m.offers = [];
  closeDialogs(d, "verify", "offer", "rekey");
  d.m.connect = { busy: false, error: null, notice: notice === null ? null : { text: notice, tone } };
}

/** An emergency close, either side: the log, the files, the call, the input and every dialog go. */
export function wipe(d: Draft): void {
  d.fx.push({ k: "clear_log" }, { k: "calls_reset" }, { k: "clear_input" });
  d.m.files = new Map();
  d.m.offers = [];
  forgetPeer(d);
  d.m.session.phase = "disconnected";
  d.m.session.transfers = [];
  closeDialogs(d, "verify", "offer", "rekey", "settings");
}
