// A child `node` process for tests and benchmarks: stdout and stderr are
// collected, the process is killed if the test process exits first, and
// `waitForLine` resolves when a line matching a pattern appears on stdout.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TrackedProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ExitStatus>;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and waits for exit; SIGKILL after `timeoutMs`. Idempotent. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export function spawnTracked(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; stopTimeoutMs?: number; cwd?: string } = {}): TrackedProcess {
  const proc = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  running.add(proc);
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  proc.stdin.on("error", () => {
    /* the process may exit before reading its stdin (EPIPE) */
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    });
  });
  let stopping: Promise<ExitStatus> | null = null;
  return {
    proc,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = opts.stopTimeoutMs ?? 5000): Promise<ExitStatus> {
      if (stopping) return stopping;
      if (proc.exitCode !== null || proc.signalCode !== null) return (stopping = exited);
      proc.kill(signal);
      const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      stopping = exited.finally(() => clearTimeout(kill));
      return stopping;
    },
  };
}

/** Resolves with the first match of `pattern` in stdout; rejects on timeout or early exit. */
export function waitForLine(t: TrackedProcess, pattern: RegExp, what: string, timeoutMs = 10000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = pattern.exec(t.stdout());
      if (!m) return false;
      clearTimeout(timer);
      t.proc.stdout.off("data", onData);
      resolve(m);
      return true;
    };
    const onData = (): void => void check();
    const timer = setTimeout(() => {
      t.proc.stdout.off("data", onData);
      t.proc.kill("SIGKILL");
      reject(new Error(`${what} did not appear within ${timeoutMs} ms; stderr: ${t.stderr()}`));
    }, timeoutMs);
    void t.exited.then((st) => {
      clearTimeout(timer);
      reject(new Error(`process exited before ${what} (code ${st.code}, signal ${st.signal}); stderr: ${t.stderr()}`));
    });
    // The data listener that collects stdout was added first, so stdout() is current here.
    t.proc.stdout.on("data", onData);
    check();
  });
}
