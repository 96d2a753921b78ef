// The JSON-lines interface, `pqchat chat --json` (docs/JSON-API.md is the
// contract): commands as one JSON object per line on stdin, events as one JSON
// object per line on stdout. Nothing but events ever reaches stdout; every
// diagnostic goes to stderr. Every command gets exactly one reply (cmd_ok or
// cmd_error); no exception escapes to the process.
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ClientApi, ClientOptions, ConnectOptions } from "../client/api.js";
import type { AcceptFilesPolicy, ClientEventMap, ClientEventName, Policy } from "../client/events.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { packageVersion } from "../client/version.js";
import { errorText } from "../present/error-text.js";
import { OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER } from "../present/limits.js";

/** Every core event, forwarded 1:1 (the compile-time check below keeps this complete). */
export const FORWARDED_EVENTS = [
  "connected",
  "server_version",
  "peer_version",
  "waiting_for_peer",
  "key_exchange_started",
  "key_exchange_complete",
  "verified",
  "peer_verified",
  "message",
  "sent",
  "delivered",
  "nickname",
  "nickname_ignored",
  "ephemeral_mode",
  "file_offer",
  "file_offered",
  "file_accepted",
  "file_rejected",
  "file_progress",
  "file_sent",
  "file_complete",
  "file_received",
  "file_receive_failed",
  "file_send_failed",
  "file_expired",
  "rekey_started",
  "rekey_done",
  "rekey_prompt",
  "voice_call_rejected",
  "emergency_close",
  "reset",
  "server_full",
  "server_disconnect",
  "server_error",
  "disconnected",
  "error",
] as const satisfies readonly ClientEventName[];
type Unforwarded = Exclude<ClientEventName, (typeof FORWARDED_EVENTS)[number]>;
const _allForwarded: [Unforwarded] extends [never] ? true : Unforwarded = true;
void _allForwarded;

/** The commands of the contract, in documentation order. */
export const COMMANDS = [
  "connect",
  "verify",
  "auto_verify",
  "send",
  "file",
  "accept",
  "reject",
  "accept_files",
  "rekey",
  "rekey_answer",
  "nick",
  "emergency_close",
  "state",
  "quit",
] as const;
type CommandName = (typeof COMMANDS)[number];

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

/** Thrown for a bad command; its message is the cmd_error text. */
class BadCommand extends Error {}

type Fields = Record<string, unknown>;

export { OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER };

/**
 * Writes one line per event, in order, respecting backpressure: when the
 * stream asks us to wait, later lines queue up in memory until 'drain'. The
 * queue is bounded without dropping anything: past OUTPUT_HIGH_WATER,
 * `onPressure(true)` stops the client reading from the relay (so the peer's
 * messages wait in TCP buffers, then at the peer), and `onPressure(false)`
 * resumes once the reader caught up below OUTPUT_LOW_WATER.
 */
class LineWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  private pressured = false;
  onPressure: (on: boolean) => void = () => undefined;
  private waiting = false;
  private broken = false;
  private idle: Array<() => void> = [];
  private pendingCallbacks = 0;

  constructor(
    private readonly out: Writable,
    private readonly onBroken: (err: Error) => void,
  ) {
    out.on("error", (err: Error) => {
      if (this.broken) return;
      this.broken = true;
      this.queue = [];
      this.queuedBytes = 0;
      this.settle();
      this.onBroken(err);
    });
  }

  write(line: string): void {
    if (this.broken) return;
    if (this.waiting) {
      this.queue.push(line);
      this.queuedBytes += line.length;
      if (!this.pressured && this.queuedBytes > OUTPUT_HIGH_WATER) {
        this.pressured = true;
        this.onPressure(true);
      }
      return;
    }
    this.push(line);
  }

  private push(line: string): void {
    this.pendingCallbacks++;
    const ok = this.out.write(line + "\n", () => {
      this.pendingCallbacks--;
      this.settle();
    });
    if (!ok) {
      this.waiting = true;
      this.out.once("drain", () => {
        this.waiting = false;
        while (!this.waiting && this.queue.length > 0 && !this.broken) {
          const line = this.queue.shift()!;
          this.queuedBytes -= line.length;
          this.push(line);
        }
        if (this.pressured && this.queuedBytes < OUTPUT_LOW_WATER) {
          this.pressured = false;
          this.onPressure(false);
        }
        this.settle();
      });
    }
  }

  private settle(): void {
    if (this.broken || (this.queue.length === 0 && !this.waiting && this.pendingCallbacks === 0)) {
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once every line so far has been handed to the OS (or the stream broke). */
  flush(): Promise<void> {
    return new Promise((res) => {
      this.idle.push(res);
      this.settle();
    });
  }
}

function str(cmd: Fields, key: string, opts: { optional?: boolean; nonEmpty?: boolean } = {}): string | undefined {
  const v = cmd[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new BadCommand(`missing "${key}" (a string)`);
  }
  if (typeof v !== "string") throw new BadCommand(`"${key}" must be a string`);
  if (opts.nonEmpty && v.length === 0) throw new BadCommand(`"${key}" must not be empty`);
  return v;
}

function bool(cmd: Fields, key: string, optional = false): boolean | undefined {
  const v = cmd[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "boolean") throw new BadCommand(`"${key}" must be true or false`);
  return v;
}

function policy(cmd: Fields, key: string): Policy {
  const v = cmd[key];
  if (v === true || v === false || v === "ask") return v;
  throw new BadCommand(`"${key}" must be true, false or "ask"`);
}

function acceptFilesPolicy(cmd: Fields, key: string): AcceptFilesPolicy {
  const v = cmd[key];
  if (v === true || v === false || v === "ask" || v === "yes-unverified") return v;
  throw new BadCommand(`"${key}" must be true (from a verified peer), false, "ask" or "yes-unverified"`);
}

export async function runJsonApi(opts: JsonApiOptions): Promise<number> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const diag = opts.diag ?? ((line: string) => void process.stderr.write(`pqchat: ${line}\n`));

  // stdout belongs to the event stream: anything a dependency logs goes to stderr.
  if (output === process.stdout) {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
  }

  let seq = 0;
  let exiting = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((res) => (finish = res));

  const writer = new LineWriter(output, (err) => {
    // Nobody reads our events any more (EPIPE): leave, there is no one to report to.
    diag(`stdout closed (${err.message}); exiting`);
    void shutdown(1);
  });

  const emit = (event: string, fields: Fields = {}): void => {
    const t = Math.round(performance.now()) / 1000;
    let line: string;
    try {
      line = JSON.stringify({ event, seq: ++seq, t, ...fields });
    } catch (err) {
      // Cannot happen with core events (plain data); never let it escape.
      line = JSON.stringify({ event: "error", seq, t, kind: "malformed", text: `could not encode ${event}: ${errorText(err)}` });
    }
    writer.write(line);
  };

  emit("ready", { version: packageVersion(), protocol_version: PROTOCOL_VERSION, download_dir: opts.options.downloadDir });

  let core: ClientApi;
  try {
    core = opts.createCore(opts.options);
  } catch (err) {
    diag(`cannot start the client: ${errorText(err)}`);
    emit("error", { kind: "io_error", text: `cannot start the client: ${errorText(err)}`, count: 1 });
    emit("exit", { code: 1 });
    await writer.flush();
    return 1;
  }

  writer.onPressure = (on) => (on ? core.pauseInbound("json-output") : core.resumeInbound("json-output"));

  for (const name of FORWARDED_EVENTS) {
    core.on(name, (payload: ClientEventMap[typeof name]) => {
      try {
        let fields = payload as Fields;
        if (name === "key_exchange_complete") {
          // Contract: the 8 words space-separated on one line, and as an array.
          const words = (payload as ClientEventMap["key_exchange_complete"]).words;
          fields = { ...fields, fingerprint: words.join(" "), words };
        }
        emit(name, fields);
        if (name === "disconnected") connecting = false;
      } catch (err) {
        diag(`event ${name}: ${errorText(err)}`);
      }
    });
  }

  // ---- commands -------------------------------------------------------------
  let connecting = false;
  /** Commands still waiting for their reply (async ones: connect, file). */
  const pending = new Map<number, { cmd: string; id: unknown }>();
  let nextToken = 0;

  const reply = (token: number, ok: boolean, cmd: string | null, id: unknown, fields: Fields): void => {
    if (!pending.delete(token)) return; // already answered (cancelled at shutdown)
    if (ok) emit("cmd_ok", { cmd, id, ...fields });
    else emit("cmd_error", { cmd, id, ...fields });
  };

  const doConnect = async (target: ConnectOptions): Promise<void> => {
    const phase = core.state().phase;
    if (connecting || (phase !== "disconnected" && phase !== undefined)) {
      throw new BadCommand(`already connected (${phase}); connect is allowed again after "disconnected"`);
    }
    connecting = true;
    try {
      await core.connect(target);
    } catch (err) {
      connecting = false;
      throw err;
    }
    connecting = false;
  };

  const handlers: Record<CommandName, (c: Fields) => Fields | void | Promise<Fields | void>> = {
    connect: async (c) => {
      const host = str(c, "host", { optional: true, nonEmpty: true }) ?? "127.0.0.1";
      let port = 16384;
      if (c.port !== undefined && c.port !== null) {
        if (typeof c.port !== "number" || !Number.isInteger(c.port) || c.port < 1 || c.port > 65535) {
          throw new BadCommand(`"port" must be a whole number from 1 to 65535`);
        }
        port = c.port;
      }
      const room = c.room === undefined ? (opts.defaultRoom ?? null) : (str(c, "room", { optional: true }) ?? null);
      if (room !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(room)) throw new BadCommand('"room" must be 1 to 64 characters of A-Z a-z 0-9 _ -');
      await doConnect({ host, port, room });
      return { host, port, room };
    },
    verify: (c) => {
      // With "fingerprint", the answer counts only for those words (refused, kind "stale_verification", otherwise).
      const fp = str(c, "fingerprint", { optional: true });
      if (fp !== undefined && fp.length > 1024) throw new BadCommand('"fingerprint" is too long');
      if (fp === undefined) core.verify(bool(c, "answer")!);
      else core.verify(bool(c, "answer")!, fp);
    },
    auto_verify: (c) => {
      core.setAutoVerify(policy(c, "value"));
    },
    send: (c) => {
      const text = str(c, "text", { nonEmpty: true })!;
      const { message_id } = core.sendText(text);
      return { message_id };
    },
    file: async (c) => {
      const p = str(c, "path", { nonEmpty: true })!;
      const compress = bool(c, "compress", true);
      const info = await core.sendFile(resolve(process.cwd(), p), compress === undefined ? {} : { compress });
      return {
        transfer_id: info.transfer_id,
        filename: info.filename,
        file_size: info.file_size,
        file_hash: info.file_hash,
        total_chunks: info.total_chunks,
        compressed: info.compressed,
        processed_size: info.processed_size,
      };
    },
    accept: (c) => {
      core.acceptFile(str(c, "transfer_id", { nonEmpty: true })!);
    },
    reject: (c) => {
      const id = str(c, "transfer_id", { nonEmpty: true })!;
      const reason = str(c, "reason", { optional: true });
      if (reason === undefined) core.rejectFile(id);
      else core.rejectFile(id, reason);
    },
    accept_files: (c) => {
      core.setAcceptFiles(acceptFilesPolicy(c, "value"));
    },
    rekey: () => {
      core.rekey();
    },
    rekey_answer: (c) => {
      core.answerRekey(bool(c, "accept")!);
    },
    nick: (c) => {
      core.setNickname(str(c, "name", { nonEmpty: true })!);
    },
    emergency_close: () => {
      core.emergencyClose();
    },
    state: () => {
      const raw = core.state();
      // Same one-line fingerprint as key_exchange_complete.
      const s = { ...raw, fingerprint: raw.words ? raw.words.join(" ") : raw.fingerprint };
      queueMicrotask(() => emit("state", s as unknown as Fields));
      return { state: s };
    },
    quit: () => {
      // Answered here; the shutdown follows right after the reply.
      queueMicrotask(() => void shutdown(0));
    },
  };

  const handleLine = (line: string): void => {
    if (line.trim() === "") return; // blank lines are ignored (not commands)
    const token = ++nextToken;
    let cmdName: string | null = null;
    let id: unknown = null;
    pending.set(token, { cmd: "", id: null });
    let c: Fields;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new BadCommand("a command must be a JSON object");
      }
      c = parsed as Fields;
      id = c.id ?? null;
      if (typeof c.cmd === "string") cmdName = c.cmd;
      pending.set(token, { cmd: cmdName ?? "", id });
      if (typeof c.cmd !== "string") throw new BadCommand('missing "cmd" (the command name)');
    } catch (err) {
      const text = err instanceof BadCommand ? err.message : `invalid JSON: ${errorText(err)}`;
      reply(token, false, cmdName, id, { error: text });
      return;
    }
    if (exiting) {
      reply(token, false, cmdName, id, { error: "the client is shutting down" });
      return;
    }
    const handler = Object.hasOwn(handlers, c.cmd as string) ? handlers[c.cmd as CommandName] : undefined;
    if (!handler) {
      reply(token, false, cmdName, id, { error: `unknown command "${String(c.cmd)}" (one of: ${COMMANDS.join(", ")})` });
      return;
    }
    const fail = (err: unknown): void => {
      if (!(err instanceof BadCommand) && !(err instanceof Error && err.name === "CommandError")) {
        diag(`command ${cmdName}: ${err instanceof Error && err.stack ? err.stack : String(err)}`);
      }
      const kind = err instanceof Error && typeof (err as { kind?: unknown }).kind === "string" ? (err as unknown as { kind: string }).kind : undefined;
      reply(token, false, cmdName, id, kind === undefined ? { error: errorText(err) } : { error: errorText(err), kind });
    };
    try {
      const result = handler(c);
      if (result instanceof Promise) {
        result.then((fields) => reply(token, true, cmdName, id, fields ?? {}), fail);
      } else {
        reply(token, true, cmdName, id, result ?? {});
      }
    } catch (err) {
      fail(err);
    }
  };

  // ---- shutdown ---------------------------------------------------------------
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
  const onSignal = (): void => void shutdown(0);
  // A bug anywhere below us must not end the stream without a word: report it
  // as an error event (details on stderr) and end cleanly with exit {code: 1}.
  const onCrash = (err: unknown): void => {
    diag(`internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}`);
    emit("error", { kind: "io_error", text: `internal error: ${errorText(err)}`, count: 1 });
    void shutdown(1);
  };

  async function shutdown(code: number): Promise<void> {
    if (exiting) return;
    exiting = true;
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    rl.close();
    try {
      const phase = core.state().phase;
      if (phase !== "disconnected") {
        // CLIENT_DISCONNECT, then the socket closes; do not wait forever on a dead peer link.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), 3000)));
        const r = await Promise.race([core.disconnect().then(() => "ok" as const), timeout]);
        clearTimeout(timer);
        if (r === "timeout") {
          diag("disconnect did not complete within 3 s");
          code = code || 1;
        }
      }
    } catch (err) {
      diag(`disconnect failed: ${errorText(err)}`);
      code = code || 1;
    }
    for (const [token, p] of [...pending]) reply(token, false, p.cmd || null, p.id, { error: "cancelled: the client is shutting down" });
    emit("exit", { code });
    await writer.flush();
    if (input === process.stdin) process.stdin.destroy();
    finish(code);
  }

  rl.on("line", (line) => {
    try {
      handleLine(line);
    } catch (err) {
      diag(`internal error handling a command: ${errorText(err)}`);
    }
  });
  rl.on("close", () => void shutdown(0)); // stdin EOF
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);

  if (opts.connect) {
    const target = opts.connect;
    doConnect(target).catch((err: unknown) => {
      emit("error", { kind: "connection_error", text: `cannot connect to ${target.host}:${target.port}: ${errorText(err)}`, count: 1 });
    });
  }

  return finished;
}
