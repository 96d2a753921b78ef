// `pqchat chat --json` reconnecting by itself: a relay killed with SIGKILL and
// started again on the same port, with no command sent to either client;
// --no-reconnect; emergency_close; --reconnect-attempts running out;
// cancel_reconnect; a text written meanwhile held and delivered.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { startServer, startServerOnPort, type ServerHandle } from "./helpers/server-process.js";

const LONG = { timeoutMs: 60_000 };

async function pairIn(server: ServerHandle, room: string, extra: string[] = []): Promise<[JsonChat, JsonChat]> {
  const args = [`127.0.0.1:${server.port}`, "--room", room, ...extra];
  const a = new JsonChat(args);
  await a.next("waiting_for_peer");
  const b = new JsonChat(args);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  return [a, b];
}

test("relay killed and restarted on the same port: both JSON clients reconnect and agree on new keys with no command sent", async () => {
  let server = await startServer();
  const port = server.port;
  const procs: JsonChat[] = [];
  try {
    const [a, b] = await pairIn(server, "phoenix");
    procs.push(a, b);
    // Auto-verify so that the text held below may go to the new session.
    await Promise.all([a.ok("auto_verify", { value: true }), b.ok("auto_verify", { value: true })]);
    const fromA = a.mark();
    const fromB = b.mark();
    await server.stop("SIGKILL");
    for (const [p, from] of [[a, fromA], [b, fromB]] as const) {
      const d = await p.next("disconnected", {}, { from, ...LONG });
      assert.equal(d.reconnect, true);
      const r = await p.next("reconnecting", { attempt: 1 }, { from, ...LONG });
      assert.ok((r.delay_ms as number) <= 1000);
      assert.equal(typeof r.reason, "string");
      assert.equal(r.max_attempts, 20);
    }
    const held = await a.ok("send", { text: "held across the restart" });
    assert.equal(held.pending, true);
    server = await startServerOnPort(port);
    for (const [p, from] of [[a, fromA], [b, fromB]] as const) {
      const c = await p.next("connected", {}, { from, ...LONG });
      assert.deepEqual([c.port, c.room], [port, "phoenix"]);
    }
    const [ka, kb] = await Promise.all([a.next("key_exchange_complete", {}, { from: fromA, ...LONG }), b.next("key_exchange_complete", {}, { from: fromB, ...LONG })]);
    assert.equal(ka.fingerprint, kb.fingerprint);
    assert.equal((await b.next("message", { text: "held across the restart" }, { from: fromB, ...LONG })).event, "message");
    assert.equal((await a.next("sent", { message_id: held.message_id }, { from: fromA })).event, "sent");
    const st = await a.command("state");
    assert.equal((st.state as { reconnect: unknown }).reconnect, null);
    assert.deepEqual([a.badLines, b.badLines], [[], []]);
  } finally {
    await quitAll(...procs);
    await server.stop();
  }
});

test("--no-reconnect, emergency_close and cancel_reconnect: no reconnect follows; --reconnect-attempts runs out", async () => {
  const server = await startServer(["--max-clients", "8"]);
  const procs: JsonChat[] = [];
  try {
    // emergency_close: disconnected {emergency: true} on both sides, and nothing else.
    const [a, b] = await pairIn(server, "panic");
    procs.push(a, b);
    await a.ok("emergency_close");
    for (const p of [a, b]) {
      const d = await p.next("disconnected");
      assert.equal(d.emergency, true);
      assert.equal(d.reconnect, undefined);
      assert.equal(((await p.command("state")).state as { phase: string }).phase, "disconnected");
    }
    // --no-reconnect (c) and --reconnect-attempts 2 (d), in one pair; the relay then dies.
    const c = new JsonChat([`127.0.0.1:${server.port}`, "--room", "limits", "--no-reconnect"]);
    procs.push(c);
    await c.next("waiting_for_peer");
    const d = new JsonChat([`127.0.0.1:${server.port}`, "--room", "limits", "--reconnect-attempts", "2"]);
    procs.push(d);
    await Promise.all([c.next("key_exchange_complete"), d.next("key_exchange_complete")]);
    await server.stop("SIGKILL");
    const dc = await c.next("disconnected", {}, LONG);
    assert.equal(dc.reconnect, undefined);
    assert.equal(((await c.command("state")).state as { phase: string }).phase, "disconnected");
    assert.equal(c.events("reconnecting").length, 0);
    assert.equal((await d.next("reconnecting", { attempt: 2, max_attempts: 2 }, LONG)).event, "reconnecting");
    const failed = await d.next("reconnect_failed", {}, LONG);
    assert.deepEqual([failed.attempts, failed.canceled], [2, false]);
    assert.match(failed.reason as string, /ECONNREFUSED/);
    // cancel_reconnect now has nothing to cancel; a connect by hand is allowed again.
    const refused = await d.command("cancel_reconnect");
    assert.equal(refused.event, "cmd_error");
    assert.match(refused.error as string, /no automatic reconnect/);
  } finally {
    await quitAll(...procs);
    await server.stop();
  }
});

test("cancel_reconnect while waiting: reconnect_failed {canceled: true}, a held text is reported not sent, and connect works by hand", async () => {
  let server = await startServer();
  const port = server.port;
  const procs: JsonChat[] = [];
  try {
    const [a, b] = await pairIn(server, "cancel", ["--reconnect-for", "5m"]);
    procs.push(a, b);
    const from = a.mark();
    await server.stop("SIGKILL");
    await a.next("reconnecting", {}, { from, ...LONG });
    const held = await a.ok("send", { text: "never mind" });
    await a.ok("cancel_reconnect");
    const f = await a.next("reconnect_failed", {}, { from });
    assert.deepEqual([f.canceled, f.reason], [true, "Canceled."]);
    assert.equal((await a.next("message_not_sent", { message_id: held.message_id }, { from })).event, "message_not_sent");
    server = await startServerOnPort(port);
    const before = a.mark();
    await a.ok("connect", { port, room: "cancel" });
    assert.equal((await a.next("waiting_for_peer", {}, { from: before, ...LONG })).event, "waiting_for_peer");
  } finally {
    await quitAll(...procs);
    await server.stop();
  }
});

test("bad reconnect flags are one line and exit 2", async () => {
  const { runCli } = await import("./helpers/server-process.js");
  for (const args of [
    ["--reconnect-attempts", "0"],
    ["--reconnect-attempts", "many"],
    ["--reconnect-for", "soon"],
    ["--no-reconnect", "--reconnect-attempts", "3"],
  ]) {
    const r = await runCli(["chat", "--json", ...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^pqchat: .*reconnect/);
    assert.equal(r.stdout, "");
  }
});
