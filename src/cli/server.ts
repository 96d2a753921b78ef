// `pqchat server`: run the relay until SIGINT/SIGTERM.
import { Logger } from "../server/log.js";
import { parseServerArgs, SERVER_HELP } from "../server/options.js";
import { RelayServer, type ListenAddress } from "../server/relay.js";

export function formatAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export async function runServer(argv: string[]): Promise<number> {
  const parsed = parseServerArgs(argv);
  if (parsed.help) {
    process.stdout.write(SERVER_HELP + "\n");
    return 0;
  }
  const opts = parsed.options;
  const log = new Logger(opts.logLevel);
  const relay = new RelayServer(opts, log);
  const address = await relay.listen();
  // The one line on stdout; scripts and tests wait for it.
  process.stdout.write(`listening on ${formatAddress(address)}\n`);
  log.info(`relay ready for up to ${opts.maxClients} clients`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) {
        // Second signal: don't wait for slow clients.
        relay.destroyAll();
        return;
      }
      stopping = true;
      log.info("shutting down");
      relay.shutdown().then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  log.info("stopped");
  return 0;
}
