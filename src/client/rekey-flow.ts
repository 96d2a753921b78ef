// Rekey wiring for the client (WIRE-NOTES §9, §14 erratum 16) around the protocol
// library's Rekeyer: the four REKEY messages travel through the send queue
// ahead of everything else; the responder switches keys in the same
// synchronous step that encrypts and writes commit_ack (Sender calls onSent
// right after the write); the initiator switches on receiving commit_ack and
// holds application traffic in between (Rekeyer.holdOutgoing). A rekey started
// by a peer the local user has not verified waits for answerRekey()
// (rekey_prompt) without blocking anything else — unlike the reference's
// console prompt on its receive thread (WIRE-NOTES §15.10, §15.23).
//
// A rekey that does not complete is timed out (see onTimeout): without that, a
// peer that never answers would hold our outgoing traffic (commit_sent) and
// keep the rate/size limits lifted (WIRE-NOTES §12.2: bypass while a rekey is in
// progress) for as long as the session lasts.
import { RekeyError, Rekeyer, pyjson, toBytes, type JsonObject, type Session } from "../protocol/index.js";
import { CommandError } from "./api.js";
import type { ClientEventMap, ClientEventName, ErrorKind } from "./events.js";

export interface RekeyHost {
  emit<K extends ClientEventName>(name: K, payload: ClientEventMap[K]): void;
  error(kind: ErrorKind, text: string): void;
  /** Queues a rekey message ahead of application traffic. */
  queueRekey(inner: Uint8Array, onSent?: () => void): void;
  /** Keys switched: wake anything waiting on the hold (held chunk streams). */
  switched(): void;
  localVerified(): boolean;
  /** The rekey cannot be abandoned safely: end the session (CLIENT_DISCONNECT and close), saying why. */
  endSession(reason: string): void;
}

/**
 * How long each phase may wait for the peer. Waiting for the response can
 * involve a person (a reference peer asks its user first, WIRE-NOTES §9 step
 * 2); commit and commit_ack are automatic, but may sit behind a few MiB of
 * file chunks already in the socket.
 */
export const REKEY_RESPONSE_TIMEOUT_MS = 120_000;
export const REKEY_COMMIT_TIMEOUT_MS = 60_000;

export class RekeyFlow {
  private rekeyer: Rekeyer | null = null;
  private pendingInit: JsonObject | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerPhase: string | null = null;

  /** `timeoutMs` replaces both default timeouts (tests). */
  constructor(
    private readonly host: RekeyHost,
    private readonly timeoutMs?: number,
  ) {}

  attach(session: Session): void {
    this.detach();
    this.rekeyer = new Rekeyer(session);
  }

  /** Abandons any rekey in progress (reset, disconnect). */
  detach(): void {
    this.clearTimer();
    this.rekeyer?.reset();
    this.rekeyer = null;
    this.pendingInit = null;
  }

  get inProgress(): boolean {
    return this.rekeyer?.inProgress ?? false;
  }

  get holdOutgoing(): boolean {
    return this.rekeyer?.holdOutgoing ?? false;
  }

  get promptPending(): boolean {
    return this.pendingInit !== null;
  }

  get state(): { phase: string; role: string | null } {
    if (this.pendingInit) return { phase: "prompt", role: null };
    return this.rekeyer?.state ?? { phase: "idle", role: null };
  }

  /** rekey(): we start as initiator. */
  start(): void {
    const r = this.rekeyer;
    if (!r) throw new CommandError("No secure session: wait for the key exchange to complete.");
    if (r.inProgress || this.pendingInit) throw new CommandError("A rekey is already in progress.");
    const init = r.start();
    this.host.queueRekey(toBytes(pyjson(init)));
    this.host.emit("rekey_started", { role: "initiator" });
    this.armTimer();
  }

