// The options of `pqchat server`: one row per option, from which its flag,
// its PQCHAT_* environment variable, its config-file key, its --help text and
// its --print-config line all follow (src/commands/server-config.ts reads
// them). A row added here is available everywhere without further code.
import { availableParallelism } from "node:os";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../server/log.js";
import { DEFAULT_OPTIONS, DEFAULT_PORT, MAX_JOIN_WAIT_MS, type ServerOptions } from "../server/options.js";
import { parseDuration, parseIntFlag, parseSize, UsageError } from "./args.js";

/** setTimeout's limit; longer delays would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export type Key = keyof ServerOptions;

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

type NumberKey = { [K in Key]: ServerOptions[K] extends number ? K : never }[Key];

/** An option holding a duration, written like "30s" (`check` may narrow it further). */
function durationRow(key: NumberKey, flag: `--${string}`, help: string, check: (ms: number, name: string, text: string) => number = (ms) => ms): OptionRow {
  return row({
    key,
    flag,
    metavar: "TIME",
    help,
    parse: (v, name) => check(duration(v, name), name, v),
    format: (ms) => str(formatDuration(ms)),
    tomlNumbers: true,
  });
}

/** An option holding a whole number in [min, max]. */
function countRow(key: NumberKey, flag: `--${string}`, metavar: string, help: string, min: number, max: number): OptionRow {
  return row({ key, flag, metavar, help, parse: (v, name) => parseIntFlag(v, name, min, max), format: String, tomlNumbers: true });
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
  countRow("port", "--port", "PORT", `TCP port, 0 picks a free one (default ${DEFAULT_PORT})`, 0, 65535),
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
  durationRow("keepaliveIntervalMs", "--keepalive-interval", "KEEP_ALIVE period; 3 unanswered probes disconnect\n(default 60s)"),
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
  durationRow(
    "joinWaitMs",
    "--join-wait",
    `how long a new connection may take to send a JOIN\n(room) before it is paired in the lobby; at most\n${MAX_JOIN_WAIT_MS}ms (default ${DEFAULT_OPTIONS.joinWaitMs}ms)`,
    (ms, name) => {
      if (ms > MAX_JOIN_WAIT_MS) throw new UsageError(`${name}: must be at most ${MAX_JOIN_WAIT_MS}ms`);
      return ms;
    },
  ),
  durationRow("exchangeTimeoutMs", "--exchange-timeout", "a pair must finish its key exchange this long after\npairing; the stalling client is disconnected\n(default 60s)"),
  durationRow("frameTimeoutMs", "--frame-timeout", "a started frame must arrive completely within this\ntime (default 30s)"),
  countRow("maxPerAddress", "--max-per-address", "N", `open connections per source address (IPv4 /32,\nIPv6 /64); 0 = unlimited (default ${DEFAULT_OPTIONS.maxPerAddress})`, 0, 1_000_000),
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
  countRow("connectBurst", "--connect-burst", "N", `new connections an address may open at once\n(default ${DEFAULT_OPTIONS.connectBurst})`, 1, 1_000_000),
  countRow(
    "maxWaitingPerAddress",
    "--max-waiting-per-address",
    "N",
    `clients of one address waiting for a partner at\nonce, i.e. rooms it holds open; 0 = unlimited\n(default ${DEFAULT_OPTIONS.maxWaitingPerAddress})`,
    0,
    1_000_000,
  ),
  durationRow(
    "maxWaitMs",
    "--max-wait",
    "longest wait for a partner (default 1h); when the\nrelay is full, the waiting client of the address\nwith the most waiting clients that has waited\nlongest makes room for a newcomer; paired clients\nare never disconnected for a newcomer",
  ),
  row({
    ...durationRow("drainTimeoutMs", "--drain-timeout", "on SIGTERM, paired sessions may go on this long\nbefore they are closed; 0 closes them at once\n(default 30s)"),
    parse: (v, name) => duration(v, name, true),
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
    key: "workers",
    flag: "--workers",
    metavar: "N",
    help: "relay processes on this machine, or auto (one per\ncore); each room is served by one of them, the\nlobby by the first (default 1)",
    parse: (v, name) => (v.trim() === "auto" ? availableParallelism() : parseIntFlag(v, name, 1, 256)),
    format: String,
    tomlNumbers: true,
  }),
  row({
    key: "redis",
    flag: "--redis",
    metavar: "URL",
    help: "join a relay cluster that shares this Redis\n(redis://HOST:PORT); needs --cluster-secret-file\n(default: a standalone relay)",
    parse: (v, name) => {
      const t = v.trim();
      if (t === "") return null;
      if (!/^rediss?:\/\/[^\s]+$/.test(t)) throw new UsageError(`${name}: expected redis://HOST:PORT, got "${v}"`);
      return t;
    },
    format: (v) => str(v ?? ""),
  }),
  countRow("clusterPort", "--cluster-port", "PORT", "this node's port for other relay nodes, 0 picks\na free one (default 16385)", 0, 65535),
  row({
    key: "advertise",
    flag: "--advertise",
    metavar: "HOST",
    help: "the host other nodes reach this one at\n(default 127.0.0.1)",
    parse: (v, name) => {
      if (v.trim() === "") throw new UsageError(`${name}: must not be empty`);
      return v.trim();
    },
    format: str,
  }),
  row({
    key: "clusterSecretFile",
    flag: "--cluster-secret-file",
    metavar: "FILE",
    help: "file with the cluster's shared secret (32+\ncharacters); only nodes that know it can join",
    parse: (v) => (v.trim() === "" ? null : v.trim()),
    format: (v) => str(v ?? ""),
  }),
  durationRow("clusterLeaseMs", "--cluster-lease", "how long a node's rooms stay its own without\nrenewal: the longest a dead node's rooms stay\nunreachable (default 10s)", (ms, name) => {
    if (ms < 300) throw new UsageError(`${name}: must be at least 300ms`);
    return ms;
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
