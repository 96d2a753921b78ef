// Terminal display of text from the peer or the server. The policy itself
// (what is neutralised and how, how names are shortened) lives in one module
// shared with the GUI, src/present/display-text.ts; this file adds only the
// terminal's own layout (continuation lines of a message).
//
// Only "\n", "\r\n", a lone "\r", U+2028 and U+2029 count as line breaks, and
// only in sanitizeLines(): a message's lines are shown as separate, indented
// continuation lines, never by sending the raw break to the terminal.
import { displayInline, displayLines, displayName, isDisplaySafe } from "./display-text.js";

/** One line of display text: every control, bidi and invisible character made visible and inert. */
export const sanitizeInline = displayInline;

/** A multi-line text (a chat message): split at line breaks, each line sanitised. */
export const sanitizeLines = displayLines;

/** A file name or nickname in at most `max` characters, its end kept visible. */
export const sanitizeName = displayName;

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
export const isTerminalSafe = isDisplaySafe;
