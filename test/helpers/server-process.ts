// Spawns a real `pqchat server` process for tests (and benchmarks):
//
//   const server = await startServer(["--max-clients", "6"]);
//   const a = await server.connect("A");   // a RawClient
//   ...
//   await server.stop();                   // SIGTERM, waits for exit
//
// The server listens on 127.0.0.1 with a free port (--port 0) and closes
// sessions at once on SIGTERM (--drain-timeout 0; tests of the drain pass
// their own --drain-timeout, which comes later and wins); startServer()
// resolves once its `listening on HOST:PORT` line appeared on stdout. Its
// stderr (the log) is collected for assertions. Servers that a test forgets to
// stop are killed when the test process exits.
import { spawn, type ChildProcess } from "node:child_process";
import { spawnTracked, waitForLine, type ExitStatus } from "./tracked-process.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RawClient } from "./raw-client.js";

/**
 * Flags that switch the per-address limits off. startServer() passes them
 * unless asked not to: every test and benchmark client comes from 127.0.0.1,
 * and a shared test server sees far more connections from it than any one
 * host should open. The limits have their own tests (server-abuse), which run
 * with `addressLimits: true` and distinct source addresses (127.0.0.2, ...).
 */
export const NO_ADDRESS_LIMITS: readonly string[] = ["--max-per-address", "0", "--connect-rate", "0", "--max-waiting-per-address", "0"];

/** dist/src/commands/main.js, resolved from this compiled file (dist/test/helpers/). */
export const MAIN_JS = fileURLToPath(new URL("../../src/commands/main.js", import.meta.url));

export type { ExitStatus };

export interface ServerHandle {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
  /** A raw frame client connected to this server (from source address `from`, e.g. "127.0.0.2", if given). */
  connect(label?: string, from?: string): Promise<RawClient>;
  /** Resident set size of the server process in bytes (Linux /proc). */
  rssBytes(): number;
  /** Sends `signal` (default SIGTERM) and waits for exit; SIGKILL after `timeoutMs`. Idempotent. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

/**
 * Preloaded into every spawned server: when the test process dies without
 * stopping it (killed by a signal, so no "exit" handler ran), the server's
 * stdin pipe closes and the server shuts down gracefully instead of lingering
 * as an orphan. The pipe is unref'd so it never keeps the server alive.
 */
const WATCHDOG =
  "data:text/javascript," +
  encodeURIComponent(
    'process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));' +
      'process.stdin.on("error", () => {});' +
      "process.stdin.resume();" +
      "process.stdin.unref();",
  );

/**
 * Starts `node dist/src/commands/main.js server --host 127.0.0.1 --port 0
 * --drain-timeout 0 ...args`, with the per-address limits off
 * (NO_ADDRESS_LIMITS) unless `addressLimits` is true; flags in `args` win
 * either way.
 */
export async function startServer(
  args: readonly string[] = [],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; cwd?: string; addressLimits?: boolean } = {},
): Promise<ServerHandle> {
  const limits = opts.addressLimits === true ? [] : NO_ADDRESS_LIMITS;
  const t = spawnTracked(
    ["--import", WATCHDOG, ...(opts.nodeArgs ?? []), MAIN_JS, "server", "--host", "127.0.0.1", "--port", "0", "--drain-timeout", "0", ...limits, ...args],
    { env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}) },
  );
  const m = await waitForLine(t, /^listening on (\[[^\]]+\]|[^\s:]+):(\d+)$/m, "the server's listening line", opts.timeoutMs ?? 10000);
  const host = m[1]!.replace(/^\[|\]$/g, "");
  const port = Number(m[2]);
  const pid = t.proc.pid!;
  return {
    proc: t.proc,
    pid,
    host,
    port,
    exited: t.exited,
    stderr: t.stderr,
    stdout: t.stdout,
    connect: (label?: string, from?: string) =>
      RawClient.connect(port, host, { ...(label === undefined ? {} : { label }), ...(from === undefined ? {} : { localAddress: from }) }),
    rssBytes: () => rssOf(pid),
    stop: t.stop,
  };
}

/**
 * A relay on a given port: the same server again after it was killed (the
 * later --port wins over startServer's --port 0). Reconnect tests kill a relay
 * with SIGKILL and start this one in its place.
 */
export function startServerOnPort(port: number, args: readonly string[] = [], opts: Parameters<typeof startServer>[1] = {}): Promise<ServerHandle> {
  return startServer([...args, "--port", String(port)], opts);
}

/** VmRSS of a process in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Runs `node dist/src/commands/main.js ...args` to completion (for --help / usage tests). */
export function runCli(
  args: readonly string[],
  timeoutMs = 10000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`pqchat ${args.join(" ")} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
