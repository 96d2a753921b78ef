// The bridge's command table (src/gui/page-commands.ts): the page's commands
// parsed by the shared parser (src/present/command-args.ts), typed arguments
// handed to one handler each, and refusals in the page's words with a kind.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WebSocket } from "ws";
import type { ClientApi } from "../src/client/api.js";
import { CommandArgsError } from "../src/present/command-args.js";
import { BridgeError, refusalText, runPageCommand, type CommandHost } from "../src/gui/page-commands.js";
import type { GuiConfig } from "../src/gui/page/wire.mjs";

const CONFIG: GuiConfig = {
  host: "127.0.0.1",
  port: 1,
  room: "",
  nickname: "",
  settings: { dummy_traffic: false, delivery_receipts: true, allow_nickname_change: true, accept_files: "ask", notifications: false, sound: false, theme: "auto" },
};

/** A host that records what the handlers asked of it; the client is a recorder too. */
function host(): { h: CommandHost; calls: string[] } {
  const calls: string[] = [];
  const core = new Proxy({} as ClientApi, {
    get: (_t, name) => (...args: unknown[]) => {
      calls.push(`core.${String(name)}(${args.map((a) => JSON.stringify(a)).join(",")})`);
      return Promise.resolve();
    },
  });
  let config = CONFIG;
  const h: CommandHost = {
    core,
    get config() {
      return config;
    },
    downloadDir: "/tmp/dl",
    calls: () => {
      throw new BridgeError("calls_unavailable", "Voice calls are not available.");
    },
    hello: () => {
      throw new Error("not used");
    },
    updateConfig: async (c) => {
      config = c;
      calls.push(`config(${c.host}:${c.port} ${c.nickname})`);
    },
    applySettings: () => calls.push("applySettings"),
    newConversation: () => calls.push("newConversation"),
    sendText: (text) => {
      calls.push(`sendText(${text})`);
      return { message_id: "m1" };
    },
    takeAudio: () => calls.push("takeAudio"),
    rekeyAnswered: () => calls.push("rekeyAnswered"),
    openFolder: async (dir) => (dir === "/tmp/dl" ? "no file manager" : null),
  };
  return { h, calls };
}

const ws = {} as WebSocket;

async function refusal(h: CommandHost, msg: Record<string, unknown>): Promise<{ text: string | null; err: unknown }> {
  try {
    await runPageCommand(h, msg, ws);
  } catch (err) {
    return { text: refusalText(err), err };
  }
  assert.fail(`${JSON.stringify(msg)} was accepted`);
}

test("connect: arguments trimmed and checked, the config saved, then the client connects", async () => {
  const { h, calls } = host();
  assert.equal(await runPageCommand(h, { id: 1, cmd: "connect", host: " relay.example ", port: 9000, room: " r1 ", nickname: " bob " }, ws), null);
  assert.deepEqual(calls, ['core.setNickname("bob")', "config(relay.example:9000 bob)", "newConversation", 'core.connect({"host":"relay.example","port":9000,"room":"r1"})']);
});

test("refusals are in the page's words and carry a kind", async () => {
  const { h, calls } = host();
  const empty = await refusal(h, { cmd: "connect", host: "  ", port: 9000, room: "", nickname: "" });
  assert.equal(empty.text, "Enter the server's host name or address.");
  assert.ok(empty.err instanceof CommandArgsError && empty.err.kind === "empty_field");
  const port = await refusal(h, { cmd: "connect", host: "h", port: 70000, room: "", nickname: "" });
  assert.equal(port.text, "The port must be a number from 1 to 65535.");
  assert.equal((await refusal(h, { cmd: "send", text: " \n " })).text, "The message is empty.");
  assert.equal((await refusal(h, { cmd: "ephemeral", mode: "ON" })).text, 'The mode must be "OFF", "LOCAL" or "GLOBAL".');
  assert.equal((await refusal(h, { cmd: "nope" })).text, "Unknown command.");
  const call = await refusal(h, { cmd: "call" });
  assert.equal(call.text, "Voice calls are not available.");
  assert.ok(call.err instanceof BridgeError && call.err.kind === "calls_unavailable");
  const open = await refusal(h, { cmd: "open_downloads" });
  assert.equal(open.text, "Could not open the folder /tmp/dl (no file manager).");
  assert.ok(open.err instanceof BridgeError && open.err.kind === "open_folder_failed");
  assert.deepEqual(calls, [], "nothing reached the client");
  assert.equal(refusalText(new Error("boom")), null, "an internal error is not shown to the page");
});

test("send goes through the host (kept for a reloaded page) and returns the message id", async () => {
  const { h, calls } = host();
  assert.deepEqual(await runPageCommand(h, { cmd: "send", text: "hi" }, ws), { message_id: "m1" });
  assert.deepEqual(await runPageCommand(h, { cmd: "rekey_answer", accept: true }, ws), null);
  assert.deepEqual(calls, ["sendText(hi)", "core.answerRekey(true)", "rekeyAnswered"]);
});

test("a verify answer is bound to the words the page showed, when it names them", async () => {
  const { h, calls } = host();
  await runPageCommand(h, { cmd: "verify", answer: true }, ws);
  await runPageCommand(h, { cmd: "verify", answer: false, fingerprint: "a b c d e f g h" }, ws);
  assert.deepEqual(calls, ["core.verify(true)", 'core.verify(false,"a b c d e f g h")']);
});
