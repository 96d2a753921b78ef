// The JSON API's command table: each command of docs/JSON-API.md ("Commands"),
// its arguments as parsed by the shared table (JSON_API_COMMANDS in
// src/present/command-args.ts), and the ClientApi call it makes. A handler
// returns the fields its cmd_ok reply adds (or nothing), or throws: a
// CommandArgsError or a JsonApiRefusal for a command refused here, the
// client's CommandError for one the client refused.
import { resolve } from "node:path";
import type { ClientApi, ConnectOptions } from "../client/api.js";
import { ROOM_CODE_PATTERN } from "../protocol/control.js";
import { type ArgsOf, CommandArgsError, JSON_API_COMMANDS } from "../present/command-args.js";
import { DEFAULT_HOST, DEFAULT_PORT } from "../present/limits.js";
import type { Fields } from "./events.js";

export type JsonApiCommand = keyof typeof JSON_API_COMMANDS;

/** The command names of the contract, in documentation order. */
export const COMMANDS = Object.keys(JSON_API_COMMANDS) as JsonApiCommand[];

/** Why the JSON API itself (not the client, not the argument table) refused a command. */
export type JsonApiRefusalKind = "already_connected" | "not_reconnecting";

export class JsonApiRefusal extends Error {
  constructor(
    readonly kind: JsonApiRefusalKind,
    message: string,
  ) {
    super(message);
    this.name = "JsonApiRefusal";
  }
}

/** What a command may use of the running JSON API. */
export interface CommandContext {
  readonly core: ClientApi;
  /** Room for a `connect` without a "room" field (--room). */
  readonly defaultRoom: string | null;
  /** Connects; refused (JsonApiRefusal) while connected or connecting. */
  connect(target: ConnectOptions): Promise<void>;
  /** Leaves (CLIENT_DISCONNECT) or stops a reconnect under way; resolves when the connection is closed. */
  disconnect(): Promise<void>;
  /** Writes one event line. */
  emit(event: string, fields: Fields): void;
  /** Ends the process once this command's reply is written. */
  quit(): void;
}

type Reply = Fields | void;
type Handler<N extends JsonApiCommand> = (args: ArgsOf<(typeof JSON_API_COMMANDS)[N]>, ctx: CommandContext) => Reply | Promise<Reply>;

/** Command name -> what it does (its arguments are already checked against JSON_API_COMMANDS). */
export const COMMAND_HANDLERS: { readonly [N in JsonApiCommand]: Handler<N> } = {
  connect: async (a, ctx) => {
    const host = a.host ?? DEFAULT_HOST;
    const port = a.port ?? DEFAULT_PORT;
    const room = a.room === undefined ? ctx.defaultRoom : a.room;
    if (room !== null && !ROOM_CODE_PATTERN.test(room)) throw new CommandArgsError("bad_value", '"room" must be 1 to 64 characters of A-Z a-z 0-9 _ -', "room");
    await ctx.connect({ host, port, room });
    return { host, port, room };
  },
  // With "fingerprint", the answer counts only for those words (refused, kind "stale_verification", otherwise).
  verify: (a, { core }) => (a.fingerprint === undefined ? core.verify(a.answer) : core.verify(a.answer, a.fingerprint)),
  auto_verify: (a, { core }) => core.setAutoVerify(a.value),
  send: (a, { core }) => {
    // pending: held for the next session; ephemeral: it disappears (message_expired).
    return core.sendText(a.text);
  },
  file: async (a, { core }) => {
    const info = await core.sendFile(resolve(process.cwd(), a.path), a.compress === undefined ? {} : { compress: a.compress });
    const { transfer_id, filename, file_size, file_hash, total_chunks, compressed, processed_size } = info;
    return { transfer_id, filename, file_size, file_hash, total_chunks, compressed, processed_size };
  },
  accept: (a, { core }) => core.acceptFile(a.transfer_id),
  reject: (a, { core }) => (a.reason === undefined ? core.rejectFile(a.transfer_id) : core.rejectFile(a.transfer_id, a.reason)),
  resume: (a, { core }) => core.resumeFile(a.transfer_id, a.answer),
  accept_files: (a, { core }) => core.setAcceptFiles(a.value),
  rekey: (_a, { core }) => core.rekey(),
  rekey_answer: (a, { core }) => core.answerRekey(a.accept),
  nick: (a, { core }) => core.setNickname(a.name),
  ephemeral: (a, { core }) => {
    if (a.seconds !== undefined && typeof a.seconds !== "number") throw new CommandArgsError("wrong_type", '"seconds" must be a number of seconds', "seconds");
    core.setEphemeralMode(a.mode, a.seconds);
  },
  emergency_close: (_a, { core }) => core.emergencyClose(),
  // Leaves for good: no automatic reconnect follows (and one under way stops).
  disconnect: (_a, ctx) => ctx.disconnect(),
  cancel_reconnect: (_a, { core }) => {
    if (!core.cancelReconnect()) throw new JsonApiRefusal("not_reconnecting", "no automatic reconnect is under way");
  },
  state: (_a, { core, emit }) => {
    const raw = core.state();
    // Same one-line fingerprint as key_exchange_complete.
    const s = { ...raw, fingerprint: raw.words ? raw.words.join(" ") : raw.fingerprint };
    queueMicrotask(() => emit("state", s as unknown as Fields));
    return { state: s };
  },
  // Answered here; the shutdown follows right after the reply.
  quit: (_a, ctx) => queueMicrotask(() => ctx.quit()),
};

/** Runs one parsed command. */
export function runCommand<N extends JsonApiCommand>(name: N, args: ArgsOf<(typeof JSON_API_COMMANDS)[N]>, ctx: CommandContext): Reply | Promise<Reply> {
  return (COMMAND_HANDLERS[name] as Handler<N>)(args, ctx);
}
