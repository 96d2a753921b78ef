// `pqchat chat`: the terminal client, or with --json the JSON-lines interface
// for scripts (docs/JSON-API.md). Both are thin views over the client core.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ClientApi, ClientOptions, ConnectOptions } from "../client/api.js";
import { ClientCore } from "../client/core.js";
import type { AcceptFilesPolicy } from "../client/events.js";
import { NICKNAME_MAX, PROTOCOL_VERSION } from "../protocol/constants.js";
import { ROOM_CODE_PATTERN } from "../protocol/control.js";
import { DEFAULT_HOST, DEFAULT_PORT } from "../present/limits.js";
import { parseDuration, parseHostPort, parseIntFlag, reconnectFlags, RECONNECT_HELP, UsageError, usageFromParseArgs } from "./args.js";

const HELP = `Usage: pqchat chat [host[:port]] [options]

End-to-end encrypted post-quantum chat (Secure Chat Protocol ${PROTOCOL_VERSION}) with the
one other person connected to the same server. Default server: ${DEFAULT_HOST}:${DEFAULT_PORT}.

Options:
  --room CODE              join a room on the server (pqchat servers only)
  --nick NAME              your nickname, up to ${NICKNAME_MAX} characters
  --download-dir DIR       where received files go (default: the current directory)
  --accept-files MODE      incoming files: ask (default), yes (accept from a peer you verified,
                           ask otherwise), no (reject all), yes-unverified (accept from anyone,
                           even a peer nobody verified)
  --gzip-level N           gzip level 0-9 for files you send (default: chosen per file)
  --no-dummy               do not send dummy traffic while idle
  --server-silence TIME    disconnect when nothing arrives from the server for this long
                           (default 210s: 3.5 times its 60 s keepalive interval; off: never)
  --resume-keep TIME       keep an interrupted file transfer this long, in memory and its partial
                           file on disk, to resume it after a reconnect (default 10m; off: never)
${RECONNECT_HELP}
  --json                   JSON-lines interface on stdin/stdout for scripts (docs/JSON-API.md);
                           without a host it waits for a "connect" command
  -h, --help               show this help

In the terminal client, type /help for the commands. Ctrl-X is the panic key
(emergency close: the session is wiped at once on both sides); Ctrl-C, Ctrl-D
or /quit leave cleanly.`;

export interface ChatArgs {
  connect: ConnectOptions | null;
  /** --room: the room of the start-up connection, and of a later JSON `connect` that names none. */
  room: string | null;
  json: boolean;
  options: ClientOptions & { downloadDir: string };
}

function acceptFilesFlag(text: string): AcceptFilesPolicy {
  if (text === "yes") return true;
  if (text === "no") return false;
  if (text === "ask") return "ask";
  if (text === "yes-unverified") return "yes-unverified";
  throw new UsageError(`--accept-files: expected yes, no, ask or yes-unverified, got "${text}"`);
}

/** --download-dir (default: the working directory), resolved; it must exist. */
function existingDir(arg: string | undefined): string {
  const dir = resolve(arg ?? process.cwd());
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--download-dir: ${dir} is not a directory`);
  return dir;
}

/** Parses the argv of `pqchat chat`; null means --help was shown. */
export function parseChatArgs(argv: string[]): ChatArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        room: { type: "string" },
        nick: { type: "string" },
        "download-dir": { type: "string" },
        "accept-files": { type: "string" },
        "gzip-level": { type: "string" },
        "no-dummy": { type: "boolean" },
        "server-silence": { type: "string" },
        "resume-keep": { type: "string" },
        "reconnect-attempts": { type: "string" },
        "reconnect-for": { type: "string" },
        "no-reconnect": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw usageFromParseArgs(err, "chat");
  }
  const v = parsed.values;
  if (v.help) return null;
  if (parsed.positionals.length > 1) {
    throw new UsageError(`expected at most one host[:port], got "${parsed.positionals.join(" ")}" (try 'pqchat chat --help')`, "too_many_arguments");
  }
  const target = parsed.positionals[0];
  if (target !== undefined && target.trim() === "") throw new UsageError("host must not be empty");
  const json = v.json === true;
  let connect: ConnectOptions | null = null;
  if (target !== undefined || !json) {
    const hp = target === undefined ? { host: DEFAULT_HOST, port: DEFAULT_PORT } : parseHostPort(target, DEFAULT_PORT);
    connect = { host: hp.host, port: hp.port, room: null };
  }
  if (v.room !== undefined) {
    if (!ROOM_CODE_PATTERN.test(v.room)) throw new UsageError("--room: 1 to 64 characters of A-Z a-z 0-9 _ -");
    if (connect) connect.room = v.room;
  }
  if (v.nick !== undefined) {
    if (v.nick.trim() === "") throw new UsageError("--nick: must not be empty");
    if ([...v.nick].length > NICKNAME_MAX) throw new UsageError(`--nick: at most ${NICKNAME_MAX} characters`);
  }
  const downloadDir = existingDir(v["download-dir"]);
  const options: ChatArgs["options"] = {
    downloadDir,
    nickname: v.nick ?? null,
    dummyTraffic: v["no-dummy"] !== true,
    acceptFiles: v["accept-files"] === undefined ? "ask" : acceptFilesFlag(v["accept-files"]),
  };
  if (v["gzip-level"] !== undefined) options.gzipLevel = parseIntFlag(v["gzip-level"], "--gzip-level", 0, 9);
  const silence = v["server-silence"];
  if (silence !== undefined) options.serverSilenceMs = silence.trim() === "off" ? 0 : parseDuration(silence, "--server-silence");
  const keep = v["resume-keep"];
  if (keep !== undefined) options.resumeKeepMs = keep.trim() === "off" ? 0 : parseDuration(keep, "--resume-keep");
  const reconnect = reconnectFlags(v["no-reconnect"] === true, v["reconnect-attempts"], v["reconnect-for"]);
  if (reconnect !== undefined) options.reconnect = reconnect;
  return { connect, room: v.room ?? null, json, options };
}

export function createCore(options: ClientOptions): ClientApi {
  return new ClientCore(options);
}

export async function runChat(argv: string[]): Promise<number> {
  const args = parseChatArgs(argv);
  if (!args) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  let code: number;
  if (args.json) {
    const { runJsonApi } = await import("../json-api/json-api.js");
    code = await runJsonApi({ createCore, options: args.options, connect: args.connect, defaultRoom: args.room });
  } else {
    const { runTui } = await import("../tui/tui.js");
    code = await runTui({ createCore, options: args.options, connect: args.connect! });
  }
  // Everything is closed by now and the process ends on its own. Should a
  // handle we do not own (a socket or timer in a dependency) still be open,
  // do not hang: say so and exit anyway.
  setTimeout(() => {
    process.stderr.write("pqchat: forcing exit: a handle was still open after shutdown\n");
    process.exit(code);
  }, 2000).unref();
  return code;
}
