// `pqchat chat --json`: framing, replies, errors and exits of one process
// (plus a server to connect to). Two-client sessions: json-api-session.test.ts.
import assert from "node:assert/strict";
import { isAbsolute } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { runJsonApi } from "../src/json-api/json-api.js";
import { ClientCore } from "../src/client/core.js";
import { after, before, test } from "node:test";
import { runCli, startServer, type ServerHandle } from "./helpers/server-process.js";
import { JsonChat, quitAll, tempDir, type Ev } from "./helpers/cli-proc.js";

let server: ServerHandle;
const procs: JsonChat[] = [];
const spawnJson = (args: string[], opts: { cwd?: string } = {}): JsonChat => {
  const p = new JsonChat(args, opts);
  procs.push(p);
  return p;
};

before(async () => {
  server = await startServer(["--max-clients", "16"]);
});
after(async () => {
  await quitAll(...procs);
  await server.stop();
});

/** seq 1, 2, 3, … and t non-decreasing, every line an event object. */
function assertWellFormed(p: JsonChat): void {
  assert.deepEqual(p.badLines, [], "every stdout line is one JSON event");
  p.events().forEach((e: Ev, i) => {
    assert.equal(e.seq, i + 1, `seq of ${JSON.stringify(e)}`);
    assert.equal(typeof e.t, "number");
    if (i > 0) assert.ok(e.t >= (p.events()[i - 1]!.t as number), "t does not go back");
  });
}

