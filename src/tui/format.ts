// Pure formatting for the terminal client: colours, progress bars, terminal
// widths and the status line (sizes and rates: src/present/format-bytes.ts).
// No I/O here, so it is easy to test.
import type { ConnectionPhase } from "../client/api.js";
import { formatRate } from "../present/format-bytes.js";
import { sanitizeInline, sanitizeName } from "../present/sanitize.js";

export interface Palette {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  /** White on red, bold: the UNVERIFIED badge. */
  alarm(s: string): string;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: string, close: string) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    red: wrap("31", "39"),
    green: wrap("32", "39"),
    yellow: wrap("33", "39"),
    cyan: wrap("36", "39"),
    dim: wrap("2", "22"),
    bold: wrap("1", "22"),
    alarm: wrap("1;97;41", "0"),
  };
}

/** Colours only when stdout is a terminal and NO_COLOR is unset or empty (https://no-color.org). */
export function colourWanted(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "ETA --";
  const s = Math.ceil(seconds);
  if (s < 60) return `ETA ${s}s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `ETA ${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function percent(bytes: number, total: number): number {
  if (total <= 0) return bytes > 0 ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((bytes * 100) / total)));
}

export function progressBar(bytes: number, total: number, width = 20): string {
  const filled = Math.round((percent(bytes, total) / 100) * width);
  return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
}

export interface TransferView {
  transfer_id: string;
  filename: string;
  direction: "in" | "out";
  bytes: number;
  total: number;
  rate: number;
  eta: number | null;
}

/** "↑ report.pdf [#####---------------] 25% 3.20 MB/s ETA 12s" */
export function formatTransfer(t: TransferView, barWidth = 20): string {
  const arrow = t.direction === "out" ? "↑" : "↓";
  // Cut in the middle first, so the extension stays visible; then to columns (wide characters).
  const name = truncateVisible(sanitizeName(t.filename, 24), 24);
  return `${arrow} ${name} ${progressBar(t.bytes, t.total, barWidth)} ${percent(t.bytes, t.total)}% ${formatRate(t.rate)} ${formatEta(t.eta)}`;
}

export const PHASE_WORDS: Record<ConnectionPhase, string> = {
  disconnected: "disconnected",
  connecting: "connecting",
  reconnecting: "reconnecting",
  waiting_for_peer: "waiting for peer",
  key_exchange: "key exchange",
  secure: "secure",
  closing: "closing",
};

export interface StatusView {
  phase: ConnectionPhase;
  server: string | null;
  peerNickname: string | null;
  verified: boolean | null;
  peerVerified: boolean | null;
  transfers: TransferView[];
  /** While reconnecting: seconds until the next attempt (null while it runs), the attempt and the bound. */
  reconnect?: { seconds: number | null; attempt: number; max: number } | null;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** East Asian Wide and Fullwidth blocks (UAX #11): two terminal columns each. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) || // Hangul Jamo initials
    (cp >= 0x2e80 && cp <= 0x303e) || // CJK radicals, Kangxi, CJK symbols and punctuation
    (cp >= 0x3041 && cp <= 0x33ff) || // kana, Bopomofo, Hangul compatibility, CJK compatibility
    (cp >= 0x3400 && cp <= 0x4dbf) || // CJK extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0xa000 && cp <= 0xa4cf) || // Yi
    (cp >= 0xac00 && cp <= 0xd7a3) || // Hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xff60) || // fullwidth forms
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd) // CJK extensions B and later
  );
}

/** Columns one grapheme takes in a terminal: 0 (controls, lone marks), 1, or 2 (wide, emoji). */
function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (/^\p{M}+$/u.test(g) || /^[\u200b-\u200f\u2060\ufeff]$/u.test(g)) return 0;
  if (/\p{Emoji_Presentation}/u.test(g) || (/\p{Extended_Pictographic}/u.test(g) && g.includes("\ufe0f"))) return 2;
  return isWide(cp) ? 2 : 1;
}

/** Terminal columns of `s`, escape sequences not counted (CJK and emoji take two). */
export function visibleLength(s: string): number {
  let w = 0;
  for (const { segment } of graphemes.segment(s.replace(ANSI, ""))) w += graphemeWidth(segment);
  return w;
}

/** Cuts a string to `max` columns (escape sequences kept intact, wide characters never split), ending in "…". */
export function truncateVisible(s: string, max: number): string {
  if (visibleLength(s) <= max) return s;
  let out = "";
  let seen = 0;
  // Escape sequences and the text between them, in order.
  // eslint-disable-next-line no-control-regex
  for (const part of s.split(/(\x1b\[[0-9;]*[a-zA-Z])/)) {
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    for (const { segment } of graphemes.segment(part)) {
      const w = graphemeWidth(segment);
      if (seen + w > max - 1) return out + "…" + (s.includes("\x1b[") ? "\x1b[0m" : "");
      out += segment;
      seen += w;
    }
  }
  return out + "…" + (s.includes("\x1b[") ? "\x1b[0m" : "");
}

/** The one-line status: phase, server, peer, verification, transfers. */
export function formatStatus(v: StatusView, p: Palette, columns: number): string {
  const parts: string[] = [];
  const r = v.reconnect;
  const phase = r ? `reconnecting${r.seconds === null ? "…" : ` in ${r.seconds} s`} (${r.attempt}/${r.max})` : PHASE_WORDS[v.phase];
  parts.push(v.phase === "secure" ? p.green(`[${phase}]`) : p.yellow(`[${phase}]`));
  if (v.phase === "secure" || v.phase === "key_exchange") {
    parts.push("peer: " + p.bold(v.peerNickname === null ? "(no nickname)" : sanitizeInline(v.peerNickname)));
  } else if (v.server) {
    parts.push(v.server);
  }
  if (v.phase === "secure") {
    if (v.verified === true) parts.push(p.green("verified"));
    else if (v.verified === false) parts.push(p.alarm(" NOT VERIFIED "));
    else parts.push(p.alarm(" UNVERIFIED "));
    // The peer's answer is an unauthenticated claim (WIRE-NOTES §10): shown dim, never as "verified".
    if (v.peerVerified === true) parts.push(p.dim("peer says they verified you (not proof)"));
    else if (v.peerVerified === false) parts.push(p.red("peer says: words differ"));
  }
  let line = parts.join("  ");
  for (const t of v.transfers) {
    const candidate = line + "  | " + formatTransfer(t, 16);
    if (visibleLength(candidate) > columns - 1) {
      line += p.dim(`  | +${v.transfers.length - v.transfers.indexOf(t)} transfer(s)`);
      break;
    }
    line = candidate;
  }
  return truncateVisible(line, Math.max(10, columns - 1));
}

export { FRAME_DROP_KINDS as DROP_KINDS } from "../client/notice-coalescer.js";
