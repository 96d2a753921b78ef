// Configuration of `pqchat server`: one table of options, read from four
// places with a fixed precedence: flags > PQCHAT_* environment > config file
// (TOML, --config FILE or PQCHAT_CONFIG) > defaults.
//
// Every option is one row of SERVER_OPTION_TABLE. Its flag names the other
// two spellings: `--max-clients` is `max-clients` in the file and
// PQCHAT_MAX_CLIENTS in the environment, so a row added here is available
// everywhere (and in --help and --print-config) without further code.
import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../server/log.js";
import { DEFAULT_OPTIONS, DEFAULT_PORT, MAX_JOIN_WAIT_MS, type ServerOptions } from "../server/options.js";
import { parseDuration, parseIntFlag, parseSize, UsageError } from "./args.js";

/** setTimeout's limit; longer delays would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

type Key = keyof ServerOptions;

export interface OptionRow<K extends Key = Key> {
  key: K;
  /** `--kebab-case`; the file key is the same without dashes in front, the variable PQCHAT_KEBAB_CASE. */
  flag: `--${string}`;
  /** Placeholder in --help. */
  metavar: string;
  /** --help text (lines after the first are indented by the help formatter). */
  help: string;
  /** Parses a flag, variable or file string. Errors name `name` (the flag, variable or file key). */
  parse(text: string, name: string): ServerOptions[K];
  /** A TOML value that --print-config writes and parse() reads back. */
  format(value: ServerOptions[K]): string;
  /** What TOML value types the file may hold for this option (strings are always parsed). */
  tomlNumbers?: boolean;
}

const str = (v: string): string => JSON.stringify(v);

function duration(text: string, name: string, allowZero = false): number {
  if (allowZero && /^0+(\.0*)?(ms|s|m|h)?$/.test(text.trim())) return 0;
  const ms = parseDuration(text, name);
  if (ms > MAX_TIMER_MS) throw new UsageError(`${name}: too long (at most ${MAX_TIMER_MS}ms)`);
  return ms;
}

