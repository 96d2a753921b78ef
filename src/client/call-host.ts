// What the voice-call state machine (calls.ts) needs from the client core, its
// options, and its default timings.
import type { AnyEventMap, AnyEventName, ErrorKind } from "./events.js";

/** Default ringing timeouts: the caller gives up first (END); a callee that never answers declines a little later (REJECT). */
export const RING_TIMEOUT_MS = 30_000;
export const INCOMING_EXTRA_MS = 5_000;
/**
 * After a call ended, for this long: the rate-limit bypass stays on (the
 * peer's packets already in flight) and stray DATA / ACCEPT / REJECT / END are
 * dropped quietly instead of being reported.
 */
export const CALL_GRACE_MS = 3_000;

export interface CallHost {
  /** A secure session exists (call messages can be queued). */
  secure(): boolean;
  /**
   * Queues an inner message on the 250 ms queue; `onSent` runs once it was
   * encrypted and put in line. `auto`: a reply to peer input (capped, like
   * delivery receipts). False if refused.
   */
  queue(inner: Uint8Array, opts?: { onSent?: () => void; auto?: boolean }): boolean;
  /** Encrypts and writes at once through the ordered path (not the queue); false when it could not go out now. */
  sendNow(inner: Uint8Array): boolean;
  emit<K extends AnyEventName>(name: K, payload: AnyEventMap[K]): void;
  error(kind: ErrorKind, text: string): void;
  /** Dummy traffic is paused while a call is active (WIRE-NOTES §12.5) and resumed when it ends. */
  pauseDummies(paused: boolean): void;
}

export interface CallOptions {
  ringTimeoutMs?: number;
  /** Default: ringTimeoutMs + 5 s. */
  incomingTimeoutMs?: number;
  graceMs?: number;
  now?: () => number;
}