  /** A decrypted REKEY message. */
  onMessage(obj: JsonObject): void {
    const r = this.rekeyer;
    if (!r) return;
    if (obj["action"] === "init" && !r.inProgress && !this.host.localVerified()) {
      if (this.pendingInit) {
        this.host.error("protocol_violation", "Ignored a second rekey request while the first awaits an answer.");
        return;
      }
      this.pendingInit = obj;
      this.host.emit("rekey_prompt", {});
      return;
    }
    this.apply(obj);
  }

  /** Answer to rekey_prompt; false when there was nothing to answer. Declining is handled by the caller (disconnect). */
  answer(accept: boolean): boolean {
    const init = this.pendingInit;
    if (!init) return false;
    this.pendingInit = null;
    if (accept) this.apply(init);
    return true;
  }

  private apply(obj: JsonObject): void {
    const r = this.rekeyer;
    if (!r) return;
    let step;
    try {
      step = r.handle(obj);
    } catch (err) {
      if (err instanceof RekeyError) {
        this.host.error(err.kind === "malformed" || err.kind === "bad_key" ? "malformed" : "protocol_violation", err.message);
        return;
      }
      throw err;
    } finally {
      this.armTimer();
    }
    if (step.started) this.host.emit("rekey_started", { role: step.started });
    if (step.switched) {
      this.host.switched();
      this.host.emit("rekey_done", { role: "initiator" });
    }
    if (step.reply) {
      const switchAfter = step.switchAfterSend;
      this.host.queueRekey(toBytes(pyjson(step.reply)), () => {
        if (!switchAfter || this.rekeyer !== r) return;
        // commit_ack is on the wire: activate the pending keys now, before anything else is encrypted.
        r.switchAfterCommitAck();
        this.armTimer();
        this.host.switched();
        this.host.emit("rekey_done", { role: "responder" });
      });
    }
  }

  /** (Re)starts the timeout for the phase the rekey is in now; none when idle. */
  private armTimer(): void {
    const st = this.rekeyer?.state;
    const phase = st && st.phase !== "idle" ? st.phase : null;
    if (phase === this.timerPhase) return;
    this.clearTimer();
    if (!phase) return;
    const ms = this.timeoutMs ?? (phase === "init_sent" ? REKEY_RESPONSE_TIMEOUT_MS : REKEY_COMMIT_TIMEOUT_MS);
    this.timerPhase = phase;
    this.timer = setTimeout(() => this.onTimeout(phase), ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerPhase = null;
  }

  /**
   * The peer did not answer in time. WIRE-NOTES §9 (SPEC §13 only says both
   * sides switch after commit/commit_ack) decides what is safe:
   * - init_sent (we wait for "response") and response_sent (we wait for
   *   "commit"): neither side has switched or can switch without a further
   *   message from us (the responder switches only after sending commit_ack,
   *   step 4; the initiator only on receiving it, step 5). Abandoning the rekey
   *   keeps both on the current keys: the session goes on, the user is told.
   * - commit_sent (we wait for "commit_ack"): the responder switches right
   *   after *sending* commit_ack (step 4), so it may be on the new keys while
   *   its ack is lost or withheld; we cannot tell. Staying on the old keys
   *   could leave the two sides on different keys, and switching blindly could
   *   too; the only safe fallback is to end the session (the user reconnects
   *   and gets a fresh key exchange).
   */
  private onTimeout(phase: string): void {
    this.timer = null;
    this.timerPhase = null;
    const r = this.rekeyer;
    if (!r || r.state.phase !== phase) return;
    const secs = Math.round((this.timeoutMs ?? (phase === "init_sent" ? REKEY_RESPONSE_TIMEOUT_MS : REKEY_COMMIT_TIMEOUT_MS)) / 1000);
    if (phase === "commit_sent") {
      this.host.error("rekey_timeout", `The peer did not confirm the new keys within ${secs} s; the session was ended because the two sides may no longer use the same keys. Reconnect to start a new session.`);
      this.host.endSession("The rekey did not complete (no confirmation from the peer).");
      return;
    }
    r.reset();
    this.host.switched();
    this.host.error("rekey_timeout", `The peer did not answer the rekey within ${secs} s; it was abandoned and the session continues with the current keys.`);
  }
}
