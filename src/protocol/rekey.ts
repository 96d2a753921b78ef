// Rekey sub-protocol (WIRE-NOTES §9, errata 16): init -> response -> commit ->
// commit_ack, all inside ENCRYPTED_MESSAGE under the current keys. The
// responder switches right after *sending* commit_ack; the initiator on
// *receiving* it. Between sending commit and receiving commit_ack the
// initiator must hold back application messages (the reference loses them).
import { b64decodeStrict, b64encode, wipe } from "./bytes.js";
import { RekeyError } from "./errors.js";
import { deriveRekeyKeys } from "./kdf.js";
import { MLKEM_CIPHERTEXT_BYTES, MLKEM_PUBLIC_KEY_BYTES, mlkemDecapsulate, mlkemEncapsulate, mlkemKeygen } from "./primitives.js";
import type { JsonObject } from "./pyjson.js";
import type { Session } from "./session.js";

export type RekeyRole = "initiator" | "responder";
export type RekeyPhase =
  | "idle"
  | "init_sent" // initiator: waiting for response
  | "commit_sent" // initiator: waiting for commit_ack; hold application messages
  | "response_sent"; // responder: waiting for commit

export interface RekeyInner extends JsonObject {
  type: 64;
  action: "init" | "response" | "commit" | "commit_ack";
}

export interface RekeyStep {
  /** Inner message to send next, or null. */
  reply: RekeyInner | null;
  /** The caller must activate the pending keys right after encrypting `reply` (commit_ack). */
  switchAfterSend: boolean;
  /** Keys were switched while handling this message (initiator on commit_ack). */
  switched: boolean;
  /** Set when a new rekey starts (for events). */
  started?: RekeyRole;
}

const none: RekeyStep = { reply: null, switchAfterSend: false, switched: false };

export class Rekeyer {
  private phase: RekeyPhase = "idle";
  private role: RekeyRole | null = null;
  private kem: { publicKey: Uint8Array; secretKey: Uint8Array } | null = null;

  constructor(private readonly session: Session) {}

  get state(): { phase: RekeyPhase; role: RekeyRole | null } {
    return { phase: this.phase, role: this.role };
  }

  /** True while a rekey is in progress (bypass of the size/rate limits, WIRE-NOTES §12.2). */
  get inProgress(): boolean {
    return this.phase !== "idle";
  }

  /** True while outgoing application messages must wait (initiator after commit). */
  get holdOutgoing(): boolean {
    return this.phase === "commit_sent";
  }

  /** Starts a rekey as initiator; returns the init message. */
  start(kemSeed?: Uint8Array): RekeyInner {
    if (this.phase !== "idle") throw new RekeyError("unexpected", "a rekey is already in progress");
    this.kem = mlkemKeygen(kemSeed);
    this.phase = "init_sent";
    this.role = "initiator";
    return { type: 64, action: "init", public_key: b64encode(this.kem.publicKey) };
  }

  /** Handles a received REKEY inner message. Throws RekeyError on protocol violations. */
  handle(msg: JsonObject, encapsM?: Uint8Array): RekeyStep {
    const action = msg["action"];
    switch (action) {
      case "init":
        return this.onInit(msg, encapsM);
      case "response":
        return this.onResponse(msg);
      case "commit":
        if (this.phase !== "response_sent") throw new RekeyError("unexpected", "rekey commit without a rekey in progress");
        return { reply: { type: 64, action: "commit_ack" }, switchAfterSend: true, switched: false };
      case "commit_ack":
        if (this.phase !== "commit_sent") throw new RekeyError("unexpected", "rekey commit_ack without a commit");
        this.session.activatePendingKeys();
        this.finishLocal();
        return { reply: null, switchAfterSend: false, switched: true };
      default:
        throw new RekeyError("malformed", "unknown rekey action");
    }
  }

  /** Call right after the commit_ack was encrypted: switches keys (responder). */
  switchAfterCommitAck(): void {
    this.session.activatePendingKeys();
    this.finishLocal();
  }

  private onInit(msg: JsonObject, encapsM?: Uint8Array): RekeyStep {
    const pk = decodeField(msg, "public_key", MLKEM_PUBLIC_KEY_BYTES);
    if (this.phase === "init_sent" && this.kem) {
      // Both sides started at once: the smaller init public key keeps the
      // initiator role, so both sides pick the same winner.
      if (Buffer.compare(this.kem.publicKey, pk) < 0) return none;
      wipe(this.kem.secretKey);
      this.kem = null;
    } else if (this.phase !== "idle") {
      throw new RekeyError("unexpected", "rekey init while another rekey is in progress");
    }
    let enc: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      enc = mlkemEncapsulate(pk, encapsM);
    } catch {
      throw new RekeyError("bad_key", "rekey public key is invalid");
    }
    this.setPending(enc.sharedSecret);
    this.phase = "response_sent";
    this.role = "responder";
    return { reply: { type: 64, action: "response", ciphertext: b64encode(enc.cipherText) }, switchAfterSend: false, switched: false, started: "responder" };
  }

  private onResponse(msg: JsonObject): RekeyStep {
    if (this.phase !== "init_sent" || !this.kem) throw new RekeyError("unexpected", "rekey response without an init");
    const ct = decodeField(msg, "ciphertext", MLKEM_CIPHERTEXT_BYTES);
    const shared = mlkemDecapsulate(ct, this.kem.secretKey);
    wipe(this.kem.secretKey);
    this.kem = null;
    this.setPending(shared);
    this.phase = "commit_sent";
    return { reply: { type: 64, action: "commit" }, switchAfterSend: false, switched: false };
  }

  private setPending(shared: Uint8Array): void {
    const k = deriveRekeyKeys(shared);
    this.session.setPendingKeys(k);
    wipe(shared, k.encryptionKey, k.rootChainKey);
  }

  private finishLocal(): void {
    this.phase = "idle";
    this.role = null;
  }

  /** Abandons any rekey in progress (reset, disconnect). */
  reset(): void {
    if (this.kem) wipe(this.kem.secretKey);
    this.kem = null;
    this.session.clearPendingKeys();
    this.finishLocal();
  }
}

function decodeField(msg: JsonObject, name: string, len: number): Uint8Array {
  const v = msg[name];
  let b: Uint8Array | null = null;
  if (typeof v === "string") {
    try {
      b = b64decodeStrict(v);
    } catch {
      b = null;
    }
  }
  if (!b || b.length !== len) throw new RekeyError("malformed", `rekey field "${name}" is missing or malformed`);
  return b;
}
