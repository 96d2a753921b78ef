// Ephemeral mode (EPHEMERAL_MODE_CHANGE, WIRE-NOTES §4.6): LOCAL is ours
// alone; GLOBAL is announced to the peer with our owner id (a random UUID4),
// and only the side that turned GLOBAL on may turn it off again. A peer's
// GLOBAL is honoured here, in the core, so every view (terminal, JSON, GUI)
// follows it. While the mode is on, every text written or received
// disappears after 30 seconds (WIRE-NOTES §12.4, the reference's expiry; a
// local setting: `seconds`): the core says when with `message_expired`, and
// each view removes the message from what it shows.
import { randomUUID } from "node:crypto";
import { MessageType, type JsonObject } from "../protocol/index.js";
import { CommandError } from "./api.js";
import type { ClientContext } from "./context.js";
import type { Direction } from "./events.js";

export type EphemeralModeName = "OFF" | "GLOBAL" | "LOCAL";

/** How long a disappearing message stays (WIRE-NOTES §12.4: the reference's 30 seconds). */
export const DEFAULT_EPHEMERAL_MS = 30_000;
/** The longest expiry a user may choose: one day. */
export const MAX_EPHEMERAL_MS = 86_400_000;

export class EphemeralMode {
  mode: EphemeralModeName = "OFF";
  /** Who turned GLOBAL on (our ownerId or the peer's); null otherwise. */
  owner: string | null = null;
  /** Our owner id for EPHEMERAL_MODE_CHANGE. */
  private readonly ownerId = randomUUID();
  /** Messages waiting to disappear, by id (kept across sessions: what is on screen must still go). */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly queueInner: (obj: JsonObject) => void,
    /** How long a message stays while the mode is on. */
    public expiryMs: number = DEFAULT_EPHEMERAL_MS,
  ) {}

  /** setEphemeralMode() of ClientApi; `seconds` (optional) sets how long messages stay here. */
  set(mode: EphemeralModeName, seconds?: number): void {
    if (mode !== "OFF" && mode !== "LOCAL" && mode !== "GLOBAL") throw new CommandError('The mode must be "OFF", "LOCAL" or "GLOBAL".');
    const expiry = seconds === undefined ? this.expiryMs : checkedExpiry(seconds);
    if (mode === "GLOBAL") {
      if (this.ctx.phase !== "secure") throw new CommandError("Global ephemeral mode needs a connected peer.");
      this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "GLOBAL", owner_id: this.ownerId });
      this.owner = this.ownerId;
    } else if (this.mode === "GLOBAL") {
      if (this.owner !== this.ownerId) throw new CommandError("Only the peer who turned on global ephemeral mode can turn it off.");
      if (this.ctx.phase === "secure") this.queueInner({ type: MessageType.EPHEMERAL_MODE_CHANGE, mode: "OFF", owner_id: this.ownerId });
      this.owner = null;
    }
    this.expiryMs = expiry;
    this.mode = mode;
    this.ctx.emit("ephemeral_mode", { mode, owner_id: this.owner, by_peer: false, seconds: this.expiryMs / 1000 });
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
    this.ctx.emit("ephemeral_mode", { mode: this.mode, owner_id: this.owner, by_peer: true, seconds: this.expiryMs / 1000 });
  }

  /** A text written or received now: true (and `message_expired` later) when it is to disappear. */
  track(message_id: string, direction: Direction): boolean {
    if (this.mode === "OFF") return false;
    const t = setTimeout(() => {
      this.timers.delete(message_id);
      this.ctx.emit("message_expired", { message_id, direction });
    }, this.expiryMs);
    // A view keeps the process alive; a pending expiry alone does not.
    t.unref();
    this.timers.set(message_id, t);
    return true;
  }

  /** The session ended: the mode belonged to it (messages already shown still disappear on time). */
  clear(): void {
    this.mode = "OFF";
    this.owner = null;
  }
}

function checkedExpiry(seconds: number): number {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 1 || seconds * 1000 > MAX_EPHEMERAL_MS) {
    throw new CommandError("The time must be a number of seconds from 1 to 86400.");
  }
  return Math.round(seconds * 1000);
}
