// Rekey wiring for the client (WIRE-NOTES §9, errata 16) around the protocol
// library's Rekeyer: the four REKEY messages travel through the send queue
// ahead of everything else; the responder switches keys in the same
// synchronous step that encrypts and writes commit_ack (Sender calls onSent
// right after the write); the initiator switches on receiving commit_ack and
// holds application traffic in between (Rekeyer.holdOutgoing). A rekey started
// by a peer the local user has not verified waits for answerRekey()
// (rekey_prompt) without blocking anything else — unlike the reference's
// console prompt on its receive thread (§15.10, §15.23).
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
}

export class RekeyFlow {
  private rekeyer: Rekeyer | null = null;
  private pendingInit: JsonObject | null = null;

  constructor(private readonly host: RekeyHost) {}

  attach(session: Session): void {
    this.detach();
    this.rekeyer = new Rekeyer(session);
  }

  /** Abandons any rekey in progress (reset, disconnect). */
  detach(): void {
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
        this.host.switched();
        this.host.emit("rekey_done", { role: "responder" });
      });
    }
  }
}
