// Spawns `pqchat gui --no-open --port 0` for the GUI tests and benchmark, each
// with its own download dir and config dir (XDG_CONFIG_HOME), and parses the
// one stdout line "pqchat gui: http://127.0.0.1:PORT/TOKEN/".
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN_JS, type ExitStatus } from "./server-process.js";

export interface GuiHandle {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly origin: string;
  readonly downloadDir: string;
  readonly configHome: string;
  /** $XDG_CONFIG_HOME/pqchat/gui.json */
  readonly configFile: string;
  readonly exited: Promise<ExitStatus>;
  stderr(): string;
  stdout(): string;
  /** Sends the signal (default SIGTERM) and waits for exit (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** Removes the temp dirs (after stop). */
  cleanup(): void;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export const GUI_URL_LINE = /^pqchat gui: (http:\/\/127\.0\.0\.1:(\d+)\/([0-9a-f]{32})\/)$/m;

export function startGui(opts: { args?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number; label?: string } = {}): Promise<GuiHandle> {
  const downloadDir = mkdtempSync(join(tmpdir(), "pqchat-gui-dl-"));
  const configHome = mkdtempSync(join(tmpdir(), "pqchat-gui-cfg-"));
  const started = performance.now();
  const proc = spawn(process.execPath, [MAIN_JS, "gui", "--no-open", "--port", "0", "--download-dir", downloadDir, ...(opts.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XDG_CONFIG_HOME: configHome, ...opts.env },
  });
  running.add(proc);
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8");
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d: string) => (err += d));
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once("exit", (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    });
  });
  const cleanup = (): void => {
    rmSync(downloadDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  };
  return new Promise<GuiHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`pqchat gui did not print its address within ${opts.timeoutMs ?? 10000} ms; stderr: ${err}`));
    }, opts.timeoutMs ?? 10000);
    void exited.then((st) => {
      clearTimeout(timer);
      reject(new Error(`pqchat gui exited early (code ${st.code}, signal ${st.signal}); stderr: ${err}`));
    });
    let found = false;
    proc.stdout.on("data", (d: string) => {
      out += d;
      if (found) return;
      const m = GUI_URL_LINE.exec(out);
      if (!m) return;
      found = true;
      clearTimeout(timer);
      const port = Number(m[2]);
      let stopping: Promise<ExitStatus> | null = null;
      resolve({
        proc,
        url: m[1]!,
        port,
        token: m[3]!,
        origin: `http://127.0.0.1:${port}`,
        downloadDir,
        configHome,
        configFile: join(configHome, "pqchat", "gui.json"),
        exited,
        stderr: () => err,
        stdout: () => out,
        stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 8000): Promise<ExitStatus> {
          if (stopping) return stopping;
          if (proc.exitCode !== null || proc.signalCode !== null) return (stopping = exited);
          proc.kill(signal);
          const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
          stopping = exited.finally(() => clearTimeout(kill));
          return stopping;
        },
        cleanup,
      });
      void started;
    });
  });
}
