// Neutralises text that came from the peer (or the server) before it reaches a
// terminal: control characters and escape sequences could otherwise clear the
// screen, retitle the window, fake a "verified" status line or reorder text
// with bidi overrides. Everything harmful is replaced by a visible, inert
// notation; ordinary Unicode (accents, CJK, emoji with their joiners and
// variation selectors) is kept as it is.
//
//   C0 controls U+0000–U+001F (incl. ESC, BEL, CR) -> caret notation: "^[" "^G" "^M"
//   DEL U+007F                                      -> "^?"
//   C1 controls U+0080–U+009F (incl. CSI U+009B)    -> "<U+009B>"
//   bidi embeddings/overrides/isolates U+202A–U+202E, U+2066–U+2069 -> "<U+202E>"
//   line/paragraph separators U+2028, U+2029       -> "<U+2028>" (in one-line text)
//   tab                                             -> one space
//
// Only the three characters "\n", "\r\n" and a lone "\r" (plus U+2028/U+2029)
// count as line breaks, and only in sanitizeLines(): a message's lines are
// shown as separate, indented continuation lines, never by sending the raw
// break to the terminal.

const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

function codePointNotation(cp: number): string {
  return "<U+" + cp.toString(16).toUpperCase().padStart(4, "0") + ">";
}

function neutraliseChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp === 0x09) return " ";
  if (cp < 0x20) return "^" + String.fromCharCode(cp + 0x40);
  if (cp === 0x7f) return "^?";
  if (cp >= 0x80 && cp <= 0x9f) return codePointNotation(cp);
  if (cp === 0x2028 || cp === 0x2029 || BIDI.test(ch)) return codePointNotation(cp);
  return ch;
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One line of display text: every control and bidi character made visible and inert. */
export function sanitizeInline(text: string): string {
  return text.replace(UNSAFE, neutraliseChar);
}

/** A multi-line text (a chat message): split at line breaks, each line sanitised. */
export function sanitizeLines(text: string): string[] {
  return text.split(/\r\n|\r|\n|\u2028|\u2029/).map(sanitizeInline);
}

/**
 * A message for display: the first line after `prefix`, every further line
 * on its own row, indented to line up under the first.
 */
export function formatMessage(prefix: string, text: string, indent = prefix.length): string[] {
  const lines = sanitizeLines(text);
  const pad = " ".repeat(Math.max(2, Math.min(indent, 24)));
  return lines.map((l, i) => (i === 0 ? prefix + l : pad + l));
}

/** True when the string holds nothing a terminal would interpret (used by tests and asserts). */
export function isTerminalSafe(text: string): boolean {
  // Newlines are allowed between lines of our own output; everything else must be inert.
  for (const ch of text) {
    if (ch === "\n") continue;
    if (neutraliseChar(ch) !== ch) return false;
  }
  return true;
}
