// The commands a user interface accepts from outside — the JSON API's stdin
// lines (docs/JSON-API.md) and the GUI page's WebSocket messages — and the
// shape of their arguments, checked in one place. Each view has a table (name
// → argument shape) below; a view runs `parseCommand` on the decoded object
// and gets typed arguments or a CommandArgsError with a stable kind and a
// sentence for the user. Fields shared by both views (a verify answer, a
// transfer id) are one definition used by both tables.
//
// No imports except types and no Node built-ins: the GUI page loads this
// compiled module as it is.

/** Why a command was refused before it reached the client. */
export type CommandArgsErrorKind =
  | "invalid_json"
  | "not_an_object"
  | "missing_command"
  | "unknown_command"
  | "missing_field"
  | "wrong_type"
  | "empty_field"
  | "too_long"
  | "out_of_range"
  | "bad_value";

/** A command line or one of its fields is not what the command table allows. */
export class CommandArgsError extends Error {
  readonly kind: CommandArgsErrorKind;
  /** The field at fault, or null for the command as a whole. */
  readonly field: string | null;
  constructor(kind: CommandArgsErrorKind, message: string, field: string | null = null) {
    super(message);
    this.name = "CommandArgsError";
    this.kind = kind;
    this.field = field;
  }
}

interface FieldCommon {
  /** Absent (undefined or null) is allowed and parsed as undefined. */
  optional?: boolean;
  /** A view's own sentence for a refusal of this kind (instead of the generic one). */
  messages?: Partial<Record<CommandArgsErrorKind, string>>;
}

export interface StringField extends FieldCommon {
  type: "string";
  /** Longest accepted length (UTF-16 units, before trimming). */
  max?: number;
  /** Leading and trailing whitespace removed from the value. */
  trim?: boolean;
  /** "" refused. */
  nonEmpty?: boolean;
  /** Only whitespace refused (the value itself is kept as sent). */
  nonBlank?: boolean;
  /** null is a value of its own (parsed as null), not "absent". */
  nullable?: boolean;
}
export interface BooleanField extends FieldCommon {
  type: "boolean";
}
/** A TCP port: a whole number from 1 to 65535. */
export interface PortField extends FieldCommon {
  type: "port";
}
export interface ChoiceField extends FieldCommon {
  type: "choice";
  values: readonly (string | boolean)[];
  /** The values in words, for the error sentence: 'true, false or "ask"'. */
  describe: string;
}
/** Anything; the view checks it itself (e.g. a settings object it cleans field by field). */
export interface AnyField extends FieldCommon {
  type: "any";
}
export type FieldSpec = StringField | BooleanField | PortField | ChoiceField | AnyField;
export type ArgShape = Readonly<Record<string, FieldSpec>>;
export type CommandTable = Readonly<Record<string, ArgShape>>;

type BaseValue<F> = F extends { type: "string" }
  ? string
  : F extends { type: "boolean" }
    ? boolean
    : F extends { type: "port" }
      ? number
      : F extends { type: "choice"; values: readonly (infer V)[] }
        ? V
        : unknown;
type FieldValue<F> = BaseValue<F> | (F extends { nullable: true } ? null : never) | (F extends { optional: true } ? undefined : never);

/** The parsed arguments of a command of shape S. */
export type ArgsOf<S extends ArgShape> = { -readonly [K in keyof S]: FieldValue<S[K]> };

/** One parsed command of table T: its name and typed arguments, discriminated by name. */
export type ParsedCommand<T extends CommandTable> = { [N in keyof T & string]: { name: N; args: ArgsOf<T[N]> } }[keyof T & string];

// ---- fields used by both views --------------------------------------------------

/** The user's answer to a yes/no question (does the fingerprint match? allow the rekey?). */
const ANSWER = { type: "boolean" } as const satisfies FieldSpec;
/** The words or SHA-256 a verify answer is for (compared by the client; bounded here). */
const FINGERPRINT = { type: "string", optional: true, max: 1024 } as const satisfies FieldSpec;
/** A transfer id as events report it (16 hex digits; the client rejects unknown ones). */
const TRANSFER_ID = { type: "string", nonEmpty: true, max: 64 } as const satisfies FieldSpec;

// ---- the JSON API (docs/JSON-API.md, "Commands") ------------------------------------

/** The JSON API's commands, in documentation order. */
export const JSON_API_COMMANDS = {
  connect: {
    host: { type: "string", optional: true, nonEmpty: true },
    port: { type: "port", optional: true },
    // null: the lobby; absent: the --room of the command line. Its characters are the client's check.
    room: { type: "string", optional: true, nullable: true },
  },
  verify: { answer: ANSWER, fingerprint: FINGERPRINT },
  auto_verify: { value: { type: "choice", values: [true, false, "ask"], describe: 'true, false or "ask"' } },
  send: { text: { type: "string", nonEmpty: true } },
  file: { path: { type: "string", nonEmpty: true }, compress: { type: "boolean", optional: true } },
  accept: { transfer_id: TRANSFER_ID },
  reject: { transfer_id: TRANSFER_ID, reason: { type: "string", optional: true } },
  resume: { transfer_id: TRANSFER_ID, answer: ANSWER },
  accept_files: {
    value: { type: "choice", values: [true, false, "ask", "yes-unverified"], describe: 'true (from a verified peer), false, "ask" or "yes-unverified"' },
  },
  rekey: {},
  rekey_answer: { accept: ANSWER },
  nick: { name: { type: "string", nonEmpty: true } },
  ephemeral: {
    mode: { type: "choice", values: ["OFF", "LOCAL", "GLOBAL"], describe: '"OFF", "LOCAL" or "GLOBAL"' },
    // A number of seconds, 1 to 86400; the client checks it.
    seconds: { type: "any", optional: true },
  },
  emergency_close: {},
  disconnect: {},
  cancel_reconnect: {},
  state: {},
  quit: {},
} as const satisfies CommandTable;

