// Small helpers shared by the subcommands: durations, sizes, one-line errors,
// the client's reconnect flags.
import { DEFAULT_RECONNECT_ATTEMPTS } from "../client/backoff.js";
import type { ClientOptions } from "../client/api.js";

/** What was wrong with the command line (every kind ends the process with status 2). */
export type UsageErrorKind = "unknown_command" | "unknown_option" | "missing_value" | "bad_value" | "too_many_arguments" | "unreadable_config";

/** A bad command line: one line "pqchat: <message>" on stderr, exit status 2. */
export class UsageError extends Error {
  readonly kind: UsageErrorKind;
  constructor(message: string, kind: UsageErrorKind = "bad_value") {
    super(message);
    this.name = "UsageError";
    this.kind = kind;
  }
}

/** "200ms", "60s", "5m", "1h" or plain seconds ("1.5") -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration such as 200ms, 60s or 5m, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${flag}: duration must be positive`);
  return Math.round(ms);
}

/** "1048576", "64k", "1MiB", "2M" -> bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a size in bytes such as 1048576 or 2MiB, got "${text}"`);
  const n = Number(m[1]);
  const u = (m[2] ?? "b").toLowerCase();
  return u.startsWith("k") ? n * 1024 : u.startsWith("m") ? n * 1024 * 1024 : n;
}

export function parseIntFlag(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag}: must be between ${min} and ${max}`);
  return n;
}

/** "host", "host:port", "[::1]:port" -> parts, with defaults. */
export function parseHostPort(text: string, defPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? parseIntFlag(v6[2], "port", 1, 65535) : defPort };
  const i = text.lastIndexOf(":");
  if (i > 0 && text.indexOf(":") === i) {
    return { host: text.slice(0, i), port: parseIntFlag(text.slice(i + 1), "port", 1, 65535) };
  }
  return { host: text, port: defPort };
}

/**
 * A node:util parseArgs error as one short line with its kind: the option at
 * fault and a pointer to `pqchat <command> --help`.
 */
export function usageFromParseArgs(err: unknown, command: string): UsageError {
  const code = (err as { code?: string }).code;
  const msg = err instanceof Error ? err.message : String(err);
  const opt = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
  const help = `(try 'pqchat ${command} --help')`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`unknown option ${opt ?? ""} ${help}`.replace("  ", " "), "unknown_option");
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (opt && /argument missing/.test(msg)) return new UsageError(`${opt} needs a value`, "missing_value");
    return new UsageError(`${opt ?? "option"}: ${msg.split(".")[0]}`, "bad_value");
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(`${msg.split("\n")[0] ?? msg} ${help}`, "too_many_arguments");
  return new UsageError(msg.split("\n")[0] ?? msg);
}

/** The help lines of the reconnect flags (pqchat chat and pqchat gui). */
export const RECONNECT_HELP = `  --reconnect-attempts N   after an unexpected disconnect, reconnect by itself at most N times
                           (default ${DEFAULT_RECONNECT_ATTEMPTS}; waits from under 1 s up to 30 s between tries)
  --reconnect-for TIME     ... and for at most this long from the disconnect (default 10m; off: no limit)
  --no-reconnect           do not reconnect by itself after an unexpected disconnect`;

/** --no-reconnect, --reconnect-attempts N, --reconnect-for TIME|off -> ClientOptions.reconnect (undefined: the defaults). */
export function reconnectFlags(off: boolean, attempts: string | undefined, forText: string | undefined): ClientOptions["reconnect"] {
  if (off) {
    if (attempts !== undefined || forText !== undefined) throw new UsageError("--no-reconnect cannot be combined with --reconnect-attempts or --reconnect-for");
    return false;
  }
  if (attempts === undefined && forText === undefined) return undefined;
  const bounds: { attempts?: number; forMs?: number } = {};
  if (attempts !== undefined) bounds.attempts = parseIntFlag(attempts, "--reconnect-attempts", 1, 1_000_000);
  if (forText !== undefined) bounds.forMs = forText.trim() === "off" ? 0 : parseDuration(forText, "--reconnect-for");
  return bounds;
}

