// `pqchat server`: run the relay until SIGTERM/SIGINT (a first signal drains,
// a second ends at once). With --workers N this process is the primary and
// node:cluster starts N copies of it as workers (src/server/primary.ts).
import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClusterNode, type ClusterOptions } from "../server/cluster/node.js";
import { HealthHttp } from "../server/health-http.js";
import { Logger } from "../server/log.js";
import { createRelayRegistry } from "../server/metrics.js";
import type { ServerOptions } from "../server/options.js";
import { RelayPrimary } from "../server/primary.js";
import { RelayServer, type ListenAddress } from "../server/relay.js";
import { runRelayWorker } from "../server/worker.js";
import { UsageError } from "./args.js";
import { formatConfig, optionsHelp, parseServerArgs } from "./server-config.js";

export { parseServerArgs, type ParsedServerArgs } from "./server-config.js";

/** One relay process, the primary of several, or a node of a cluster. */
type Relay = RelayServer | RelayPrimary | ClusterNode;

/** The cluster settings, checked: a secret from its file, and no --workers (not combined yet). */
function clusterOptions(opts: ServerOptions): ClusterOptions {
  if (opts.workers > 1) throw new UsageError("--redis and --workers cannot be combined yet: run one node per core instead");
  if (opts.clusterSecretFile === null) throw new UsageError("--redis needs --cluster-secret-file");
  let secret: Buffer;
  try {
    secret = Buffer.from(readFileSync(opts.clusterSecretFile, "utf8").trim(), "utf8");
  } catch (err) {
    throw new UsageError(`--cluster-secret-file ${opts.clusterSecretFile}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (secret.length < 32) throw new UsageError(`--cluster-secret-file ${opts.clusterSecretFile}: the secret must be at least 32 characters`);
  return { redisUrl: opts.redis!, clusterPort: opts.clusterPort, advertise: opts.advertise, secret, nodeId: randomUUID(), leaseMs: opts.clusterLeaseMs };
}

export function formatAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export async function runServer(argv: string[]): Promise<number> {
  const parsed = parseServerArgs(argv, process.env);
  if (parsed.help) {
    process.stdout.write(SERVER_HELP + "\n");
    return 0;
  }
  if (parsed.printConfig) {
    process.stdout.write(formatConfig(parsed));
    return 0;
  }
  const opts = parsed.options;
  const log = new Logger(opts.logLevel, process.stderr, opts.logFormat);
  if (cluster.isWorker) {
    await runRelayWorker(opts, log);
    // A worker lives exactly as long as its primary wants it: nothing it may
    // still hold (an IPC handle, a metrics timer) may keep it running.
    process.exit(0);
  }
  const relay = opts.redis !== null ? new ClusterNode(opts, clusterOptions(opts), log) : opts.workers > 1 ? new RelayPrimary(opts, log) : new RelayServer(opts, log);
  const address = await relay.listen();
  const http = opts.metrics === null ? null : await startMetrics(relay, opts.metrics, log);
  // The last line on stdout; scripts and tests wait for it.
  process.stdout.write(`listening on ${formatAddress(address)}\n`);
  log.info(`relay ready for up to ${opts.maxClients} clients`);
  await untilStopped(relay, opts, log);
  await http?.close();
  log.info("stopped");
  return 0;
}

/** The metrics and health endpoints; if their port cannot be had, the relay is closed and the error names the flag. */
async function startMetrics(relay: Relay, at: ListenAddress, log: Logger): Promise<HealthHttp> {
  const metrics = relay instanceof RelayPrimary ? relay.metricsText() : createRelayRegistry(relay instanceof ClusterNode ? relay.relay : relay);
  const http = new HealthHttp(metrics, { started: () => true, draining: () => relay.gauges().draining }, log);
  try {
    const m = await http.listen(at.host, at.port);
    process.stdout.write(`metrics on ${formatAddress(m)}\n`);
    return http;
  } catch (err) {
    // Without this the relay's listener would keep the process alive.
    relay.destroyAll();
    await relay.drain(0);
    throw new Error(`--metrics ${formatAddress(at)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Resolves once the relay has stopped: a first SIGTERM/SIGINT drains, a second stops at once. */
async function untilStopped(relay: Relay, opts: ServerOptions, log: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.info(`${signal} again: stopping now`);
        relay.destroyAll();
        resolve();
        return;
      }
      stopping = true;
      const g = relay.gauges();
      log.info(
        opts.drainTimeoutMs > 0 && g.paired > 0
          ? `${signal}: draining; ${g.paired / 2} sessions may go on for up to ${opts.drainTimeoutMs / 1000}s (signal again to stop now)`
          : `${signal}: shutting down`,
      );
      relay.drain(opts.drainTimeoutMs).then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
}

export const SERVER_HELP = `Usage: pqchat server [options]

Run the Secure Chat Protocol relay. It pairs clients, forwards the bytes of
each pair's session (which it cannot read) and sends keepalives.

Options:
${optionsHelp()}

Every option can also be set in the config file (the flag without its dashes:
max-clients = 100) or in the environment (PQCHAT_MAX_CLIENTS=100); flags win
over the environment, the environment over the file.

TIME is 200ms, 60s, 5m or plain seconds. Prints "listening on HOST:PORT" once
it accepts connections (after "metrics on HOST:PORT" with --metrics). SIGTERM
or SIGINT drains: nobody new is accepted, clients waiting for a partner are
told "Server shutting down", sessions go on for up to --drain-timeout, then
everyone is disconnected the same way and the relay exits 0. A second signal
ends at once.`;
