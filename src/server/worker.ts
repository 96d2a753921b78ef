// One relay worker of `pqchat server --workers N`: a RelayServer without a
// listener of its own, serving the connections its primary hands it (the
// rooms that hash to it, and the lobby for worker 0) with every rule of a
// single relay. Per-address connection caps and rates are the primary's;
// waiting limits, --max-wait and making room when full apply per worker.
import type { Socket } from "node:net";
import { createRelayRegistry } from "./metrics.js";
import type { Logger } from "./log.js";
import type { ServerOptions } from "./options.js";
import { RelayServer } from "./relay.js";
import type { FromWorker, ToWorker } from "./worker-messages.js";

/** Each worker's share of --max-clients: an even number, at least one pair. */
export function workerShare(maxClients: number, workers: number): number {
  return Math.max(2, 2 * Math.floor(maxClients / workers / 2));
}

/** Serves connections until the primary says drain or stop, or goes away; resolves when done. */
export function runRelayWorker(opts: ServerOptions, log: Logger): Promise<void> {
  const relay = new RelayServer({ ...opts, maxClients: workerShare(opts.maxClients, opts.workers), maxPerAddress: 0, connectRate: 0 }, log);
  const registry = createRelayRegistry(relay);
  const send = (m: FromWorker): void => {
    if (process.connected) process.send!(m);
  };
  // The primary coordinates shutdown; a terminal's Ctrl-C reaches the whole process group.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  return new Promise<void>((resolve) => {
    process.on("message", (m: ToWorker, handle: unknown) => {
      switch (m.t) {
        case "conn": {
          const socket = handle as Socket | undefined;
          if (socket === undefined) {
            send({ t: "end", id: m.id });
            return;
          }
          socket.once("close", () => send({ t: "end", id: m.id }));
          relay.adopt(socket, m.id, m.room, m.joined, Buffer.from(m.head.buffer, m.head.byteOffset, m.head.byteLength));
          return;
        }
        case "drain":
          relay.drain(m.ms).then(resolve, resolve);
          return;
        case "stop":
          relay.destroyAll();
          resolve();
          return;
        case "metrics":
          registry.getMetricsAsJSON().then(
            (data) => send({ t: "metrics", req: m.req, data }),
            () => send({ t: "metrics", req: m.req, data: [] }),
          );
          return;
      }
    });
    // The primary is gone (killed): nobody can hand us clients or stop us.
    process.on("disconnect", () => {
      relay.destroyAll();
      resolve();
    });
    send({ t: "ready" });
  });
}
