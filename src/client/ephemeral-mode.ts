// Ephemeral mode (EPHEMERAL_MODE_CHANGE, WIRE-NOTES §4.6): LOCAL is ours
// alone; GLOBAL is announced to the peer with our owner id (a random UUID4),
// and only the side that turned GLOBAL on may turn it off again.
import { randomUUID } from "node:crypto";
import { MessageType, type JsonObject } from "../protocol/index.js";
import { CommandError } from "./api.js";
import type { ClientContext } from "./context.js";

export type EphemeralModeName = "OFF" | "GLOBAL" | "LOCAL";

export class EphemeralMode {
  mode: EphemeralModeName = "OFF";
  /** Who turned GLOBAL on (our ownerId or the peer's); null otherwise. */
  owner: string | null = null;
  /** Our owner id for EPHEMERAL_MODE_CHANGE. */
  private readonly ownerId = randomUUID();

  constructor(
    private readonly ctx: ClientContext,
    private readonly queueInner: (obj: JsonObject) => void,
  ) {}

  /** setEphemeralMode() of ClientApi. */
  set(mode: EphemeralModeName): void {
    if (mode !== "OFF" && mode !== "LOCAL" && mode !== "GLOBAL") throw new CommandError('The mode must be "OFF", "LOCAL" or "GLOBAL".');
    if (mode === "GLOBAL") {
      if (this.ctx.phase !== "secure") throw new CommandError("Global ephemeral mode needs a connected peer.");
      this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "GLOBAL", owner_id: this.ownerId });
      this.owner = this.ownerId;
    } else if (this.mode === "GLOBAL") {
      if (this.owner !== this.ownerId) throw new CommandError("Only the peer who turned on global ephemeral mode can turn it off.");
      if (this.ctx.phase === "secure") this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "OFF", owner_id: this.ownerId });
      this.owner = null;
    }
    this.mode = mode;
    this.ctx.emit("ephemeral_mode", { mode, owner_id: this.owner, by_peer: false });
  }

  /** The peer's EPHEMERAL_MODE_CHANGE. */
  onPeer(obj: JsonObject): void {
    const mode = obj["mode"];
    const owner = obj["owner_id"];
    if ((mode !== "GLOBAL" && mode !== "OFF") || typeof owner !== "string" || owner.length > 64) {
      this.ctx.report("malformed", "Dropped a malformed ephemeral mode change.");
      return;
    }
    if (mode === "GLOBAL") {
      this.mode = "GLOBAL";
      this.owner = owner;
    } else {
      if (this.mode !== "GLOBAL" || owner !== this.owner) {
        this.ctx.report("not_allowed", "Ignored a request to turn off ephemeral mode from someone who did not turn it on.");
        return;
      }
      this.mode = "OFF";
      this.owner = null;
    }
    this.ctx.emit("ephemeral_mode", { mode: this.mode, owner_id: this.owner, by_peer: true });
  }

  clear(): void {
    this.mode = "OFF";
    this.owner = null;
  }
}
