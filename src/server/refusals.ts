// Refusing a connection (over capacity, or over a per-address limit): the
// reference's SERVER_FULL, then a clean close — the reference keeps such a
// connection open (WIRE-NOTES §15.1). Bounded: in a connection storm refused
// sockets get no grace period, so refusals cost no memory.
import type { Socket } from "node:net";
import type { Logger } from "./log.js";
import { F } from "./notices.js";

/** After we end a connection, how long the client may take to close its side. */
export const CLOSE_GRACE_MS = 2000;
/** Refused sockets allowed their SERVER_FULL grace period at once; beyond, a refused socket is dropped at once. */
const MAX_REFUSED_IN_GRACE = 256;

export class Refusals {
  /** Refused sockets still in their grace period. */
  private inGrace = 0;

  constructor(private readonly log: Logger) {}

  refuse(socket: Socket, why: string): void {
    this.log.debug(() => `connection from ${socket.remoteAddress ?? "?"} refused: ${why.replace(/_/g, " ")}`);
    socket.on("error", () => {});
    if (this.inGrace >= MAX_REFUSED_IN_GRACE) {
      socket.destroy();
      return;
    }
    this.inGrace++;
    socket.end(F.full);
    socket.resume(); // discard anything it sends; never processed
    const t = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once("close", () => {
      clearTimeout(t);
      this.inGrace--;
    });
  }
}
