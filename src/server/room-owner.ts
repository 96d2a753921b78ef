// Which relay worker owns a room: a stable hash of the room code, so every
// client of a room reaches the same worker whatever order they arrive in. The
// lobby (reference clients, no JOIN) is owned by worker 0, which keeps the
// lobby's pairing in arrival order exactly as a single process does.
import { createHash } from "node:crypto";
import { LOBBY } from "./pairing.js";

export function ownerOf(room: string, workers: number): number {
  if (room === LOBBY || workers <= 1) return 0;
  // SHA-256 is not needed for security here, only for a hash every Node has
  // and that spreads similar codes ("room1", "room2") evenly.
  const h = createHash("sha256").update(room, "utf8").digest();
  return h.readUInt32BE(0) % workers;
}
