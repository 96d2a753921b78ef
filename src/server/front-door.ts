// Admission at a relay's front door, where connections arrive before their
// room is known (the primary of `--workers`, a node of a cluster): nobody new
// while stopping, a bound on connections held, then the per-address caps and
// rate. The same order and counting as RelayServer's own accept.
import type { Socket } from "node:net";
import type { AddressLimits } from "./address-limits.js";
import type { Refusals } from "./refusals.js";
import { RefusalReason, type RelayStats } from "./stats.js";

export interface FrontDoor<S extends object> {
  stopping: boolean;
  /** Connections the door holds now, and how many it may hold. */
  held: number;
  capacity: number;
  limits: AddressLimits<S>;
  refusals: Refusals;
  stats: RelayStats;
}

/** True when `socket` may come in (its address slot is then taken by `slot`); false: it was refused and is being closed. */
export function admitAtDoor<S extends object>(socket: Socket, door: FrontDoor<S>, slot: S): boolean {
  if (door.stopping) {
    door.stats.refusals.add(RefusalReason.draining);
    socket.destroy();
    return false;
  }
  if (door.held >= door.capacity) {
    door.refusals.refuse(socket, door.limits.refused(RefusalReason.serverFull));
    return false;
  }
  const refusal = door.limits.admit(slot, socket.remoteAddress);
  if (refusal !== null) {
    door.refusals.refuse(socket, refusal);
    return false;
  }
  return true;
}
