// Turning a peer-chosen file name into a safe local path (WIRE-NOTES §15.5:
// the reference joins the peer's name onto the download directory, so "../"
// and absolute names escape it). Whatever the peer sends, the result is one
// plain file name directly inside the download directory, and the
// candidate names for "never overwrite" (src/io/file/destination.ts claims one).
import * as path from "node:path";
import { FileTransferError } from "./metadata.js";

/** Largest file name in UTF-8 bytes (NAME_MAX on Linux/macOS file systems). */
export const MAX_NAME_BYTES = 255;
/** Used when nothing usable is left of the peer's name. */
export const FALLBACK_NAME = "file";

// Replaced by "_":
//  - C0/C1 controls and DEL (\p{Cc}): NUL truncates C strings, ESC drives terminals, newlines forge log lines;
//  - lone surrogates (\p{Cs}): not encodable in UTF-8, Node would silently turn them into U+FFFD;
//  - bidirectional overrides/isolates and U+2028/2029: they make "evil\u202Etxt.exe" display as "evilexe.txt";
//  - the characters Windows forbids in names: < > : " | ? * (":" also stops NTFS alternate data streams).
const FORBIDDEN_RE = /[\p{Cc}\p{Cs}\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069<>:"|?*]/gu;

// Windows device names, with any extension ("CON.txt", "nul.tar.gz") and any
// case; superscript digits count too on Windows. Opening them writes to the device.
const DEVICE_RE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\s*\.|$)/iu;

function utf8Len(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Cuts `s` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Len(s) <= maxBytes) return s;
  let out = "";
  let n = 0;
  for (const cp of s) {
    const l = utf8Len(cp);
    if (n + l > maxBytes) break;
    out += cp;
    n += l;
  }
  return out;
}

/** Windows silently drops trailing dots and spaces ("a.txt." opens "a.txt"), so never produce them. */
function trimEnd(s: string): string {
  return s.replace(/[.\s]+$/u, "");
}

/** Splits "stem.ext" at the last dot; an over-long or missing "extension" stays in the stem. */
function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return [name, ""];
  const ext = name.slice(dot);
  if (utf8Len(ext) > 32 || /\s/u.test(ext)) return [name, ""];
  return [name.slice(0, dot), ext];
}

/** stem + suffix + ext, with the stem shortened so the whole fits in MAX_NAME_BYTES. */
function fitName(stem: string, suffix: string, ext: string): string {
  const room = MAX_NAME_BYTES - utf8Len(suffix) - utf8Len(ext);
  const cut = truncateUtf8(stem, room);
  // A cut may end on a dot or space; otherwise the stem is kept as it was.
  let s = cut.length < stem.length ? trimEnd(cut) : cut;
  if (s === "") s = FALLBACK_NAME;
  return s + suffix + ext;
}

/**
 * Returns a safe base name for whatever the peer sent:
 *  - only the last path component survives (both "/" and "\" separate), so
 *    "../../etc/passwd" → "passwd" and "C:\x\..\y" → "y";
 *  - forbidden characters (see FORBIDDEN_RE) become "_";
 *  - surrounding whitespace, trailing dots and LEADING DOTS are removed. Leading
 *    dots are dropped on purpose: a received file should not be hidden from the
 *    user, a peer should not be able to plant ".bashrc"/".profile"-style names,
 *    and our own temporary files (".pqchat-…") can never be named by a peer;
 *  - "", "." and ".." (nothing left) become "file";
 *  - Windows device names get a "_" prefix ("CON.txt" → "_CON.txt");
 *  - at most 255 UTF-8 bytes, shortening the stem and keeping the extension.
 */
export function safeFileName(peerName: string): string {
  if (typeof peerName !== "string") return FALLBACK_NAME;
  const parts = peerName.normalize("NFC").split(/[/\\]/u);
  let name = "";
  for (let i = parts.length - 1; i >= 0; i--) {
    // "a/b/" → "b": the last non-empty component.
    const p = parts[i];
    if (p !== undefined && p !== "") {
      name = p;
      break;
    }
  }
  name = name.replace(FORBIDDEN_RE, "_");
  name = trimEnd(name.trim().replace(/^[.\s]+/u, ""));
  if (name === "") return FALLBACK_NAME;
  if (DEVICE_RE.test(name)) name = "_" + name;
  const [stem, ext] = splitExt(name);
  return fitName(stem, "", ext);
}

/** Throws unless `candidate` resolves to an entry directly inside `dir`. */
export function assertInside(dir: string, candidate: string): string {
  const root = path.resolve(dir);
  const full = path.resolve(root, candidate);
  if (path.dirname(full) !== root || !full.startsWith(root + path.sep)) {
    throw new FileTransferError("bad_filename", `Refusing to write outside the download folder: ${candidate}`);
  }
  return full;
}

/** `name`, then `name (1).ext`, `name (2).ext`, … each fitted into 255 bytes. */
export function candidateName(name: string, n: number): string {
  if (n === 0) return name;
  const [stem, ext] = splitExt(name);
  return fitName(stem, ` (${n})`, ext);
}
