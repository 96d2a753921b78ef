// The terminal client survives a relay restart: on pipes (plain lines), with a
// `--json` peer, a relay killed with SIGKILL and started again on the same
// port. It says the connection was lost and when it tries again, shows a text
// typed meanwhile as pending, sends it once the new session is verified, and
// /cancel stops a reconnect and leaves.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonChat, quitAll, TextChat } from "./helpers/cli-proc.js";
import { startServer, startServerOnPort } from "./helpers/server-process.js";

const LONG = { timeoutMs: 60_000 };

async function pairTui(port: number, room: string): Promise<{ tui: TextChat; peer: JsonChat }> {
  const tui = new TextChat([`127.0.0.1:${port}`, "--room", room]);
  await tui.line(/waiting for the other person/);
  const peer = new JsonChat([`127.0.0.1:${port}`, "--room", room]);
  await peer.next("key_exchange_complete");
  await tui.line(/Do they match exactly\? \(yes\/no\)/);
  return { tui, peer };
}

test("relay restarted: the terminal client reconnects, holds a text typed meanwhile and sends it once verified again", async () => {
  let server = await startServer();
  const port = server.port;
  const { tui, peer } = await pairTui(port, "survive");
  try {
    tui.writeLine("yes");
    await tui.line(/you verified the peer/);
    await peer.ok("auto_verify", { value: true });
    const from = tui.mark();
    await server.stop("SIGKILL");
    await tui.line(/^! connection lost: /, { from, ...LONG });
    await tui.line(/^! reconnecting in 1 s \(attempt 1 of 20\): .* — \/cancel to stop and leave$/, { from, ...LONG });
    tui.writeLine("typed while the relay was down");
    await tui.line(/you \[pending: sent once the session is back\]: typed while the relay was down$/, { from });
    server = await startServerOnPort(port);
    await tui.line(/^\* connected to 127\.0\.0\.1:\d+ \(room survive\)$/, { from, ...LONG });
    await tui.line(/secure session established/, { from, ...LONG });
    await tui.line(/1 message\(s\) you wrote while disconnected wait until you verify this new session/, { from, ...LONG });
    await tui.line(/Do they match exactly\? \(yes\/no\)/, { from });
    tui.writeLine("yes");
    assert.equal((await peer.next("message", { text: "typed while the relay was down" }, LONG)).event, "message");
    await tui.line(/^\* a held message was sent$/, { from });
    assert.equal(tui.proc.exitCode, null, "still running");
    tui.writeLine("/quit");
    assert.deepEqual(await tui.waitExit(), { code: 0, signal: null });
  } finally {
    await quitAll(tui, peer);
    await server.stop();
  }
});

test("/cancel while reconnecting leaves with status 0; --no-reconnect exits at the disconnect as before", async () => {
  const server = await startServer(["--max-clients", "4"]);
  const a = await pairTui(server.port, "cancel");
  const plain = new TextChat([`127.0.0.1:${server.port}`, "--room", "off", "--no-reconnect"]);
  const procs = [a.tui, a.peer, plain];
  try {
    await plain.line(/waiting for the other person/);
    await server.stop("SIGKILL");
    await a.tui.line(/^! reconnecting in \d+ s \(attempt 1 of 20\)/, LONG);
    a.tui.writeLine("/cancel");
    await a.tui.line(/^\* reconnect canceled$/);
    assert.deepEqual(await a.tui.waitExit(), { code: 0, signal: null });
    await plain.line(/^\* disconnected: /, LONG);
    assert.deepEqual(await plain.waitExit(), { code: 1, signal: null });
    assert.equal(plain.items.filter((l) => /reconnecting/.test(l)).length, 0);
  } finally {
    await quitAll(...procs);
  }
});
