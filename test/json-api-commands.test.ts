// Unit tests of the JSON API's command table (src/json-api/commands.ts) and
// its line handler (src/json-api/command-lines.ts): the table is the
// documented command list, each line gets exactly one reply, and refusals
// carry only documented kinds. The client behind them is a recording stand-in
// (the real client is exercised by json-api-basic and json-api-session).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CommandError, type ClientApi, type ConnectOptions } from "../src/client/api.js";
import { BAD_COMMAND_KIND, CommandLines } from "../src/json-api/command-lines.js";
import { COMMAND_HANDLERS, COMMANDS, type CommandContext, JsonApiRefusal } from "../src/json-api/commands.js";
import { JSON_API_COMMANDS } from "../src/present/command-args.js";

const DOC = readFileSync(new URL("../../docs/JSON-API.md", import.meta.url), "utf8");

/** The first column of the table under a "## <title>" heading of docs/JSON-API.md. */
function documented(title: string): string[] {
  const section = DOC.split(/^## /m).find((s) => s.startsWith(title + "\n"))!;
  return [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);
}

type Call = [string, ...unknown[]];

function harness(overrides: Partial<Record<keyof ClientApi, (...a: unknown[]) => unknown>> = {}) {
  const calls: Call[] = [];
  const events: Array<Record<string, unknown>> = [];
  const diag: string[] = [];
  const core = new Proxy({} as ClientApi, {
    get: (_t, name: string) =>
      (...args: unknown[]) => {
        calls.push([name, ...args]);
        const o = overrides[name as keyof ClientApi];
        if (o) return o(...args);
        if (name === "state") return { phase: "disconnected", words: null, fingerprint: null };
        if (name === "sendText") return { message_id: "m1" };
        return undefined;
      },
  });
  const connects: ConnectOptions[] = [];
  let quits = 0;
  const ctx: CommandContext = {
    core,
    defaultRoom: "lobby-default",
    connect: async (t) => void connects.push(t),
    disconnect: () => core.disconnect(),
    emit: (event, fields) => void events.push({ event, ...fields }),
    quit: () => void quits++,
  };
  const lines = new CommandLines(ctx, (l) => diag.push(l));
  return { calls, events, diag, connects, lines, quits: () => quits, ctx };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test("the command table is exactly the documented command list, in its order", () => {
  assert.deepEqual(COMMANDS, documented("Commands"));
  assert.deepEqual(Object.keys(COMMAND_HANDLERS), Object.keys(JSON_API_COMMANDS));
});

test("every line gets exactly one reply with its cmd and id; bad lines carry kind bad_command", async () => {
  const h = harness();
  for (const line of ["not json", "[1]", '{"id":1}', '{"cmd":"fly","id":2}', '{"cmd":"verify","id":3,"answer":"yes"}', "   ", '{"cmd":"send","id":4,"text":"hi"}']) h.lines.handle(line);
  await settle();
  assert.deepEqual(
    h.events.map((e) => [e.event, e.cmd, e.id, e.kind]),
    [
      ["cmd_error", null, null, BAD_COMMAND_KIND],
      ["cmd_error", null, null, BAD_COMMAND_KIND],
      ["cmd_error", null, 1, BAD_COMMAND_KIND],
      ["cmd_error", "fly", 2, BAD_COMMAND_KIND],
      ["cmd_error", "verify", 3, BAD_COMMAND_KIND],
      ["cmd_ok", "send", 4, undefined],
    ],
  );
  assert.equal(h.events.at(-1)!.message_id, "m1");
  assert.deepEqual(h.calls, [["sendText", "hi"]], "no refused command reached the client");
  assert.deepEqual(h.diag, []);
});

test("a refusal by the client keeps its kind; a JSON API refusal has none on the wire; a bug is logged with its stack", async () => {
  const h = harness({
    sendText: () => {
      throw new CommandError("Texts this long cannot be sent.", "text_too_long");
    },
    rekey: () => {
      throw new TypeError("a bug");
    },
  });
  h.ctx.connect = async () => {
    throw new JsonApiRefusal("already_connected", "already connected (secure)");
  };
  h.lines.handle('{"cmd":"send","id":1,"text":"x"}');
  h.lines.handle('{"cmd":"connect","id":2}');
  h.lines.handle('{"cmd":"rekey","id":3}');
  await settle();
  assert.deepEqual(
    h.events.map((e) => [e.id, e.error, e.kind]),
    [
      [1, "Texts this long cannot be sent.", "text_too_long"],
      [3, "a bug", undefined],
      [2, "already connected (secure)", undefined],
    ],
  );
  assert.equal(h.diag.length, 1);
  assert.match(h.diag[0]!, /^command rekey: TypeError: a bug\n\s+at /);
});

test("connect: defaults, the --room default, null for the lobby, and a room code the relay accepts", async () => {
  const h = harness();
  h.lines.handle('{"cmd":"connect","id":1}');
  h.lines.handle('{"cmd":"connect","id":2,"host":"h","port":7,"room":null}');
  h.lines.handle('{"cmd":"connect","id":3,"room":"no spaces"}');
  await settle();
  assert.deepEqual(h.connects, [
    { host: "127.0.0.1", port: 16384, room: "lobby-default" },
    { host: "h", port: 7, room: null },
  ]);
  assert.deepEqual(
    h.events.map((e) => [e.id, e.event, e.event === "cmd_ok" ? e.room : e.error]).sort((x, y) => Number(x[0]) - Number(y[0])),
    [
      [1, "cmd_ok", "lobby-default"],
      [2, "cmd_ok", null],
      [3, "cmd_error", '"room" must be 1 to 64 characters of A-Z a-z 0-9 _ -'],
    ],
  );
});

test("the client calls behind the commands", async () => {
  const h = harness();
  const lines = [
    { cmd: "verify", answer: true },
    { cmd: "verify", answer: false, fingerprint: "a b" },
    { cmd: "auto_verify", value: "ask" },
    { cmd: "accept", transfer_id: "t1" },
    { cmd: "reject", transfer_id: "t1" },
    { cmd: "reject", transfer_id: "t1", reason: "no" },
    { cmd: "accept_files", value: "yes-unverified" },
    { cmd: "rekey" },
    { cmd: "rekey_answer", accept: false },
    { cmd: "nick", name: "bob" },
    { cmd: "emergency_close" },
  ];
  for (const l of lines) h.lines.handle(JSON.stringify(l));
  await settle();
  assert.deepEqual(h.calls, [
    ["verify", true],
    ["verify", false, "a b"],
    ["setAutoVerify", "ask"],
    ["acceptFile", "t1"],
    ["rejectFile", "t1"],
    ["rejectFile", "t1", "no"],
    ["setAcceptFiles", "yes-unverified"],
    ["rekey"],
    ["answerRekey", false],
    ["setNickname", "bob"],
    ["emergencyClose"],
  ]);
  assert.ok(h.events.every((e) => e.event === "cmd_ok"));
});

test("state replies and then emits a state event with the one-line fingerprint; quit ends after its reply", async () => {
  const h = harness({ state: () => ({ phase: "secure", words: ["a", "b"], fingerprint: "hex" }) });
  h.lines.handle('{"cmd":"state","id":"s"}');
  h.lines.handle('{"cmd":"quit","id":"q"}');
  assert.equal(h.quits(), 0, "not before the reply");
  await settle();
  assert.deepEqual(h.events.map((e) => e.event), ["cmd_ok", "cmd_ok", "state"]);
  assert.deepEqual(h.events[0]!.state, { phase: "secure", words: ["a", "b"], fingerprint: "a b" });
  assert.equal(h.events[2]!.fingerprint, "a b");
  assert.equal(h.quits(), 1);
});

test("at shutdown: waiting commands are cancelled, later lines refused", async () => {
  const h = harness({ sendFile: () => new Promise(() => undefined) });
  h.lines.handle('{"cmd":"file","id":1,"path":"big.iso"}');
  await settle();
  assert.equal(h.events.length, 0, "no reply before the offer is made");
  h.lines.closed = true;
  h.lines.handle('{"cmd":"state","id":2}');
  h.lines.cancelAll();
  h.lines.cancelAll();
  assert.deepEqual(
    h.events.map((e) => [e.id, e.cmd, e.error]),
    [
      [2, "state", "the client is shutting down"],
      [1, "file", "cancelled: the client is shutting down"],
    ],
  );
  assert.match(String(h.calls[0]![1]), /big\.iso$/);
});