/** Milliseconds as the largest whole unit parseDuration() reads back. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (text: string, name: string): T => {
    if (!(allowed as readonly string[]).includes(text)) {
      throw new UsageError(`${name}: expected one of ${allowed.join(", ")}, got "${text}"`);
    }
    return text as T;
  };
}

function row<K extends Key>(r: OptionRow<K>): OptionRow<K> {
  return r;
}

/** Every option of `pqchat server`, in --help order. */
export const SERVER_OPTION_TABLE: readonly OptionRow[] = [
  row({
    key: "host",
    flag: "--host",
    metavar: "HOST",
    help: `address to listen on (default ${DEFAULT_OPTIONS.host})`,
    parse: (v, name) => {
      if (v.trim() === "") throw new UsageError(`${name}: must not be empty`);
      return v.trim();
    },
    format: str,
  }),
  row({
    key: "port",
    flag: "--port",
    metavar: "PORT",
    help: `TCP port, 0 picks a free one (default ${DEFAULT_PORT})`,
    parse: (v, name) => parseIntFlag(v, name, 0, 65535),
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "maxClients",
    flag: "--max-clients",
    metavar: "N",
    help: "clients served at once, an even number (default 2,\nlike the reference server); when full, a waiting\nclient makes room for a newcomer (see --max-wait),\nelse the newcomer gets SERVER_FULL and is closed",
    parse: (v, name) => {
      const n = parseIntFlag(v, name, 2, 1_000_000);
      if (n % 2 !== 0) throw new UsageError(`${name}: must be an even number (clients are served in pairs)`);
      return n;
    },
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "keepaliveIntervalMs",
    flag: "--keepalive-interval",
    metavar: "TIME",
    help: "KEEP_ALIVE period; 3 unanswered probes disconnect\n(default 60s)",
    parse: (v, name) => duration(v, name),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "maxFrame",
    flag: "--max-frame",
    metavar: "BYTES",
    help: `largest frame payload accepted (default ${DEFAULT_OPTIONS.maxFrame})`,
    parse: (v, name) => {
      const n = parseSize(v, name);
      if (n < 8192 || n > 0xffffffff) throw new UsageError(`${name}: must be between 8192 and 4294967295 bytes`);
      return n;
    },
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "joinWaitMs",
    flag: "--join-wait",
    metavar: "TIME",
    help: `how long a new connection may take to send a JOIN\n(room) before it is paired in the lobby; at most\n${MAX_JOIN_WAIT_MS}ms (default ${DEFAULT_OPTIONS.joinWaitMs}ms)`,
    parse: (v, name) => {
      const ms = duration(v, name);
      if (ms > MAX_JOIN_WAIT_MS) throw new UsageError(`${name}: must be at most ${MAX_JOIN_WAIT_MS}ms`);
      return ms;
    },
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "exchangeTimeoutMs",
    flag: "--exchange-timeout",
    metavar: "TIME",
    help: "a pair must finish its key exchange this long after\npairing; the stalling client is disconnected\n(default 60s)",
    parse: (v, name) => duration(v, name),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "frameTimeoutMs",
    flag: "--frame-timeout",
    metavar: "TIME",
    help: "a started frame must arrive completely within this\ntime (default 30s)",
    parse: (v, name) => duration(v, name),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "maxPerAddress",
    flag: "--max-per-address",
    metavar: "N",
    help: `open connections per source address (IPv4 /32,\nIPv6 /64); 0 = unlimited (default ${DEFAULT_OPTIONS.maxPerAddress})`,
    parse: (v, name) => parseIntFlag(v, name, 0, 1_000_000),
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "connectRate",
    flag: "--connect-rate",
    metavar: "N",
    help: `new connections per second per address, after\n--connect-burst; 0 = unlimited (default ${DEFAULT_OPTIONS.connectRate})`,
    parse: (v, name) => {
      const r = /^\d+(?:\.\d+)?$/.test(v.trim()) ? Number(v) : Number.NaN;
      if (!(r >= 0 && r <= 1_000_000)) throw new UsageError(`${name}: expected connections per second (0 = unlimited), got "${v}"`);
      return r;
    },
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "connectBurst",
    flag: "--connect-burst",
    metavar: "N",
    help: `new connections an address may open at once\n(default ${DEFAULT_OPTIONS.connectBurst})`,
    parse: (v, name) => parseIntFlag(v, name, 1, 1_000_000),
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "maxWaitingPerAddress",
    flag: "--max-waiting-per-address",
    metavar: "N",
    help: `clients of one address waiting for a partner at\nonce, i.e. rooms it holds open; 0 = unlimited\n(default ${DEFAULT_OPTIONS.maxWaitingPerAddress})`,
    parse: (v, name) => parseIntFlag(v, name, 0, 1_000_000),
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "maxWaitMs",
    flag: "--max-wait",
    metavar: "TIME",
    help: "longest wait for a partner (default 1h); when the\nrelay is full, the waiting client of the address\nwith the most waiting clients that has waited\nlongest makes room for a newcomer; paired clients\nare never disconnected for a newcomer",
    parse: (v, name) => duration(v, name),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "drainTimeoutMs",
    flag: "--drain-timeout",
    metavar: "TIME",
    help: "on SIGTERM, paired sessions may go on this long\nbefore they are closed; 0 closes them at once\n(default 30s)",
    parse: (v, name) => duration(v, name, true),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  }),
  row({
    key: "metrics",
    flag: "--metrics",
    metavar: "HOST:PORT",
    help: "serve Prometheus metrics (/metrics), /healthz and\n/readyz over HTTP; HOST defaults to 127.0.0.1,\nPORT 0 picks a free one; \"\" turns it off (default off)",
    parse: (v, name) => {
      const t = v.trim();
      if (t === "") return null;
      const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):|:)?(\d+)$/.exec(t);
      if (!m) throw new UsageError(`${name}: expected HOST:PORT or PORT, got "${v}"`);
      return { host: m[1] ?? m[2] ?? "127.0.0.1", port: parseIntFlag(m[3]!, `${name} port`, 0, 65535) };
    },
    format: (m) => str(m === null ? "" : m.host.includes(":") ? `[${m.host}]:${m.port}` : `${m.host}:${m.port}`),
    tomlNumbers: true,
  }),
  row({
    key: "logLevel",
    flag: "--log-level",
    metavar: "LEVEL",
    help: "silent, error, warn, info or debug (default info);\nlogs go to stderr, addresses only at debug",
    parse: oneOf<LogLevel>(LOG_LEVELS),
    format: str,
  }),
  row({
    key: "logFormat",
    flag: "--log-format",
    metavar: "FORMAT",
    help: "text, or json: one JSON object per line (default text)",
    parse: oneOf<LogFormat>(LOG_FORMATS),
    format: str,
  }),
];

export const fileKeyOf = (r: OptionRow): string => r.flag.slice(2);
export const envNameOf = (r: OptionRow): string => "PQCHAT_" + r.flag.slice(2).toUpperCase().replace(/-/g, "_");

/** Where a value came from, for --print-config and error messages. */
export type Source = "default" | `file ${string}` | `env ${string}` | `flag ${string}`;

export interface ResolvedConfig {
  options: ServerOptions;
  sources: Record<Key, Source>;
  printConfig: boolean;
}

export type ParsedServerArgs = { help: true } | ({ help: false } & ResolvedConfig);

/** Environment variable naming the config file when --config is not given. */
export const CONFIG_ENV = "PQCHAT_CONFIG";