test("usage: --help exits 0, bad flags exit 2 with one line", async () => {
  const help = await runCli(["chat", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: pqchat chat \[host\[:port\]\]/);
  assert.match(help.stdout, /--json/);
  for (const bad of [["--bogus"], ["--room"], ["--accept-files", "maybe"], ["--gzip-level", "12"], ["--server-silence", "soon"], ["--server-silence", "0"], ["a", "b"], ["--download-dir", "/nonexistent/x"], ["host:99999"]]) {
    const r = await runCli(["chat", "--json", ...bad]);
    assert.equal(r.code, 2, `${bad.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^pqchat: .+\n$/, bad.join(" "));
  }
});

test("ready first, commands answered once each, bad input survives, quit exits 0", async () => {
  const dl = tempDir();
  try {
    const p = spawnJson(["--download-dir", dl.path, "--nick", "alice"]);
    const ready = await p.next("ready");
    assert.equal(ready.seq, 1);
    assert.equal(p.events()[0], ready);
    assert.equal(ready.download_dir, dl.path);
    assert.ok(isAbsolute(ready.download_dir as string));
    assert.equal(ready.protocol_version, "6.0.1");
    assert.match(ready.version as string, /^\d+\.\d+\.\d+/);

    // Not JSON, not an object, no cmd, unknown cmd: each one cmd_error, and the process goes on.
    let from = p.mark();
    p.writeLine("this is not json");
    const e1 = await p.next("cmd_error", {}, { from });
    assert.equal(e1.cmd, null);
    assert.equal(e1.id, null);
    assert.match(e1.error as string, /invalid JSON/);
    assert.equal(e1.kind, "bad_command");
    from = p.mark();
    p.writeLine("[1,2]");
    assert.match((await p.next("cmd_error", {}, { from })).error as string, /JSON object/);
    const noCmd = await p.command("", {});
    assert.equal(noCmd.event, "cmd_error");
    from = p.mark();
    p.send({ id: 7, text: "hi" });
    const e3 = await p.next("cmd_error", { id: 7 }, { from });
    assert.equal(e3.cmd, null);
    assert.match(e3.error as string, /missing "cmd"/);
    const unk = await p.command("fly");
    assert.equal(unk.event, "cmd_error");
    assert.equal(unk.cmd, "fly");
    assert.equal(unk.kind, "bad_command");
    assert.match(unk.error as string, /^unknown command "fly" \(one of: connect, verify, auto_verify, send, file, accept, reject, resume, accept_files, rekey, rekey_answer, nick, ephemeral, emergency_close, disconnect, cancel_reconnect, state, quit\)$/);

    // Field validation: a sentence naming the field, and the kind "bad_command".
    const badAnswer = await p.command("verify", { answer: "yes" });
    assert.deepEqual([badAnswer.event, badAnswer.error, badAnswer.kind], ["cmd_error", '"answer" must be true or false', "bad_command"]);
    assert.equal((await p.command("accept_files", { value: "maybe" })).event, "cmd_error");
    assert.equal((await p.command("connect", { host: "127.0.0.1", port: 70000 })).event, "cmd_error");

    // Settable before connect; send refused before the key exchange.
    await p.ok("accept_files", { value: true });
    await p.ok("auto_verify", { value: "ask" });
    const early = await p.command("send", { text: "too early" });
    assert.equal(early.event, "cmd_error");
    assert.equal(early.cmd, "send");
    assert.ok((early.error as string).length > 0);
    assert.equal(early.kind, undefined, "a refusal by the client without a kind has none");

    // state: reply in cmd_ok and as a state event.
    from = p.mark();
    const st = await p.ok("state");
    const stState = st.state as Record<string, unknown>;
    assert.equal(stState.phase, "disconnected");
    assert.equal((stState.settings as Record<string, unknown>).accept_files, true);
    assert.equal(stState.download_dir, dl.path);
    const stEv = await p.next("state", {}, { from });
    assert.equal(stEv.phase, "disconnected");

    // A command without an id still gets one reply (id null).
    from = p.mark();
    p.send({ cmd: "rekey" });
    const rk = await p.waitFor((e) => e.event === "cmd_ok" || e.event === "cmd_error", "rekey reply", { from });
    assert.equal(rk.id, null);
    assert.equal(rk.cmd, "rekey");

    // Connect, then quit: cmd_ok, exit {code: 0}, exit status 0.
    const c = await p.ok("connect", { host: "127.0.0.1", port: server.port });
    assert.equal(c.cmd, "connect");
    await p.next("connected");
    await p.next("waiting_for_peer");
    const again = await p.command("connect", { host: "127.0.0.1", port: server.port });
    assert.equal(again.event, "cmd_error", "already connected");
    assert.match(again.error as string, /^already connected \(waiting_for_peer\); connect is allowed again after "disconnected" or while "reconnecting"$/);
    assert.equal(again.kind, undefined, "no undocumented kind on the wire");
    const q = await p.ok("quit");
    const exit = await p.next("exit");
    assert.ok(exit.seq > q.seq);
    assert.equal(exit.code, 0);
    const st2 = await p.waitExit();
    assert.equal(st2.code, 0);
    assert.equal(p.events().at(-1)!.event, "exit");
    assertWellFormed(p);

    // Every command line above got exactly one reply.
    const replies = p.events().filter((e) => e.event === "cmd_ok" || e.event === "cmd_error");
    const ids = replies.map((e) => e.id).filter((id) => id !== null);
    assert.equal(new Set(ids).size, ids.length, "no id answered twice");
    assert.equal(replies.length, 16);
  } finally {
    dl.remove();
  }
});

test("stdin EOF and SIGTERM: CLIENT_DISCONNECT, exit event, exit code 0", async () => {
  const a = spawnJson([`127.0.0.1:${server.port}`, "--room", "eof-term"]);
  const b = spawnJson([`127.0.0.1:${server.port}`, "--room", "eof-term"]);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);

  // a: stdin EOF while connected; b sees the server's reset (a left), then waits for a new peer.
  const fromB = b.mark();
  a.endInput();
  assert.equal((await a.next("exit")).code, 0);
  assert.equal((await a.waitExit()).code, 0);
  assertWellFormed(a);
  await b.next("reset", {}, { from: fromB });

  // b: SIGTERM while connected.
  b.proc.kill("SIGTERM");
  assert.equal((await b.next("exit")).code, 0);
  assert.equal((await b.waitExit()).code, 0);
  assertWellFormed(b);
});

test("connect failure is an error event, and the process stays usable", async () => {
  const p = spawnJson(["--room", "retry"]);
  await p.next("ready");
  const r = await p.command("connect", { host: "127.0.0.1", port: 1 });
  assert.equal(r.event, "cmd_error");
  const st = await p.ok("state");
  assert.equal((st.state as Record<string, unknown>).phase, "disconnected");
  const badRoom = await p.command("connect", { host: "127.0.0.1", port: server.port, room: "no spaces" });
  assert.deepEqual([badRoom.event, badRoom.error, badRoom.kind], ["cmd_error", '"room" must be 1 to 64 characters of A-Z a-z 0-9 _ -', "bad_command"]);
  const ok = await p.ok("connect", { host: "127.0.0.1", port: server.port }); // room from --room
  assert.equal(ok.room, "retry");
  assert.equal((await p.next("connected")).room, "retry");
  await p.next("waiting_for_peer");
  p.endInput();
  assert.equal((await p.waitExit()).code, 0);
  assertWellFormed(p);
});

test("a slow reader loses nothing: every line arrives, in order (in-process, backpressure)", async () => {
  const input = new PassThrough();
  const chunks: string[] = [];
  let writes = 0;
  const output = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString("utf8"));
      // A slow consumer: every write completes a little later.
      if (++writes % 10 === 0) setTimeout(cb, 1);
      else setImmediate(cb);
    },
  });
  const done = runJsonApi({
    createCore: (o) => new ClientCore(o),
    options: { downloadDir: process.cwd() },
    connect: null,
    input,
    output,
    diag: () => {},
  });
  for (let i = 0; i < 300; i++) input.write(JSON.stringify({ cmd: "state", id: i }) + "\n");
  input.end();
  assert.equal(await done, 0);
  const lines = chunks.join("").split("\n");
  assert.equal(lines.pop(), "");
  const events = lines.map((l) => JSON.parse(l) as Ev);
  events.forEach((e, i) => assert.equal(e.seq, i + 1));
  assert.equal(events[0]!.event, "ready");
  assert.equal(events.at(-1)!.event, "exit");
  const oks = events.filter((e) => e.event === "cmd_ok");
  assert.deepEqual(oks.map((e) => e.id), [...Array(300).keys()]);
  assert.equal(events.filter((e) => e.event === "state").length, 300);
});
