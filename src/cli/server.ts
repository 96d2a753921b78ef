// `pqchat server`: run the relay until SIGINT/SIGTERM.
import { LOG_LEVELS, Logger, type LogLevel } from "../server/log.js";
import { DEFAULT_OPTIONS, DEFAULT_PORT, MAX_JOIN_WAIT_MS, type ServerOptions } from "../server/options.js";
import { parseDuration, parseIntFlag, parseSize, UsageError } from "./args.js";
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

export const SERVER_HELP = `Usage: pqchat server [options]

Run the Secure Chat Protocol relay. It pairs clients, forwards the bytes of
each pair's session (which it cannot read) and sends keepalives.

Options:
  --host HOST                 address to listen on (default ${DEFAULT_OPTIONS.host})
  --port PORT                 TCP port, 0 picks a free one (default ${DEFAULT_PORT})
  --max-clients N             clients served at once, an even number (default 2,
                              like the reference server); more connections get
                              SERVER_FULL and are closed
  --keepalive-interval TIME   KEEP_ALIVE period; 3 unanswered probes disconnect
                              (default 60s)
  --max-frame BYTES           largest frame payload accepted (default ${DEFAULT_OPTIONS.maxFrame})
  --join-wait TIME            how long a new connection may take to send a JOIN
                              (room) before it is paired in the lobby; at most
                              ${MAX_JOIN_WAIT_MS}ms (default ${DEFAULT_OPTIONS.joinWaitMs}ms)
  --exchange-timeout TIME     a pair must finish its key exchange this long after
                              pairing; the stalling client is disconnected
                              (default 60s)
  --frame-timeout TIME        a started frame must arrive completely within this
                              time (default 30s)
  --log-level LEVEL           silent, error, warn, info or debug (default info);
                              logs go to stderr, addresses only at debug
  -h, --help                  show this help

TIME is 200ms, 60s, 5m or plain seconds. Prints "listening on HOST:PORT" once
it accepts connections; SIGINT/SIGTERM disconnect everyone and exit 0.`;

export type ParsedServerArgs = { help: true } | { help: false; options: ServerOptions };

const FLAGS = new Set([
  "--host",
  "--port",
  "--max-clients",
  "--keepalive-interval",
  "--max-frame",
  "--log-level",
  "--join-wait",
  "--exchange-timeout",
  "--frame-timeout",
]);

/** Parses `pqchat server` arguments; throws UsageError (exit status 2) on bad input. */
export function parseServerArgs(argv: readonly string[]): ParsedServerArgs {
  const o: ServerOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return { help: true };
    let flag = arg;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    if (!FLAGS.has(flag)) throw new UsageError(`server: unknown option "${arg}" (try 'pqchat server --help')`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${flag}: missing value`);
    }
    switch (flag) {
      case "--host":
        if (value.trim() === "") throw new UsageError("--host: must not be empty");
        o.host = value.trim();
        break;
      case "--port":
        o.port = parseIntFlag(value, flag, 0, 65535);
        break;
      case "--max-clients":
        o.maxClients = parseIntFlag(value, flag, 2, 1_000_000);
        if (o.maxClients % 2 !== 0) throw new UsageError(`${flag}: must be an even number (clients are served in pairs)`);
        break;
      case "--keepalive-interval":
        o.keepaliveIntervalMs = parseDuration(value, flag);
        break;
      case "--max-frame": {
        const n = parseSize(value, flag);
        if (n < 8192 || n > 0xffffffff) throw new UsageError(`${flag}: must be between 8192 and 4294967295 bytes`);
        o.maxFrame = n;
        break;
      }
      case "--log-level":
        if (!(LOG_LEVELS as readonly string[]).includes(value)) {
          throw new UsageError(`${flag}: expected one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
        }
        o.logLevel = value as LogLevel;
        break;
      case "--join-wait":
        o.joinWaitMs = parseDuration(value, flag);
        if (o.joinWaitMs > MAX_JOIN_WAIT_MS) throw new UsageError(`${flag}: must be at most ${MAX_JOIN_WAIT_MS}ms`);
        break;
      case "--exchange-timeout":
        o.exchangeTimeoutMs = parseDuration(value, flag);
        break;
      case "--frame-timeout":
        o.frameTimeoutMs = parseDuration(value, flag);
        break;
    }
  }
  for (const [flag, ms] of [
    ["--keepalive-interval", o.keepaliveIntervalMs],
    ["--exchange-timeout", o.exchangeTimeoutMs],
    ["--frame-timeout", o.frameTimeoutMs],
  ] as const) {
    // setTimeout's limit; longer values would fire immediately.
    if (ms > 2_147_483_647) throw new UsageError(`${flag}: too long`);
  }
  return { help: false, options: o };
}
