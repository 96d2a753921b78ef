// What kind of frame did a client send? The relay needs the outer `type` of
// JSON frames (to handle 50/51/62, to relay only key-exchange types before the
// exchange completes, and to never relay forged server-control types) but
// must stay cheap for the bulk of traffic: binary FILE_CHUNK frames are never
// parsed, and the common ENCRYPTED_MESSAGE shape is recognised without a full
// JSON parse.
//
// The classification is deliberately conservative about what a *reference
// client* would read as a control message (WIRE-NOTES §12.1): that client
// parses with Python's json module and converts `type` with int(), so
// `{"type": "42"}`, `{"type": 42.5}`, `{"type": true}` (== 1), leading
// whitespace, duplicate keys (last one wins) and `\u`-escaped keys all count.
import { isUtf8 } from "node:buffer";

export type Classified =
  /** A JSON object with a usable `type` (as a reference client would convert it). */
  | { readonly kind: "typed"; readonly type: number }
  /** Not JSON text (binary, e.g. FILE_CHUNK): relayable after the exchange. */
  | { readonly kind: "opaque" }
  /**
   * JSON-looking text that is not an object with a usable `type`: invalid JSON,
   * a non-object value, a missing/null/non-numeric type. A reference client
   * chokes on these (WIRE-NOTES §15.3), so they are never relayed.
   */
  | { readonly kind: "malformed" };

export const OPAQUE: Classified = { kind: "opaque" };
export const MALFORMED: Classified = { kind: "malformed" };

// Pre-built results for the common small type numbers (no allocation per frame).
const TYPED: Classified[] = [];
for (let t = 0; t < 128; t++) TYPED.push({ kind: "typed", type: t });
function typed(t: number): Classified {
  return t >= 0 && t < 128 && Number.isInteger(t) ? TYPED[t]! : { kind: "typed", type: t };
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * First bytes a Python json.loads document can start with after whitespace:
 * `{ [ " - 0-9 t f n` plus `N` (NaN) and `I` (Infinity), which Python accepts.
 */
const JSON_START = new Uint8Array(256);
for (const ch of '{["-0123456789tfnNI') JSON_START[ch.charCodeAt(0)] = 1;

const PREFIX = Buffer.from('{"type": ', "latin1");
const TYPE_KEY = Buffer.from('"type"', "latin1");

/**
 * Fast path for frames a pyjson serializer emits: `{"type": <digits>,` at the
 * payload's byte 0, no backslash anywhere (so no escaped key can spell "type")
 * and no second `"type"` (so no duplicate key can override it). Returns the
 * type or -1 when the frame needs the full parse. If such a frame is not valid
 * JSON at all, a reference client treats it as a (failing) FILE_CHUNK:
 * harmless. Works on the wire bytes (payload at offset 4), so that the common
 * frame costs no view of its payload.
 */
function fastType(frame: Buffer): number {
  const n = frame.length;
  if (n < 4 + 11) return -1;
  for (let k = 0; k < 9; k++) if (frame[4 + k] !== PREFIX[k]) return -1;
  let i = 4 + 9;
  let v = 0;
  while (i < n && i < 4 + 15) {
    const c = frame[i]!;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  if (i === 4 + 9 || (i > 4 + 10 && frame[4 + 9] === 0x30)) return -1;
  const end = frame[i];
  if (end !== 0x2c && end !== 0x7d) return -1;
  if (frame.indexOf(0x5c, 4) !== -1) return -1;
  if (frame.indexOf(TYPE_KEY, 4 + 9) !== -1) return -1;
  return v;
}

/** First payload byte that is not JSON whitespace (the payload starts after the 4-byte prefix), or -1. */
function firstSignificantByte(frame: Buffer): number {
  for (let i = 4; i < frame.length; i++) {
    const c = frame[i]!;
    if (!isWs(c)) return c;
  }
  return -1;
}

/**
 * `int(value)` as the reference client applies it to the outer type, or null
 * when it would raise (missing type, null, arrays, objects, non-numeric
 * strings). Strings with non-ASCII digits (which Python's int() also accepts)
 * are reported as NaN so that callers treat them as suspicious.
 */
export function pythonIntOf(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim();
    if (/^[+-]?[0-9]+(?:_[0-9]+)*$/.test(s)) return Number(s.replace(/_/g, ""));
    if (/^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u.test(s)) return Number.NaN;
    return null;
  }
  return null;
}

/**
 * Whether a frame that begins with `head` (prefix + its first payload bytes)
 * is OPAQUE whatever its remaining bytes are: its first significant byte
 * cannot start JSON. False when that is not known yet or not so.
 */
export function startsOpaque(head: Buffer): boolean {
  const first = firstSignificantByte(head);
  return first >= 0 && JSON_START[first] !== 1;
}

/** Classifies one complete frame (given as its wire bytes: prefix + payload). */
export function classify(frame: Buffer): Classified {
  const first = firstSignificantByte(frame);
  if (first < 0 || JSON_START[first] !== 1) return OPAQUE;
  if (first === 0x7b) {
    const t = fastType(frame);
    if (t >= 0) return typed(t);
  }
  const p = frame.subarray(4);
  // JSON-looking text. Invalid UTF-8 cannot be JSON to a reference client
  // (it decodes first), so such a frame is binary data that happens to start
  // with one of these bytes.
  if (!isUtf8(p)) return OPAQUE;
  if (first !== 0x7b) return MALFORMED;
  let obj: unknown;
  try {
    obj = JSON.parse(p.toString("utf8"));
  } catch {
    return MALFORMED;
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return MALFORMED;
  const t = pythonIntOf((obj as Record<string, unknown>)["type"]);
  if (t === null) return MALFORMED;
  if (Number.isNaN(t)) return MALFORMED;
  return typed(t);
}
