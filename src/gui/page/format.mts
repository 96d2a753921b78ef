// Text the page shows, as pure functions (no DOM): the shared display policy
// for peer-controlled text and the shared byte formats (src/present), and the
// page's own time formats. The reducer and the
// view models use them, so they run in Node too (the page's unit tests).
import { displayMultiline, displayName } from "../../present/display-text.js";
import { formatRate } from "../../present/format-bytes.js";

export { formatBytes } from "../../present/format-bytes.js";

/**
 * One line of peer-controlled text (a nickname, a file name, a reason) for
 * display: the shared policy (src/present/display-text.ts, also used by the
 * terminal client) makes controls, bidi overrides and invisible characters
 * visible, collapses long whitespace runs and cuts in the middle, so a name
 * cannot hide its real extension or break the layout.
 */
export function clean(s: string, max = 200): string {
  return displayName(s, max);
}

/** A chat message's text: line breaks kept, everything else the shared policy neutralises made visible. */
export function cleanText(s: string): string {
  return displayMultiline(s);
}

/** A transfer's speed for the files panel ("" while it is unknown). */
export function fmtRate(bps: number): string {
  return Number.isFinite(bps) && bps > 0 ? formatRate(bps) : "";
}

export function fmtEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "";
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s left`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m} min ${t % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

/** A call's length as m:ss or h:mm:ss. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
