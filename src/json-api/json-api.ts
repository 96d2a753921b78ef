// The JSON-lines interface, `pqchat chat --json` (docs/JSON-API.md is the
// contract): commands as one JSON object per line on stdin, events as one JSON
// object per line on stdout. Nothing but events ever reaches stdout; every
// diagnostic goes to stderr. Every command gets exactly one reply (cmd_ok or
// cmd_error); no exception escapes to the process.
//
// This module wires the parts: the command table (commands.ts) behind the
// line handler (command-lines.ts), the event table (events.ts), and the
// back-pressured stdout (line-writer.ts).
import { performance } from "node:perf_hooks";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ClientApi, ClientOptions, ConnectOptions } from "../client/api.js";
import type { ClientEventMap } from "../client/events.js";
import { packageVersion } from "../client/version.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { errorText } from "../present/error-text.js";
import { DISCONNECT_TIMEOUT_MS } from "../present/limits.js";
import { CommandLines } from "./command-lines.js";
import { type CommandContext, JsonApiRefusal } from "./commands.js";
import { eventFields, FORWARDED_EVENTS, type Fields } from "./events.js";
import { LineWriter } from "./line-writer.js";

export { COMMANDS } from "./commands.js";
export { FORWARDED_EVENTS } from "./events.js";
export { OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER } from "./line-writer.js";

export interface JsonApiOptions {
  createCore: (options: ClientOptions) => ClientApi;
  options: ClientOptions & { downloadDir: string };
  /** Connect at once (a host was given on the command line). */
  connect: ConnectOptions | null;
  /** Room for a `connect` command without a "room" field (--room). */
  defaultRoom?: string | null;
  input?: Readable;
  output?: Writable;
  /** Diagnostics (never events). */
  diag?: (line: string) => void;
}

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
const CRASHES = ["uncaughtException", "unhandledRejection"] as const;

/** One running JSON API: its output line, its client, its input and its ending. */
class JsonApi {
  private seq = 0;
  private exiting = false;
  private connecting = false;
  private core!: ClientApi;
  private lines: CommandLines | null = null;
  private rl: Interface | null = null;
  private readonly input: Readable;
  private readonly output: Writable;
  private readonly diag: (line: string) => void;
  private readonly writer: LineWriter;
  private finish!: (code: number) => void;
  readonly finished = new Promise<number>((res) => (this.finish = res));

