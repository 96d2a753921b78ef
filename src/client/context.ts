// The state every part of the client shares: the user's standing settings
// (they survive reconnects), the connection to the relay, the connection
// phase and the session's keys. ClientCore owns one; the parts (handshake,
// verification, inbound line, write path, dispatch, lifecycle) read and update
// it here instead of reaching into one another's fields.
import type { Fingerprint, Session } from "../protocol/index.js";
import type { ClientOptions, ConnectionPhase } from "./api.js";
import type { Connection } from "./connection.js";
import { resolveSilenceLimit } from "./liveness.js";
import type { AcceptFilesPolicy, AnyEventMap, AnyEventName, ClientEventMap, ClientEventName, ErrorKind, Policy } from "./events.js";

/**
 * WIRE-NOTES §13: a reference peer's limiter window right after the handshake
 * is full; send nothing to the peer for this long after KEY_EXCHANGE_COMPLETE.
 */
export const POST_COMPLETE_QUIET_MS = 1000;

export const now = (): number => performance.now();

export interface ContextEmitters {
  emit<K extends ClientEventName>(event: K, payload: ClientEventMap[K]): void;
  /** Call events and client events alike (the call manager's events). */
  emitAny<K extends AnyEventName>(event: K, payload: AnyEventMap[K]): void;
  /** Every drop is reported (coalesced per kind: notice-coalescer.ts); texts never contain message content. */
  report(kind: ErrorKind, text: string): void;
}

export class ClientContext {
  // ---- settings (survive reconnects)
  readonly downloadDir: string;
  dummyTraffic: boolean;
  deliveryReceipts: boolean;
  allowNicknameChange: boolean;
  acceptFiles: AcceptFilesPolicy;
  autoVerify: Policy;
  /** The relay counts as gone after this long without a byte from it (liveness.ts); 0: never. */
  readonly serverSilenceMs: number;

  // ---- connection
  conn: Connection | null = null;
  phase: ConnectionPhase = "disconnected";

  // ---- session (wiped on reset / disconnect)
  /** The agreed keys: set by the handshake before COMPLETE, null without a session. */
  session: Session | null = null;
  fingerprint: Fingerprint | null = null;
  /** performance.now() at KEY_EXCHANGE_COMPLETE; 0 without a session. */
  completeAt = 0;

  constructor(
    downloadDir: string,
    opts: ClientOptions,
    private readonly emitters: ContextEmitters,
  ) {
    this.downloadDir = downloadDir;
    this.dummyTraffic = opts.dummyTraffic ?? true;
    this.deliveryReceipts = opts.deliveryReceipts ?? true;
    this.allowNicknameChange = opts.allowNicknameChange ?? true;
    this.acceptFiles = opts.acceptFiles ?? "ask";
    this.autoVerify = opts.autoVerify ?? "ask";
    this.serverSilenceMs = resolveSilenceLimit(opts.serverSilenceMs);
  }

  emit<K extends ClientEventName>(event: K, payload: ClientEventMap[K]): void {
    this.emitters.emit(event, payload);
  }

  emitAny<K extends AnyEventName>(event: K, payload: AnyEventMap[K]): void {
    this.emitters.emitAny(event, payload);
  }

  report(kind: ErrorKind, text: string): void {
    this.emitters.report(kind, text);
  }

  /** The key exchange completed and the keys are in place. */
  get secure(): boolean {
    return this.phase === "secure" && this.session !== null;
  }

  /** When the quiet second after COMPLETE ends (WIRE-NOTES §13). */
  get quietEndsAt(): number {
    return this.completeAt + POST_COMPLETE_QUIET_MS;
  }

  /**
   * SPEC §15.2 / WIRE-NOTES §15.2: after pairing, the server only sends RESET,
   * SERVER_DISCONNECT, ERROR and KEEP_ALIVE; anything else server- or
   * handshake-like was forged by the peer through a relay that forwards
   * everything. Reported and ignored.
   */
  suspicious(what: string): void {
    this.report("protocol_violation", `Ignored a ${what} message during an established session (possibly forged by the peer).`);
  }
}
