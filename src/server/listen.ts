// Opening a listener: resolves with the address actually bound (port 0 picks
// one) or rejects with the bind error; errors after that are logged, never
// thrown, so a listener problem cannot take a serving relay down.
import type { AddressInfo, Server } from "node:net";
import type { Logger } from "./log.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export function listenOn(server: Server, host: string, port: number, log: Logger, what = "listener"): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      server.off("error", reject);
      server.on("error", (err) => log.error(`${what}: ${err.message}`));
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}
