// Text the page shows, as pure functions (no DOM): the shared display policy
// for peer-controlled text and the page's number formats. The reducer and the
// view models use them, so they run in Node too (the page's unit tests).
import { displayMultiline, displayName } from "../../present/display-text.js";

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

export function fmtSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Bytes per second as MB/s (decimal megabytes, as download tools show). */
export function fmtRate(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return "";
  const mb = bps / 1e6;
  return `${mb >= 100 ? Math.round(mb) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2)} MB/s`;
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