  constructor(private readonly opts: JsonApiOptions) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stdout;
    this.diag = opts.diag ?? ((line: string) => void process.stderr.write(`pqchat: ${line}\n`));
    this.writer = new LineWriter(this.output, (err) => {
      // Nobody reads our events any more (EPIPE): leave, there is no one to report to.
      this.diag(`stdout closed (${err.message}); exiting`);
      void this.shutdown(1);
    });
  }

  readonly emit = (event: string, fields: Fields = {}): void => {
    const t = Math.round(performance.now()) / 1000;
    let line: string;
    try {
      line = JSON.stringify({ event, seq: ++this.seq, t, ...fields });
    } catch (err) {
      // Cannot happen with core events (plain data); never let it escape.
      line = JSON.stringify({ event: "error", seq: this.seq, t, kind: "malformed", text: `could not encode ${event}: ${errorText(err)}` });
    }
    this.writer.write(line);
  };

  /** Starts the client; false (after the error and exit lines) when it cannot be built. */
  async start(): Promise<boolean> {
    this.emit("ready", { version: packageVersion(), protocol_version: PROTOCOL_VERSION, download_dir: this.opts.options.downloadDir });
    try {
      this.core = this.opts.createCore(this.opts.options);
    } catch (err) {
      this.diag(`cannot start the client: ${errorText(err)}`);
      this.emit("error", { kind: "io_error", text: `cannot start the client: ${errorText(err)}`, count: 1 });
      this.emit("exit", { code: 1 });
      await this.writer.flush();
      return false;
    }
    this.writer.onPressure = (on) => (on ? this.core.pauseInbound("json-output") : this.core.resumeInbound("json-output"));
    for (const name of FORWARDED_EVENTS) this.core.on(name, (payload) => this.forward(name, payload));
    this.lines = new CommandLines(this.context(), this.diag);
    return true;
  }

  private forward<K extends keyof ClientEventMap>(name: K, payload: ClientEventMap[K]): void {
    try {
      this.emit(name, eventFields(name, payload));
      if (name === "disconnected") this.connecting = false;
    } catch (err) {
      this.diag(`event ${name}: ${errorText(err)}`);
    }
  }

  private context(): CommandContext {
    return {
      core: this.core,
      defaultRoom: this.opts.defaultRoom ?? null,
      connect: (target) => this.connect(target),
      disconnect: async () => {
        if (!(await this.disconnect())) throw new Error("the disconnect did not complete");
      },
      emit: this.emit,
      quit: () => void this.shutdown(0),
    };
  }

  /** One connection at a time: refused while connected or connecting, allowed again after "disconnected". */
  private async connect(target: ConnectOptions): Promise<void> {
    const phase = this.core.state().phase;
    if (this.connecting || (phase !== "disconnected" && phase !== "reconnecting" && phase !== undefined)) {
      throw new JsonApiRefusal("already_connected", `already connected (${phase}); connect is allowed again after "disconnected" or while "reconnecting"`);
    }
    this.connecting = true;
    try {
      await this.core.connect(target);
    } finally {
      this.connecting = false;
    }
  }

  private readonly onSignal = (): void => void this.shutdown(0);
  // A bug anywhere below us must not end the stream without a word: report it
  // as an error event (details on stderr) and end cleanly with exit {code: 1}.
  private readonly onCrash = (err: unknown): void => {
    this.diag(`internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}`);
    this.emit("error", { kind: "io_error", text: `internal error: ${errorText(err)}`, count: 1 });
    void this.shutdown(1);
  };

  /** Reads commands until EOF, a signal, `quit` or a crash; connects at once when a host was given. */
  listen(): void {
    const rl = createInterface({ input: this.input, crlfDelay: Infinity, terminal: false });
    this.rl = rl;
    rl.on("line", (line) => {
      try {
        this.lines?.handle(line);
      } catch (err) {
        this.diag(`internal error handling a command: ${errorText(err)}`);
      }
    });
    rl.on("close", () => void this.shutdown(0)); // stdin EOF
    for (const s of SIGNALS) process.on(s, this.onSignal);
    for (const c of CRASHES) process.on(c, this.onCrash);
    const target = this.opts.connect;
    if (target) {
      this.connect(target).catch((err: unknown) => {
        this.emit("error", { kind: "connection_error", text: `cannot connect to ${target.host}:${target.port}: ${errorText(err)}`, count: 1 });
      });
    }
  }

  private async shutdown(code: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    if (this.lines) this.lines.closed = true;
    for (const s of SIGNALS) process.off(s, this.onSignal);
    for (const c of CRASHES) process.off(c, this.onCrash);
    this.rl?.close();
    code = (await this.disconnect()) ? code : code || 1;
    this.lines?.cancelAll();
    this.emit("exit", { code });
    await this.writer.flush();
    if (this.input === process.stdin) process.stdin.destroy();
    this.finish(code);
  }

  /** CLIENT_DISCONNECT, then the socket closes; false when that failed or did not end in time (a dead peer link). */
  private async disconnect(): Promise<boolean> {
    try {
      const phase = this.core.state().phase;
      if (phase === "disconnected" || phase === "reconnecting") {
        this.core.cancelReconnect();
        return true;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), DISCONNECT_TIMEOUT_MS)));
      const r = await Promise.race([this.core.disconnect().then(() => "ok" as const), timeout]);
      clearTimeout(timer);
      if (r === "ok") return true;
      this.diag("disconnect did not complete within 3 s");
    } catch (err) {
      this.diag(`disconnect failed: ${errorText(err)}`);
    }
    return false;
  }
}

export async function runJsonApi(opts: JsonApiOptions): Promise<number> {
  // stdout belongs to the event stream: anything a dependency logs goes to stderr.
  if ((opts.output ?? process.stdout) === process.stdout) {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
  }
  const api = new JsonApi(opts);
  if (!(await api.start())) return 1;
  api.listen();
  return api.finished;
}