// ---- the GUI page (src/gui/page/wire.mts) -----------------------------------------

const PORT_SENTENCE = "The port must be a number from 1 to 65535.";
const MODE_SENTENCE = 'The mode must be "OFF", "LOCAL" or "GLOBAL".';

/** The commands the GUI page sends to its bridge. */
export const PAGE_COMMANDS = {
  state: {},
  connect: {
    host: { type: "string", max: 253, trim: true, nonEmpty: true, messages: { empty_field: "Enter the server's host name or address." } },
    port: { type: "port", messages: { missing_field: PORT_SENTENCE, wrong_type: PORT_SENTENCE, out_of_range: PORT_SENTENCE } },
    room: { type: "string", max: 256, trim: true },
    nickname: { type: "string", max: 64, trim: true },
  },
  disconnect: {},
  verify: { answer: ANSWER, fingerprint: FINGERPRINT },
  send: { text: { type: "string", max: 1 << 20, nonBlank: true, messages: { empty_field: "The message is empty." } } },
  accept: { transfer_id: TRANSFER_ID },
  reject: { transfer_id: TRANSFER_ID },
  resume: { transfer_id: TRANSFER_ID, answer: ANSWER },
  rekey: {},
  rekey_answer: { accept: ANSWER },
  nick: { nickname: { type: "string", max: 64, trim: true } },
  ephemeral: {
    mode: { type: "choice", values: ["OFF", "LOCAL", "GLOBAL"], describe: '"OFF", "LOCAL" or "GLOBAL"', messages: { missing_field: MODE_SENTENCE, bad_value: MODE_SENTENCE } },
  },
  settings: { settings: { type: "any" } },
  emergency_close: {},
  call: {},
  answer_call: { accept: ANSWER },
  hang_up: {},
  mute: { muted: { type: "boolean" } },
  open_downloads: {},
} as const satisfies CommandTable;

// ---- parsing ------------------------------------------------------------------------

function describe(spec: FieldSpec): string {
  switch (spec.type) {
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "port":
      return "a whole number from 1 to 65535";
    case "choice":
      return spec.describe;
    case "any":
      return "a value";
  }
}

function refuse(spec: FieldSpec, key: string, kind: CommandArgsErrorKind, generic: string): never {
  throw new CommandArgsError(kind, spec.messages?.[kind] ?? generic, key);
}

function parseString(spec: StringField, key: string, v: unknown): string {
  if (typeof v !== "string") refuse(spec, key, "wrong_type", `"${key}" must be a string`);
  if (spec.max !== undefined && v.length > spec.max) refuse(spec, key, "too_long", `"${key}" is too long`);
  const s = spec.trim ? v.trim() : v;
  if ((spec.nonEmpty && s.length === 0) || (spec.nonBlank && s.trim().length === 0)) refuse(spec, key, "empty_field", `"${key}" must not be empty`);
  return s;
}

function parseField(spec: FieldSpec, key: string, v: unknown): unknown {
  if (v === undefined || v === null) {
    if (v === null && spec.type === "string" && spec.nullable) return null;
    if (spec.optional || spec.type === "any") return undefined;
    refuse(spec, key, "missing_field", `missing "${key}" (${describe(spec)})`);
  }
  switch (spec.type) {
    case "string":
      return parseString(spec, key, v);
    case "boolean":
      if (typeof v !== "boolean") refuse(spec, key, "wrong_type", `"${key}" must be true or false`);
      return v;
    case "port":
      if (typeof v !== "number") refuse(spec, key, "wrong_type", `"${key}" must be ${describe(spec)}`);
      if (!Number.isInteger(v) || v < 1 || v > 65535) refuse(spec, key, "out_of_range", `"${key}" must be ${describe(spec)}`);
      return v;
    case "choice":
      if (!spec.values.includes(v as string | boolean)) refuse(spec, key, "bad_value", `"${key}" must be ${spec.describe}`);
      return v;
    case "any":
      return v;
  }
}

/** The arguments of one command, checked against its shape in the shape's field order. */
export function parseArgs<S extends ArgShape>(shape: S, fields: Readonly<Record<string, unknown>>): ArgsOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(shape)) out[key] = parseField(spec, key, Object.hasOwn(fields, key) ? fields[key] : undefined);
  return out as ArgsOf<S>;
}

/** A line of input as a command object: JSON, and an object (not an array, not null). */
export function parseCommandObject(line: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new CommandArgsError("invalid_json", `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CommandArgsError("not_an_object", "a command must be a JSON object");
  return v as Record<string, unknown>;
}

/** The command named in `fields.cmd` and its typed arguments, or a CommandArgsError. */
export function parseCommand<T extends CommandTable>(table: T, fields: Readonly<Record<string, unknown>>): ParsedCommand<T> {
  const name = fields["cmd"];
  if (typeof name !== "string") throw new CommandArgsError("missing_command", 'missing "cmd" (the command name)', "cmd");
  if (!Object.hasOwn(table, name)) {
    throw new CommandArgsError("unknown_command", `unknown command "${name}" (one of: ${Object.keys(table).join(", ")})`, "cmd");
  }
  return { name, args: parseArgs(table[name]!, fields) } as ParsedCommand<T>;
}
