// A real HAProxy (Debian's haproxy package; CI installs it) in front of relay
// nodes, for the load-balancer tests:
//
//   const lb = await startHaproxy([{ host, port, metricsPort }, ...]);
//   const c = await lb.connect("A");       // a RawClient through the balancer
//   await lb.waitForServer("node0", (s) => s.status === "DOWN");
//   await lb.stop();
//
// It runs in the foreground (`-db`) with a config written to a temp dir: TCP
// mode, round robin, and an HTTP health check of each node's /readyz on its
// metrics port every 200 ms (one failure marks a node down, one success up:
// short, for tests; deploy/haproxy.cfg has production values). A stats socket
// in the same dir answers `show stat`, which is how a test learns what the
// balancer did (each server's state, last check and sessions sent to it).
// startHaproxy() resolves once every node has passed its first health check.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { RawClient } from "./raw-client.js";
import { freePort } from "./redis-server.js";

export interface BackendNode {
  host: string;
  /** The node's client port. */
  port: number;
  /** The node's --metrics port (serves /readyz). */
  metricsPort: number;
}

/** One server line of HAProxy's `show stat` (the fields the tests read). */
export interface ServerStat {
  name: string;
  /** "UP", "DOWN", "UP 1/2" (going down), "DOWN 1/2" (going up), "MAINT"… */
  status: string;
  /** The last health check's result: "L7OK", "L7STS" (wrong HTTP status), "L4CON" (refused)… */
  checkStatus: string;
  /** The last health check's HTTP status, when it got one. */
  checkCode: string;
  /** Client connections HAProxy has sent to this server in total. */
  sessionsTotal: number;
  /** Client connections open to it now. */
  sessionsNow: number;
  /** Connections HAProxy failed to open to it and gave to another server (redispatches). */
  redispatched: number;
}

export interface HaproxyHandle {
  readonly host: string;
  readonly port: number;
  /** The config HAProxy runs with (for the log of a failing test). */
  readonly config: string;
  /** Everything HAProxy wrote to stderr so far (its warnings: servers going up and down). */
  stderr(): string;
  /** A raw frame client connected through the balancer. */
  connect(label?: string): Promise<RawClient>;
  /** The servers of the backend, as `show stat` reports them now. */
  servers(): Promise<ServerStat[]>;
  /** Runs one command on the stats socket (e.g. "disable health relays/node0") and returns the answer. */
  command(cmd: string): Promise<string>;
  /** Waits (polling the stats socket) until server `name` satisfies `pred`; returns its stat line. */
  waitForServer(name: string, pred: (s: ServerStat) => boolean, timeoutMs?: number): Promise<ServerStat>;
  /** Stops HAProxy and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

export const BACKEND = "relays";

/** The config: TCP mode, round robin, /readyz health checks with test-sized intervals. */
export function haproxyConfig(listen: { host: string; port: number }, nodes: readonly BackendNode[], statsSocket: string): string {
  return [
    "global",
    "    maxconn 1000",
    `    stats socket ${statsSocket} mode 600 level admin`,
    "",
    "defaults",
    "    mode tcp",
    "    timeout connect 5s",
    "    timeout client 1h",
    "    timeout server 1h",
    "    retries 3",
    "    option redispatch 1",
    "",
    "frontend pqchat",
    `    bind ${listen.host}:${listen.port}`,
    `    default_backend ${BACKEND}`,
    "",
    `backend ${BACKEND}`,
    "    balance roundrobin",
    "    option httpchk GET /readyz",
    "    http-check expect status 200",
    "    default-server inter 200ms fall 1 rise 1",
    ...nodes.map((n, i) => `    server node${i} ${n.host}:${n.port} check port ${n.metricsPort}`),
    "",
  ].join("\n");
}

/** Starts `haproxy -f <cfg> -db` balancing to `nodes` (named node0, node1, … in order). */
export async function startHaproxy(nodes: readonly BackendNode[], opts: { timeoutMs?: number } = {}): Promise<HaproxyHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-haproxy-"));
  const statsSocket = path.join(dir, "admin.sock");
  const listen = { host: "127.0.0.1", port: await freePort() };
  const config = haproxyConfig(listen, nodes, statsSocket);
  const cfgFile = path.join(dir, "haproxy.cfg");
  await writeFile(cfgFile, config);
  const proc: ChildProcess = spawn("haproxy", ["-f", cfgFile, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (err += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let spawnError: Error | null = null;
  proc.once("error", (e) => (spawnError = e));
  const killOnExit = (): void => void proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stopped: Promise<void> | null = null;

  const servers = async (): Promise<ServerStat[]> => parseShowStat(await statsCommand(statsSocket, "show stat"));
  const handle: HaproxyHandle = {
    host: listen.host,
    port: listen.port,
    config,
    stderr: () => err,
    connect: (label?: string) => RawClient.connect(listen.port, listen.host, label === undefined ? {} : { label }),
    servers,
    command: (cmd: string) => statsCommand(statsSocket, cmd),
    async waitForServer(name, pred, timeoutMs = 20_000) {
      let last: ServerStat | undefined;
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await delay(50)) {
        last = (await servers()).find((s) => s.name === name);
        if (last && pred(last)) return last;
      }
      throw new Error(`timed out waiting for HAProxy's ${name}; last stat ${JSON.stringify(last)}; haproxy said:\n${err}`);
    },
    stop() {
      stopped ??= (async () => {
        process.off("exit", killOnExit);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
        await exited;
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };

  // Ready once the stats socket answers and every node passed a health check
  // (so the first client is not balanced to a node HAProxy has not seen yet).
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (spawnError !== null) {
      await handle.stop();
      throw new Error(`haproxy could not be started (${(spawnError as Error).message}); install Debian's haproxy`);
    }
    if (proc.exitCode !== null) {
      await handle.stop();
      throw new Error(`haproxy exited at start (code ${proc.exitCode}):\n${err}\nconfig:\n${config}`);
    }
    const stats = await servers().catch(() => null);
    if (stats !== null && stats.length === nodes.length && stats.every((s) => s.status === "UP" && s.checkStatus === "L7OK")) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`haproxy not ready: ${JSON.stringify(stats)}\n${err}`);
    }
    await delay(50);
  }
}

/** Sends one command to HAProxy's stats socket and returns its whole answer. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath });
    let out = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => (out += d));
    s.once("error", reject);
    s.once("close", () => resolve(out));
    s.once("connect", () => s.end(`${command}\n`));
  });
}

/** The backend's server rows of `show stat` (CSV with a "# " header line). */
export function parseShowStat(csv: string): ServerStat[] {
  const lines = csv.split("\n").filter((l) => l !== "");
  const header = lines[0]?.replace(/^# /, "").split(",") ?? [];
  const col = (row: string[], name: string): string => row[header.indexOf(name)] ?? "";
  return lines
    .slice(1)
    .map((l) => l.split(","))
    .filter((row) => col(row, "pxname") === BACKEND && !["FRONTEND", "BACKEND"].includes(col(row, "svname")))
    .map((row) => ({
      name: col(row, "svname"),
      status: col(row, "status"),
      checkStatus: col(row, "check_status").replace(/^\* /, ""),
      checkCode: col(row, "check_code"),
      sessionsTotal: Number(col(row, "stot")),
      sessionsNow: Number(col(row, "scur")),
      redispatched: Number(col(row, "wredis")),
    }));
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
