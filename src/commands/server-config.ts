// Configuration of `pqchat server`: one table of options, read from four
// places with a fixed precedence: flags > PQCHAT_* environment > config file
// (TOML, --config FILE or PQCHAT_CONFIG) > defaults.
//
// Every option is one row of SERVER_OPTION_TABLE (server-options.ts). Its flag
// names the other two spellings: `--max-clients` is `max-clients` in the file
// and PQCHAT_MAX_CLIENTS in the environment.
import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import { DEFAULT_OPTIONS, type ServerOptions } from "../server/options.js";
import { UsageError } from "./args.js";
import { envNameOf, fileKeyOf, SERVER_OPTION_TABLE, type Key, type OptionRow } from "./server-options.js";

export { envNameOf, fileKeyOf, formatDuration, SERVER_OPTION_TABLE, type OptionRow } from "./server-options.js";


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
