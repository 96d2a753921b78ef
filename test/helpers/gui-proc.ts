// Spawns `pqchat gui --no-open --port 0` for the GUI tests and benchmark, each
// with its own download dir and config dir (XDG_CONFIG_HOME), and parses the
// one stdout line "pqchat gui: http://127.0.0.1:PORT/TOKEN/".
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN_JS } from "./server-process.js";
import { spawnTracked, waitForLine, type ExitStatus } from "./tracked-process.js";

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

export const GUI_URL_LINE = /^pqchat gui: (http:\/\/127\.0\.0\.1:(\d+)\/([0-9a-f]{32})\/)$/m;

export async function startGui(opts: { args?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number; label?: string } = {}): Promise<GuiHandle> {
  const downloadDir = mkdtempSync(join(tmpdir(), "pqchat-gui-dl-"));
  const configHome = mkdtempSync(join(tmpdir(), "pqchat-gui-cfg-"));
  const t = spawnTracked([MAIN_JS, "gui", "--no-open", "--port", "0", "--download-dir", downloadDir, ...(opts.args ?? [])], {
    env: { ...process.env, XDG_CONFIG_HOME: configHome, ...opts.env },
    stopTimeoutMs: 8000,
  });
  const cleanup = (): void => {
    rmSync(downloadDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  };
  const m = await waitForLine(t, GUI_URL_LINE, "the pqchat gui address line", opts.timeoutMs ?? 10000);
  const port = Number(m[2]);
  return {
    proc: t.proc,
    url: m[1]!,
    port,
    token: m[3]!,
    origin: `http://127.0.0.1:${port}`,
    downloadDir,
    configHome,
    configFile: join(configHome, "pqchat", "gui.json"),
    exited: t.exited,
    stderr: t.stderr,
    stdout: t.stdout,
    stop: t.stop,
    cleanup,
  };
}