/**
 * Parses `pqchat server` arguments, the environment and the config file they
 * name; throws UsageError (exit status 2) with one line naming the source of
 * the bad value.
 */
export function parseServerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): ParsedServerArgs {
  const byFlag = new Map(SERVER_OPTION_TABLE.map((r) => [r.flag as string, r]));
  const flagged: [OptionRow, string, string][] = [];
  let configPath: string | undefined;
  let printConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return { help: true };
    if (arg === "--print-config") {
      printConfig = true;
      continue;
    }
    let flag = arg;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    const r = byFlag.get(flag);
    if (r === undefined && flag !== "--config") {
      throw new UsageError(`server: unknown option "${arg}" (try 'pqchat server --help')`);
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${flag}: missing value`);
    }
    if (r === undefined) configPath = value;
    else flagged.push([r, flag, value]);
  }

  const options: ServerOptions = { ...DEFAULT_OPTIONS };
  const sources = Object.fromEntries(Object.keys(DEFAULT_OPTIONS).map((k) => [k, "default"])) as Record<Key, Source>;
  const set = (r: OptionRow, value: unknown, source: Source): void => {
    (options as unknown as Record<string, unknown>)[r.key] = value;
    sources[r.key] = source;
  };

  // File, then environment, then flags: each later source overrides.
  if (configPath === undefined && env[CONFIG_ENV] !== undefined && env[CONFIG_ENV] !== "") configPath = env[CONFIG_ENV];
  if (configPath !== undefined) {
    for (const [r, value] of readConfigFile(configPath, readFile)) set(r, value, `file ${configPath}`);
  }
  for (const r of SERVER_OPTION_TABLE) {
    const name = envNameOf(r);
    const text = env[name];
    if (text !== undefined) set(r, r.parse(text, name), `env ${name}`);
  }
  for (const [r, flag, text] of flagged) set(r, r.parse(text, flag), `flag ${flag}`);
  return { help: false, options, sources, printConfig };
}

/** The options a TOML file sets; unknown keys and values of the wrong type are errors. */
export function readConfigFile(path: string, readFile: (path: string) => string): [OptionRow, unknown][] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`--config ${path}: cannot read the file (${code})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new UsageError(`${path}:${err.line}:${err.column}: not valid TOML: ${what}`);
    }
    throw err;
  }
  const byKey = new Map(SERVER_OPTION_TABLE.map((r) => [fileKeyOf(r), r]));
  const out: [OptionRow, unknown][] = [];
  for (const [key, value] of Object.entries(doc)) {
    const r = byKey.get(key);
    const name = `${path}: ${key}`;
    if (r === undefined) {
      throw new UsageError(`${name}: unknown setting (known: ${[...byKey.keys()].join(", ")})`);
    }
    let textValue: string;
    if (typeof value === "string") textValue = value;
    else if (typeof value === "number" && r.tomlNumbers === true) textValue = String(value);
    else throw new UsageError(`${name}: expected ${r.tomlNumbers === true ? "a number or a string" : "a string"}, got ${tomlTypeOf(value)}`);
    out.push([r, r.parse(textValue, name)]);
  }
  return out;
}

function tomlTypeOf(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (typeof v === "object" && v !== null) return "a table";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number") return "a number";
  if (typeof v === "bigint") return "a number";
  return typeof v;
}

/**
 * The effective configuration as a TOML document that --config reads back,
 * each value followed by where it came from.
 */
export function formatConfig(c: ResolvedConfig): string {
  const lines = SERVER_OPTION_TABLE.map((r) => {
    const v = (r as OptionRow<typeof r.key>).format(c.options[r.key] as never);
    return [`${fileKeyOf(r)} = ${v}`, c.sources[r.key]] as const;
  });
  const width = Math.max(...lines.map(([l]) => l.length));
  return (
    "# pqchat server: effective configuration\n" +
    "# (precedence: flags > PQCHAT_* environment > config file > defaults)\n" +
    lines.map(([l, src]) => `${l.padEnd(width)}  # ${src}`).join("\n") +
    "\n"
  );
}

/** The options part of `pqchat server --help`, from the table. */
export function optionsHelp(): string {
  const col = 30;
  const out: string[] = [];
  const add = (left: string, help: string): void => {
    const [first, ...rest] = help.split("\n");
    const head = `  ${left}`;
    out.push(head.length < col ? head.padEnd(col) + first : `${head}\n${" ".repeat(col)}${first}`);
    for (const l of rest) out.push(" ".repeat(col) + l);
  };
  for (const r of SERVER_OPTION_TABLE) add(`${r.flag} ${r.metavar}`, r.help);
  add("--config FILE", `read settings from a TOML file (also ${CONFIG_ENV})`);
  add("--print-config", "print the effective configuration and where each\nvalue came from, then exit");
  add("-h, --help", "show this help");
  return out.join("\n");
}
