// The one display policy for text that came from the peer or the server (chat
// texts, nicknames, file names, reasons), used by the terminal client
// (src/present/sanitize.ts adds the terminal's layout) and by the GUI page
// (src/gui/page/dom.mts). The page loads the compiled modules of src/present
// (copied next to its own by src/gui/build.mjs), so this file has no imports
// and uses no Node-only API.
//
// Anything that could change how the rest of the screen reads is replaced by a
// visible, inert notation; ordinary Unicode (accents, CJK, emoji with their
// zero-width joiners and variation selectors) is kept as it is:
//
//   C0 controls U+0000–U+001F (ESC, BEL, CR…)     -> caret notation "^[" "^G" "^M"
//   DEL U+007F                                     -> "^?"
//   tab                                            -> one space
//   C1 controls U+0080–U+009F (CSI U+009B…)        -> "<U+009B>"
//   bidi embeddings/overrides/isolates U+202A–U+202E, U+2066–U+2069,
//   direction marks U+200E, U+200F, U+061C,
//   invisible characters U+200B, U+2060–U+2064, U+FEFF, U+FFF9–U+FFFB,
//   line/paragraph separators U+2028, U+2029 in one-line text -> "<U+XXXX>"
//
// ANSI escape sequences lose their ESC (shown as "^["), so what follows it is
// plain text. One-line display of a name also collapses long runs of
// whitespace (a name padded with 240 spaces before ".exe" shows the padding as
// "[240 spaces]") and truncates in the middle, so the end of a file name — its
// real extension — always stays visible.

/** One character the display policy never shows as it is (test a single character; not global). */
export const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/; // eslint-disable-line no-control-regex
const UNSAFE_ALL = new RegExp(UNSAFE_CHAR.source, "g");
const LINE_BREAKS = /\r\n|\r|\n|\u2028|\u2029/;

function notation(cp: number): string {
  return "<U+" + cp.toString(16).toUpperCase().padStart(4, "0") + ">";
}

/** The inert, visible form of one character (the character itself when it is harmless). */
export function neutraliseChar(ch: string): string {
  if (!UNSAFE_CHAR.test(ch)) return ch;
  const cp = ch.codePointAt(0)!;
  if (cp === 0x09) return " ";
  if (cp < 0x20) return "^" + String.fromCharCode(cp + 0x40);
  if (cp === 0x7f) return "^?";
  return notation(cp);
}

/** One line of display text: every control, bidi and invisible character made visible and inert. */
export function displayInline(text: string): string {
  return text.replace(UNSAFE_ALL, neutraliseChar);
}

/**
 * `text` without any character this policy would neutralise: for a name that
 * must stay a plain name (a file name on disk), where a visible notation would
 * become part of the name.
 */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_ALL, "");
}

/** A multi-line text (a chat message): split at line breaks, each line made safe. */
export function displayLines(text: string): string[] {
  return text.split(LINE_BREAKS).map(displayInline);
}

/** A multi-line text as one string with "\n" between its lines (for an element that shows line breaks). */
export function displayMultiline(text: string): string {
  return displayLines(text).join("\n");
}

/** True when nothing in `text` (apart from "\n") would be changed by this policy. */
export function isDisplaySafe(text: string): boolean {
  for (const ch of text) {
    if (ch === "\n") continue;
    if (neutraliseChar(ch) !== ch) return false;
  }
  return true;
}

/** Runs of this many or more whitespace characters are shown as "[N spaces]". */
const WHITESPACE_RUN = 3;

/**
 * Tokens of a one-line display text: each neutralised character, and each run
 * of whitespace collapsed to one token. Truncation cuts between tokens, never
 * inside a "<U+XXXX>" notation.
 */
function tokens(text: string): string[] {
  const out: string[] = [];
  const cps = [...text];
  for (let i = 0; i < cps.length; ) {
    if (isSpace(cps[i]!)) {
      let j = i;
      while (j < cps.length && isSpace(cps[j]!)) j++;
      const n = j - i;
      if (n >= WHITESPACE_RUN) out.push(` [${n} spaces] `);
      else for (let k = i; k < j; k++) out.push(neutraliseChar(cps[k]!));
      i = j;
      continue;
    }
    out.push(neutraliseChar(cps[i]!));
    i++;
  }
  return out;
}

/** Whitespace that shows as blank space (tab included; not the line/paragraph separators or U+FEFF, which are shown as notation). */
function isSpace(ch: string): boolean {
  return /\s/.test(ch) && ch !== "\ufeff" && ch !== "\u2028" && ch !== "\u2029" && ch !== "\n" && ch !== "\r" && ch !== "\v" && ch !== "\f";
}

/**
 * A one-line name (file name, nickname, reason) for display in at most `max`
 * characters: made safe, long whitespace runs collapsed, and when too long cut
 * in the middle ("start…end") so that its end stays visible.
 */
export function displayName(text: string, max = 200): string {
  const t = tokens(text);
  const len = (xs: string[]): number => xs.reduce((n, x) => n + [...x].length, 0);
  if (len(t) <= max) return t.join("");
  const room = Math.max(2, max) - 1; // one for the ellipsis
  const tailBudget = Math.floor(room / 2);
  const tail: string[] = [];
  let used = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    const w = [...t[i]!].length;
    if (used + w > tailBudget) break;
    tail.unshift(t[i]!);
    used += w;
  }
  const head: string[] = [];
  let headUsed = 0;
  for (const x of t) {
    const w = [...x].length;
    if (headUsed + w > room - used) break;
    head.push(x);
    headUsed += w;
  }
  return head.join("") + "…" + tail.join("");
}

/** A hex string (the full SHA-256 fingerprint) in groups of `size` characters, `perLine` groups per line. */
export function groupHex(hex: string, size = 4, perLine = 8): string[] {
  const groups = hex.toLowerCase().match(new RegExp(`.{1,${size}}`, "g")) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += perLine) lines.push(groups.slice(i, i + perLine).join(" "));
  return lines;
}
