// The client's inbound rules (WIRE-NOTES §12.1–12.3): the fixed-window rate
// limit, the 8,192-byte rule with its bypass (WIRE-NOTES §12.2), JSON-or-chunk
// classification (WIRE-NOTES §2) and the outer/inner field allow-lists. Pure helpers: the
// core decides what a drop means and reports it as an `error` event.
import {
  MAX_UNBYPASSED_FRAME,
  SERVER_CONTROL_TYPES,
  isKnownType,
  messageTypeOf,
  parseJsonObject,
  unexpectedInnerField,
  unexpectedOuterField,
  type JsonObject,
} from "../protocol/index.js";
import type { ErrorKind } from "./events.js";

/** WIRE-NOTES §12.1 step 1: at most this many frames per fixed one-second window. */
export const RATE_LIMIT_FRAMES = 5;
export const RATE_WINDOW_MS = 1000;

/**
 * Fixed one-second window as the reference: when ≥ 1 s passed since the window
 * start, a new window starts now with count 0; the 6th frame in a window is
 * dropped. The reference counts every frame, server frames included; we count
 * only the peer's traffic once the session is secure: server control frames
 * (KEEP_ALIVE above all — a dropped one counts towards the server's keepalive
 * timeout, the reference bug WIRE-NOTES §15.12) and the handshake are never
 * dropped by it. The limiter protects against a flooding peer, not the relay.
 */
export class RateLimiter {
  private windowStart = -Infinity;
  private count = 0;

  constructor(
    private readonly limit = RATE_LIMIT_FRAMES,
    private readonly windowMs = RATE_WINDOW_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts a frame; false when it must be dropped. */
  allow(): boolean {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.count = 0;
    }
    if (this.count >= this.limit) return false;
    this.count++;
    return true;
  }

  reset(): void {
    this.windowStart = -Infinity;
    this.count = 0;
  }
}

export type Classified =
  | { kind: "json"; obj: JsonObject; type: number }
  | { kind: "chunk"; payload: Uint8Array }
  | { kind: "drop"; error: ErrorKind; text: string };

/**
 * WIRE-NOTES §2 / §12.1 steps 3–5 for one frame that passed the limiter and the size rule:
 * a payload starting with "{" must be a JSON object with a known integer type
 * and only allowed outer fields; anything else is a FILE_CHUNK candidate.
 */
export function classifyFrame(payload: Uint8Array): Classified {
  if (payload.length === 0 || payload[0] !== 0x7b) return { kind: "chunk", payload };
  const obj = parseJsonObject(payload);
  if (!obj) return { kind: "drop", error: "malformed", text: "Dropped a frame that is not a valid JSON object." };
  // The reference converts the outer type with int(), so "41" is accepted too (WIRE-NOTES §14 erratum 26).
  const type = messageTypeOf(obj, true);
  if (type === null) return { kind: "drop", error: "malformed", text: "Dropped a message without a valid type." };
  if (!isKnownType(type)) return { kind: "drop", error: "unknown_type", text: `Dropped a message of unknown type ${type}.` };
  const extra = unexpectedOuterField(type, obj);
  if (extra !== null) {
    return { kind: "drop", error: "unexpected_field", text: `Dropped a type ${type} message with an unexpected field.` };
  }
  return { kind: "json", obj, type };
}

/** True for a frame the size rule (WIRE-NOTES §12.1 step 2) drops outside bypass. */
export function oversizeUnbypassed(length: number): boolean {
  return length > MAX_UNBYPASSED_FRAME;
}

/** Largest frame classified before the limiter: every server control frame is far smaller. */
const SMALL_FRAME = 512;

/**
 * Small JSON frames are classified before the limiter (once; the result is
 * reused), so the server's KEEP_ALIVE can be answered at once and its control
 * frames skip the limiter. Null for anything else, which is classified after
 * the limiter and the size rule as the reference does.
 */
export function classifySmall(payload: Uint8Array): Classified | null {
  return payload.length <= SMALL_FRAME && payload[0] === 0x7b ? classifyFrame(payload) : null;
}

/** A classified frame of a server-control type (1–3, 40–44). */
export function isServerControl(c: Classified | null): boolean {
  return c !== null && c.kind === "json" && SERVER_CONTROL_TYPES.has(c.type);
}

export type InnerChecked =
  | { ok: true; obj: JsonObject; type: number }
  | { ok: false; error: ErrorKind; text: string };

/**
 * A decrypted inner plaintext: must be a JSON object with an integer type
 * (non-JSON plaintexts — the GUI emoticon quirk, WIRE-NOTES §4.6 — are reported, never a
 * crash, WIRE-NOTES §15.3); while the local user has NOT verified the peer, only the
 * fields of the WIRE-NOTES §12.3 allow-list may appear.
 */
export function checkInner(plaintext: Uint8Array | string, localVerified: boolean): InnerChecked {
  // Text already decoded (Session.decrypt's `text`) gets the bytes' check too: the object starts at the first character.
  const obj = typeof plaintext === "string" && plaintext.charCodeAt(0) !== 0x7b ? null : parseJsonObject(plaintext);
  if (!obj) return { ok: false, error: "malformed", text: "Dropped a decrypted message that is not a JSON object." };
  const type = messageTypeOf(obj);
  if (type === null) return { ok: false, error: "malformed", text: "Dropped a decrypted message without a valid type." };
  if (!localVerified) {
    const extra = unexpectedInnerField(obj);
    if (extra !== null) {
      return { ok: false, error: "unexpected_inner_field", text: `Dropped a type ${type} message with a field not allowed before verification.` };
    }
  }
  return { ok: true, obj, type };
}
