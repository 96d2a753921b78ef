// Unit tests of the shared command tables and argument parser
// (src/present/command-args.ts) behind the JSON API and the GUI bridge.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CommandArgsError,
  type CommandArgsErrorKind,
  JSON_API_COMMANDS,
  PAGE_COMMANDS,
  parseArgs,
  parseCommand,
  parseCommandObject,
} from "../src/present/command-args.js";

function refusal(fn: () => unknown): { kind: CommandArgsErrorKind; message: string; field: string | null } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CommandArgsError, String(err));
    return { kind: err.kind, message: err.message, field: err.field };
  }
  assert.fail("expected a CommandArgsError");
}

test("a command line must be a JSON object", () => {
  assert.deepEqual(parseCommandObject('{"cmd":"state","id":1}'), { cmd: "state", id: 1 });
  assert.equal(refusal(() => parseCommandObject("this is not json")).kind, "invalid_json");
  assert.match(refusal(() => parseCommandObject("nope")).message, /^invalid JSON: /);
  for (const line of ["[1]", "null", "3", '"s"']) {
    assert.deepEqual(refusal(() => parseCommandObject(line)), { kind: "not_an_object", message: "a command must be a JSON object", field: null });
  }
});

test("the command name: missing, unknown (listing the table's names), or one of the table's", () => {
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, {})), { kind: "missing_command", message: 'missing "cmd" (the command name)', field: "cmd" });
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: 7 })).kind, "missing_command");
  const unknown = refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "fly" }));
  assert.equal(unknown.kind, "unknown_command");
  assert.equal(unknown.message, `unknown command "fly" (one of: ${Object.keys(JSON_API_COMMANDS).join(", ")})`);
  // Inherited names are not commands.
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "toString" })).kind, "unknown_command");
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { cmd: "quit" })).kind, "unknown_command", "quit is not a page command");
  const ok = parseCommand(JSON_API_COMMANDS, { cmd: "send", text: "hi", id: 3 });
  assert.deepEqual(ok, { name: "send", args: { text: "hi" } });
});

test("strings: missing, wrong type, empty, too long; null is absent for an optional field", () => {
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "send" })), { kind: "missing_field", message: 'missing "text" (a string)', field: "text" });
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "send", text: null })).kind, "missing_field");
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "send", text: 5 })), { kind: "wrong_type", message: '"text" must be a string', field: "text" });
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "send", text: "" })), { kind: "empty_field", message: '"text" must not be empty', field: "text" });
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "verify", answer: true, fingerprint: "x".repeat(1025) })).kind, "too_long");
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "reject", transfer_id: "ab", reason: null }).args, { transfer_id: "ab", reason: undefined });
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "send", text: " " }).args, { text: " " }, "the JSON API sends a blank text as it is");
});

test("connect: optional host and port, a room that may be null (the lobby) or absent (the default)", () => {
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "connect" }).args, { host: undefined, port: undefined, room: undefined });
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "connect", host: "h", port: 1, room: null }).args, { host: "h", port: 1, room: null });
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "connect", port: 65535, room: "r" }).args, { host: undefined, port: 65535, room: "r" });
  for (const port of [0, 70000, 1.5, -1]) {
    assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "connect", port })), {
      kind: "out_of_range",
      message: '"port" must be a whole number from 1 to 65535',
      field: "port",
    });
  }
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "connect", port: "80" })).kind, "wrong_type");
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "connect", host: "" })).kind, "empty_field");
});

test("booleans and choices", () => {
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "verify", answer: "yes" })), { kind: "wrong_type", message: '"answer" must be true or false', field: "answer" });
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "verify", answer: false }).args, { answer: false, fingerprint: undefined });
  assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "file", path: "a", compress: false }).args, { path: "a", compress: false });
  assert.deepEqual(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "accept_files", value: "maybe" })), {
    kind: "bad_value",
    message: '"value" must be true (from a verified peer), false, "ask" or "yes-unverified"',
    field: "value",
  });
  for (const value of [true, false, "ask", "yes-unverified"]) assert.deepEqual(parseCommand(JSON_API_COMMANDS, { cmd: "accept_files", value }).args, { value });
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "auto_verify", value: "yes-unverified" })).kind, "bad_value");
  assert.equal(refusal(() => parseCommand(JSON_API_COMMANDS, { cmd: "auto_verify" })).kind, "missing_field");
});

test("the page's commands: its own sentences, trimming, blank texts refused", () => {
  const connect = { cmd: "connect", host: " relay.example ", port: 16384, room: " r ", nickname: " bob " };
  assert.deepEqual(parseCommand(PAGE_COMMANDS, connect).args, { host: "relay.example", port: 16384, room: "r", nickname: "bob" });
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { ...connect, host: "  " })).message, "Enter the server's host name or address.");
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { ...connect, port: 0 })).message, "The port must be a number from 1 to 65535.");
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { ...connect, port: undefined })).message, "The port must be a number from 1 to 65535.");
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { ...connect, host: "h".repeat(254) })).kind, "too_long");
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { cmd: "send", text: " \n " })).message, "The message is empty.");
  assert.deepEqual(parseCommand(PAGE_COMMANDS, { cmd: "send", text: " hi " }).args, { text: " hi " });
  assert.equal(refusal(() => parseCommand(PAGE_COMMANDS, { cmd: "ephemeral", mode: "ON" })).message, 'The mode must be "OFF", "LOCAL" or "GLOBAL".');
  assert.deepEqual(parseCommand(PAGE_COMMANDS, { cmd: "settings", settings: { theme: "dark" } }).args, { settings: { theme: "dark" } });
  assert.deepEqual(parseCommand(PAGE_COMMANDS, { cmd: "mute", muted: true }).args, { muted: true });
});

test("fields both views share are one definition", () => {
  assert.strictEqual(JSON_API_COMMANDS.verify.answer, PAGE_COMMANDS.verify.answer);
  assert.strictEqual(JSON_API_COMMANDS.verify.fingerprint, PAGE_COMMANDS.verify.fingerprint);
  assert.strictEqual(JSON_API_COMMANDS.accept.transfer_id, PAGE_COMMANDS.accept.transfer_id);
  assert.strictEqual(JSON_API_COMMANDS.rekey_answer.accept, PAGE_COMMANDS.answer_call.accept);
});

test("parseArgs reads only the shape's own fields, never inherited ones", () => {
  const fields = Object.create({ text: "inherited" }) as Record<string, unknown>;
  assert.equal(refusal(() => parseArgs(JSON_API_COMMANDS.send, fields)).kind, "missing_field");
});

test("the parsed arguments are typed by the table (checked by the compiler)", () => {
  const c = parseCommand(JSON_API_COMMANDS, { cmd: "accept_files", value: "ask" });
  if (c.name === "accept_files") {
    const v: boolean | "ask" | "yes-unverified" = c.args.value;
    assert.equal(v, "ask");
  }
  const p = parseCommand(PAGE_COMMANDS, { cmd: "connect", host: "h", port: 2, room: "", nickname: "" });
  if (p.name === "connect") {
    const port: number = p.args.port;
    assert.equal(port, 2);
  }
});
