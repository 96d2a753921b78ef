// Spawns `pqchat chat` processes for the CLI tests and reads their output line
// by line: JsonChat for `--json` (one event per line, awaited by predicate),
// TextChat for the terminal client on pipes (plain lines).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { MAIN_JS, startServer, type ExitStatus, type ServerHandle } from "./server-process.js";

export type Ev = Record<string, unknown> & { event: string; seq: number; t: number };

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export function tempDir(prefix = "pqchat-cli-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

interface Waiter<T> {
  pred: (x: T) => boolean;
  from: number;
  resolve: (x: T) => void;
}

/** Common part: a child process whose stdout is read as lines. */
abstract class LineProc<T> {
  readonly proc: ChildProcess;
  readonly items: T[] = [];
  readonly exited: Promise<ExitStatus>;
  private stderrText = "";
  private stdoutRaw = "";
  private waiters: Array<Waiter<T>> = [];
  private buf = "";

  constructor(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.proc = spawn(process.execPath, [MAIN_JS, "chat", ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, NO_COLOR: "", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    running.add(this.proc);
    this.proc.stdout!.setEncoding("utf8");
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stderr!.on("data", (d: string) => (this.stderrText += d));
    this.proc.stdout!.on("data", (d: string) => {
      this.stdoutRaw += d;
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.push(this.parse(line));
      }
    });
    this.proc.stdin!.on("error", () => {
      /* the process may exit before reading everything (EPIPE) */
    });
    this.exited = new Promise((resolve) => {
      this.proc.once("exit", (code, signal) => {
        running.delete(this.proc);
        resolve({ code, signal });
      });
    });
  }

  protected abstract parse(line: string): T;
  protected abstract describe(x: T): string;

  private push(x: T): void {
    this.items.push(x);
    const idx = this.items.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.pred(x)) {
        w.resolve(x);
        return false;
      }
      return true;
    });
  }

  stderr(): string {
    return this.stderrText;
  }

  /** Everything the process wrote on stdout, raw. */
  stdout(): string {
    return this.stdoutRaw;
  }

  /** Index to pass as `from` so that only later output matches. */
  mark(): number {
    return this.items.length;
  }

  /** The first item (at index >= from) matching pred, waiting up to timeoutMs for it. */
  waitFor(pred: (x: T) => boolean, what: string, opts: { from?: number; timeoutMs?: number } = {}): Promise<T> {
    const from = opts.from ?? 0;
    for (let i = from; i < this.items.length; i++) if (pred(this.items[i]!)) return Promise.resolve(this.items[i]!);
    const timeoutMs = opts.timeoutMs ?? 20000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const tail = this.items.slice(-15).map((x) => this.describe(x)).join("\n  ");
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last output:\n  ${tail}\nstderr: ${this.stderrText.slice(-2000)}`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        pred,
        from,
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Asserts that nothing matching pred arrives within ms (a bounded "nothing more" check). */
  async expectNone(pred: (x: T) => boolean, ms: number, from = this.mark()): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const hit = this.items.slice(from).find(pred);
    if (hit) throw new Error(`unexpected output: ${this.describe(hit)}`);
  }

  writeLine(line: string): void {
    this.proc.stdin!.write(line + "\n");
  }

  endInput(): void {
    this.proc.stdin!.end();
  }

  /** Waits for exit; SIGKILL (and an error) after timeoutMs. */
  async waitExit(timeoutMs = 10000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === "timeout") {
      this.proc.kill("SIGKILL");
      throw new Error(`process did not exit within ${timeoutMs} ms; stderr: ${this.stderrText.slice(-2000)}`);
    }
    return r;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}

/** `pqchat chat --json ...` */
export class JsonChat extends LineProc<Ev> {
  private nextId = 0;
  readonly badLines: string[] = [];

  constructor(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    super(["--json", ...args], opts);
  }

  protected parse(line: string): Ev {
    try {
      const v = JSON.parse(line) as Ev;
      if (v === null || typeof v !== "object" || typeof v.event !== "string") throw new Error("not an event");
      return v;
    } catch {
      this.badLines.push(line);
      return { event: "__not_json__", seq: -1, t: -1, line };
    }
  }

  protected describe(x: Ev): string {
    return JSON.stringify(x).slice(0, 300);
  }

  events(name?: string): Ev[] {
    return name === undefined ? this.items : this.items.filter((e) => e.event === name);
  }

  /** The first event called `name` (at index >= from) whose fields include `fields`. */
  next(name: string, fields: Record<string, unknown> = {}, opts: { from?: number; timeoutMs?: number } = {}): Promise<Ev> {
    const match = (e: Ev): boolean => e.event === name && Object.entries(fields).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v));
    return this.waitFor(match, `${name} ${JSON.stringify(fields)}`, opts);
  }

  send(cmd: Record<string, unknown>): void {
    this.writeLine(JSON.stringify(cmd));
  }

  /** Sends a command with a fresh id and resolves with its reply (cmd_ok or cmd_error). */
  async command(cmd: string, fields: Record<string, unknown> = {}, timeoutMs = 20000): Promise<Ev> {
    const id = `c${++this.nextId}`;
    this.send({ cmd, id, ...fields });
    return this.waitFor((e) => (e.event === "cmd_ok" || e.event === "cmd_error") && e.id === id, `reply to ${cmd} (${id})`, { timeoutMs });
  }

  /** Like command(), but fails unless the reply is cmd_ok. */
  async ok(cmd: string, fields: Record<string, unknown> = {}, timeoutMs = 20000): Promise<Ev> {
    const r = await this.command(cmd, fields, timeoutMs);
    if (r.event !== "cmd_ok") throw new Error(`${cmd} failed: ${JSON.stringify(r)}`);
    return r;
  }
}

/** `pqchat chat ...` (the terminal client) on pipes: plain lines. */
export class TextChat extends LineProc<string> {
  protected parse(line: string): string {
    return line;
  }

  protected describe(x: string): string {
    return JSON.stringify(x);
  }

  line(re: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    return this.waitFor((l) => re.test(l), String(re), opts);
  }
}

/**
 * Two JSON clients paired through `server` (first = initiator), key exchange
 * complete on both, both answered `verify` with `answer` unless null.
 */
export async function pairJson(
  port: number,
  opts: { argsA?: string[]; argsB?: string[]; cwdA?: string; cwdB?: string; verify?: boolean | null } = {},
): Promise<{ a: JsonChat; b: JsonChat }> {
  const a = new JsonChat([`127.0.0.1:${port}`, ...(opts.argsA ?? [])], opts.cwdA ? { cwd: opts.cwdA } : {});
  await a.next("waiting_for_peer");
  const b = new JsonChat([`127.0.0.1:${port}`, ...(opts.argsB ?? [])], opts.cwdB ? { cwd: opts.cwdB } : {});
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  const verify = opts.verify === undefined ? true : opts.verify;
  if (verify !== null) {
    await Promise.all([a.ok("verify", { answer: verify }), b.ok("verify", { answer: verify })]);
    await Promise.all([a.next("peer_verified"), b.next("peer_verified")]);
  }
  return { a, b };
}

/** Sends quit to every still-running client and waits for them (test cleanup). */
export async function quitAll(...procs: Array<JsonChat | TextChat>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
      try {
        if (p instanceof JsonChat) p.send({ cmd: "quit" });
        else p.writeLine("/quit");
        await p.waitExit(5000);
      } catch {
        p.kill();
      }
    }),
  );
}

/** What sharedRelay() gives a test file: its relay (once started) and the chat processes to quit after it. */
export interface SharedRelay {
  readonly server: ServerHandle;
  readonly procs: Array<JsonChat | TextChat>;
}

/**
 * One `pqchat server` for a whole test file, started before its tests
 * (node:test's before/after); every process pushed onto `procs` is quit
 * after them, then the server is stopped.
 */
export function sharedRelay(args: readonly string[] = ["--max-clients", "16"]): SharedRelay {
  let server: ServerHandle | null = null;
  const procs: Array<JsonChat | TextChat> = [];
  before(async () => {
    server = await startServer(args);
  });
  after(async () => {
    await quitAll(...procs);
    await server?.stop();
  });
  return {
    get server(): ServerHandle {
      if (server === null) throw new Error("the shared relay is used before it started");
      return server;
    },
    procs,
  };
}
