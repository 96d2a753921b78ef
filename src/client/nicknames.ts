// Our nickname and the peer's (NICKNAME_CHANGE, WIRE-NOTES §4.6): ours is sent
// at COMPLETE and again once the peer verified us (a peer honours it only
// then); the peer's is taken only from a peer the local user verified, and
// only while nickname changes are allowed.
import { MessageType, NICKNAME_MAX, type JsonObject } from "../protocol/index.js";
import { CommandError } from "./api.js";
import type { ClientContext } from "./context.js";

/** The first `n` code points of `s` (the nickname limit counts characters, not UTF-16 units). */
export function truncateChars(s: string, n: number): string {
  const cps = [...s];
  return cps.length <= n ? s : cps.slice(0, n).join("");
}

export class Nicknames {
  own: string | null;
  peer: string | null = null;

  constructor(
    private readonly ctx: ClientContext,
    initial: string | null | undefined,
    private readonly queueInner: (obj: JsonObject) => void,
  ) {
    this.own = initial ? truncateChars(initial, NICKNAME_MAX) : null;
  }

  /** setNickname() of ClientApi: sent at once when a session is up. */
  set(name: string): void {
    if (typeof name !== "string" || name.trim() === "") throw new CommandError("The nickname must not be empty.");
    this.own = truncateChars(name, NICKNAME_MAX);
    if (this.ctx.secure) this.sendOwn();
  }

  /** Queues our NICKNAME_CHANGE (if we have a nickname). */
  sendOwn(): void {
    if (this.own) this.queueInner({ type: MessageType.NICKNAME_CHANGE, nickname: this.own });
  }

  /** The peer's NICKNAME_CHANGE; `localVerified`: the local user verified the peer. */
  onPeer(obj: JsonObject, localVerified: boolean): void {
    const n = obj["nickname"];
    if (typeof n !== "string") return this.ctx.report("malformed", "Dropped a malformed nickname change.");
    const requested = truncateChars(n, NICKNAME_MAX);
    if (!localVerified) return this.ctx.emit("nickname_ignored", { requested, reason: "You have not verified this peer." });
    if (!this.ctx.allowNicknameChange) return this.ctx.emit("nickname_ignored", { requested, reason: "Nickname changes are disabled." });
    const previous = this.peer;
    // The peer resends its nickname once we verified it; no change, no event.
    if (requested === previous) return;
    this.peer = requested;
    this.ctx.emit("nickname", { nickname: requested, previous });
  }

  /** The session ended: the next peer names itself. */
  clearPeer(): void {
    this.peer = null;
  }
}
