// One command line in, exactly one reply out (cmd_ok or cmd_error), matched
// by the command's "id" (docs/JSON-API.md, "Framing rules"). Commands that
// take time (connect, file) are answered when they finish; the ones still
// waiting at shutdown are answered with a cancellation.
import { CommandArgsError, parseCommand, parseCommandObject, JSON_API_COMMANDS } from "../present/command-args.js";
import { errorKindOf, errorText } from "../present/error-text.js";
import { type CommandContext, JsonApiRefusal, runCommand } from "./commands.js";
import type { Fields } from "./events.js";

/** The `kind` a cmd_error carries for a command the argument table refused (documented in docs/JSON-API.md). */
export const BAD_COMMAND_KIND = "bad_command";

interface Pending {
  cmd: string | null;
  id: unknown;
}

export class CommandLines {
  /** Commands still waiting for their reply, by arrival. */
  private readonly pending = new Map<number, Pending>();
  private nextToken = 0;
  /** Set at shutdown: later lines are refused. */
  closed = false;

  constructor(
    private readonly ctx: CommandContext,
    /** Diagnostics for unexpected failures (stack traces go to stderr, never to stdout). */
    private readonly diag: (line: string) => void,
  ) {}

  private reply(token: number, ok: boolean, fields: Fields): void {
    const p = this.pending.get(token);
    if (!p || !this.pending.delete(token)) return; // already answered (cancelled at shutdown)
    this.ctx.emit(ok ? "cmd_ok" : "cmd_error", { cmd: p.cmd, id: p.id, ...fields });
  }

  private fail(token: number, err: unknown): void {
    const cmd = this.pending.get(token)?.cmd ?? null;
    // Only documented kinds reach the wire: the client's (ErrorKind), and "bad_command".
    const kind = err instanceof CommandArgsError ? BAD_COMMAND_KIND : err instanceof JsonApiRefusal ? undefined : errorKindOf(err);
    const expected = err instanceof CommandArgsError || err instanceof JsonApiRefusal || (err instanceof Error && err.name === "CommandError");
    if (!expected) this.diag(`command ${cmd}: ${err instanceof Error && err.stack ? err.stack : String(err)}`);
    this.reply(token, false, kind === undefined ? { error: errorText(err) } : { error: errorText(err), kind });
  }

  /** Handles one input line (blank lines are not commands and get no reply). */
  handle(line: string): void {
    if (line.trim() === "") return;
    const token = ++this.nextToken;
    const p: Pending = { cmd: null, id: null };
    this.pending.set(token, p);
    let parsed;
    try {
      const fields = parseCommandObject(line);
      p.id = fields["id"] ?? null;
      if (typeof fields["cmd"] === "string") p.cmd = fields["cmd"];
      if (this.closed) return this.reply(token, false, { error: "the client is shutting down" });
      parsed = parseCommand(JSON_API_COMMANDS, fields);
    } catch (err) {
      return this.fail(token, err);
    }
    try {
      const result = runCommand(parsed.name, parsed.args, this.ctx);
      if (result instanceof Promise) result.then((fields) => this.reply(token, true, fields ?? {}), (err: unknown) => this.fail(token, err));
      else this.reply(token, true, result ?? {});
    } catch (err) {
      this.fail(token, err);
    }
  }

  /** Answers every command still waiting (at shutdown). */
  cancelAll(): void {
    for (const token of [...this.pending.keys()]) this.reply(token, false, { error: "cancelled: the client is shutting down" });
  }
}
