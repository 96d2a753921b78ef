// The terminal client's slash commands: one table entry per command (its
// help lines and what it does). /help prints the table's help lines; any
// other line is sent as a message ("//" sends a line beginning with "/").
import { homedir } from "node:os";
import { resolve } from "node:path";
import type { ClientApi } from "../client/api.js";
import { sanitizeInline } from "../present/sanitize.js";
import { TuiCommandError } from "./errors.js";
import type { Palette } from "./format.js";
import type { TransferList } from "./transfers.js";

/** What a slash command may use of the running terminal client. */
export interface SlashContext {
  readonly core: ClientApi;
  readonly p: Palette;
  readonly transfers: TransferList;
  print(lines: string[]): void;
  info(text: string): void;
  askVerify(full: boolean): void;
  panic(): void;
  quit(code: number): Promise<void>;
}

export interface SlashCommand {
  /** Help lines: [usage, what it does]. */
  help: readonly (readonly [string, string])[];
  /** Other names for the command. */
  aliases?: readonly string[];
  run(arg: string, ctx: SlashContext): void | Promise<void>;
}

const usage = (text: string): TuiCommandError => new TuiCommandError("usage", `usage: ${text}`);

/** A path as typed: surrounding quotes removed, "~" for the home directory, relative to the working directory. */
function typedPath(arg: string): string {
  let path = arg.trim();
  if (/^(["']).*\1$/.test(path)) path = path.slice(1, -1);
  if (path === "") throw usage("/file PATH");
  if (path === "~" || path.startsWith("~/")) path = homedir() + path.slice(1);
  return resolve(process.cwd(), path);
}

/** Command name -> its help and action, in the order /help lists them. */
export const SLASH_COMMANDS: Readonly<Record<string, SlashCommand>> = {
  help: {
    help: [["/help", "this list"]],
    aliases: ["?"],
    run: (_arg, ctx) => ctx.print(HELP_LINES.map((l) => ctx.p.dim(l))),
  },
  verify: {
    help: [
      ["/verify", "show the session's eight words again and answer whether they match"],
      ["/verify full", "the same, with the whole fingerprint (64 hex digits) to compare for more certainty"],
    ],
    run: (arg, ctx) => {
      const how = arg.trim().toLowerCase();
      if (how !== "" && how !== "full") throw usage("/verify [full]");
      ctx.askVerify(how === "full");
    },
  },
  file: {
    help: [["/file PATH", "offer a file to the peer"]],
    run: async (arg, ctx) => {
      const info = await ctx.core.sendFile(typedPath(arg));
      if (!ctx.transfers.transfers.has(info.transfer_id)) ctx.transfers.add(info, "out");
    },
  },
  accept: {
    help: [["/accept [ID]", "accept an incoming file (ID only needed when several are pending)"]],
    run: (arg, ctx) => ctx.core.acceptFile(ctx.transfers.findOffer(arg.trim())),
  },
  reject: {
    help: [["/reject [ID]", "reject an incoming file"]],
    run: (arg, ctx) => {
      const [idArg = "", ...reason] = arg.trim().split(/\s+/);
      const id = ctx.transfers.findOffer(idArg);
      if (reason.length > 0) ctx.core.rejectFile(id, reason.join(" "));
      else ctx.core.rejectFile(id);
    },
  },
  rekey: {
    help: [["/rekey", "replace the session keys now"]],
    run: (_arg, ctx) => ctx.core.rekey(),
  },
  nick: {
    help: [["/nick NAME", "set your nickname (shown to the peer once they verified you)"]],
    run: (arg, ctx) => {
      const n = arg.trim();
      if (n === "") throw usage("/nick NAME");
      ctx.core.setNickname(n);
      ctx.info(`your nickname is now "${sanitizeInline(n)}"`);
    },
  },
  ephemeral: {
    help: [
      ["/ephemeral on [S]", "disappearing messages for both of you: gone after S seconds (default 30)"],
      ["/ephemeral local [S]", "disappearing messages on this side only"],
      ["/ephemeral off", "messages stay (only the side that turned them on for both can turn them off)"],
    ],
    run: (arg, ctx) => runEphemeral(arg, ctx),
  },
  panic: {
    help: [["/panic", "emergency close: wipe the session on both sides at once (hotkey Ctrl-X)"]],
    run: (_arg, ctx) => ctx.panic(),
  },
  cancel: {
    help: [["/cancel", "while reconnecting: stop trying and leave (as /quit)"]],
    run: (_arg, ctx) => {
      if (ctx.core.state().phase !== "reconnecting" && !ctx.core.state().reconnect) throw new TuiCommandError("usage", "not reconnecting (/quit leaves)");
      ctx.core.cancelReconnect();
    },
  },
  quit: {
    help: [["/quit", "leave (also Ctrl-C, or Ctrl-D on an empty line)"]],
    aliases: ["exit"],
    run: (_arg, ctx) => ctx.quit(0),
  },
};

const EPHEMERAL_MODES: Readonly<Record<string, "GLOBAL" | "LOCAL" | "OFF">> = { on: "GLOBAL", global: "GLOBAL", local: "LOCAL", off: "OFF" };

/** /ephemeral: without an argument, the current mode; else the new one and how long messages stay. */
function runEphemeral(arg: string, ctx: SlashContext): void {
  const [how = "", secs, ...rest] = arg.trim().toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (how === "") {
    const st = ctx.core.state();
    ctx.info(`disappearing messages: ${st.ephemeral_mode === "OFF" ? "off" : st.ephemeral_mode === "GLOBAL" ? "on for both of you" : "on, this side only"} (${st.ephemeral_seconds ?? 30} s)`);
    return;
  }
  const mode = EPHEMERAL_MODES[how];
  if (mode === undefined || rest.length > 0 || (secs !== undefined && !/^\d+$/.test(secs))) throw usage("/ephemeral on|local|off [SECONDS]");
  if (secs === undefined) ctx.core.setEphemeralMode(mode);
  else ctx.core.setEphemeralMode(mode, Number(secs));
}

/** The /help text, from the table. */
export const HELP_LINES: readonly string[] = [
  "Commands:",
  ...Object.values(SLASH_COMMANDS).flatMap((c) => c.help.map(([u, what]) => `  ${u.padEnd(18)} ${what}`)),
  "Any other line is sent as a message; start it with // to send a line beginning with /.",
];

/** The command a typed name means (its own name or an alias), or a TuiCommandError. */
export function findSlashCommand(name: string): SlashCommand {
  for (const [key, c] of Object.entries(SLASH_COMMANDS)) if (key === name || c.aliases?.includes(name)) return c;
  throw new TuiCommandError("unknown_command", `unknown command /${sanitizeInline(name)} (try /help)`);
}
