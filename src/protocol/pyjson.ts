// "pyjson": Python json.dumps with default settings (WIRE-NOTES §3).
// Byte-exact output matters for the AAD and HMAC inputs and to reproduce the
// reference vectors; key order is the object's insertion order.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    // Everything else, including DEL and lone surrogates, as \uXXXX (UTF-16 units).
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/** Python float repr for the only float on the wire (KEEP_ALIVE timestamp). */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError("pyjson: non-finite number");
  if (Number.isInteger(n) && !Object.is(n, -0) && Math.abs(n) < 1e16) return String(n);
  // JS shortest round-trip matches Python repr for the magnitudes used here.
  return String(n);
}

export function pyjson(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      return formatNumber(v);
    case "string":
      return escapeString(v);
  }
  if (Array.isArray(v)) return "[" + v.map((x) => pyjson(x)).join(", ") + "]";
  const parts: string[] = [];
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x === undefined) continue;
    parts.push(escapeString(k) + ": " + pyjson(x));
  }
  return "{" + parts.join(", ") + "}";
}

/** A float rendered the way Python does (always with a fractional part). */
export function pyFloat(n: number): string {
  const s = String(n);
  return /[.eE]/.test(s) ? s : s + ".0";
}

export type JsonObject = { [k: string]: JsonValue };

/** One strict decoder for every payload (a new TextDecoder per frame costs more than the decode). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a payload that should be a JSON object. Returns null for anything
 * else (invalid UTF-8, invalid JSON, arrays, scalars) instead of throwing —
 * WIRE-NOTES §15.3: odd JSON must never crash a receiver.
 */
export function parseJsonObject(payload: Uint8Array | string): JsonObject | null {
  let text: string;
  if (typeof payload === "string") text = payload;
  else {
    // Cheap pre-check: the reference never emits leading whitespace (WIRE-NOTES §2).
    if (payload.length === 0 || payload[0] !== 0x7b) return null;
    try {
      text = strictUtf8.decode(payload);
    } catch {
      return null;
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  return v as JsonObject;
}

/** The `type` field as an integer; numeric strings accepted for the outer type (errata 26). */
export function messageTypeOf(obj: JsonObject, allowNumericString = false): number | null {
  const t = obj["type"];
  if (typeof t === "number" && Number.isInteger(t)) return t;
  if (allowNumericString && typeof t === "string" && /^-?\d{1,6}$/.test(t)) return Number(t);
  return null;
}
