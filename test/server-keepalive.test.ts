// Keepalive (SPEC §10, WIRE-NOTES §11: probes every interval, dropped at the
// 4th tick with 3 unanswered), graceful shutdown on SIGTERM/SIGINT, and the
// logging privacy rules (SPEC §18).
import assert from "node:assert/strict";
import { test } from "node:test";
import { completedPair, completeExchange, joinClient, joinFrame, pairedClients, S } from "./helpers/scenarios.js";
import { startServer } from "./helpers/server-process.js";

const KEEPALIVE = /^\{"type": 44, "timestamp": \d{10}\.\d+\}$/;

test("keepalive: three unanswered probes, then SERVER_DISCONNECT and the connection is closed", async () => {
  const server = await startServer(["--keepalive-interval", "200ms"]);
  try {
    const e = await server.connect("E"); // reference client in the lobby, never answers
    const t0 = performance.now();
    const got = await e.nextTexts(5);
    assert.equal(got[0], S.version); // never a keepalive before the greeting
    for (const k of got.slice(1, 4)) assert.match(k, KEEPALIVE);
    assert.equal(got[4], S.keepaliveTimeout);
    await e.expectClosed(); // the reference leaves it open (WIRE-NOTES §15.13)
    const took = performance.now() - t0;
    assert.ok(took >= 600 && took < 1600, `dropped after ${took.toFixed(0)} ms (4 ticks of 200 ms)`);
    // Timestamps are the wall clock in seconds.
    const ts = (JSON.parse(got[1]!) as { timestamp: number }).timestamp;
    assert.ok(Math.abs(ts - Date.now() / 1000) < 5);
  } finally {
    await server.stop();
  }
});

test("keepalive: answered probes keep the connection; an answer resets the failure count", async () => {
  const server = await startServer(["--keepalive-interval", "200ms", "--max-clients", "4"]);
  try {
    const f = await server.connect("F");
    assert.equal(await f.nextText(), S.version);
    // A paired, completed session keeps relaying while its probes are answered.
    // Both answer from the start: on a loaded machine a probe can come before
    // the exchange is done, and it must not be mistaken for an exchange frame.
    const a = (await server.connect("A")).answerKeepalives();
    a.send(joinFrame("ka"));
    assert.equal(await a.nextText(), S.version);
    const b = (await server.connect("B")).answerKeepalives();
    b.send(joinFrame("ka"));
    assert.equal(await b.nextText(), S.version);
    assert.equal(await a.nextText(), S.initiate);
    await completeExchange(a, b);
    let skipped = 0;
    for (let probes = 1; probes <= 8; probes++) {
      assert.match(await f.nextText(), KEEPALIVE);
      // Answer only every other probe: failures reach 1, then reset to 0.
      if (probes % 2 === 1) f.send('{"type": 51}');
      else skipped++;
    }
    assert.equal(skipped, 4);
    assert.equal(f.isClosed, false);
    assert.ok(a.keepalivesAnswered >= 5 && b.keepalivesAnswered >= 5);
    a.send('{"type": 10, "alive": true}');
    assert.equal(await b.nextText(), '{"type": 10, "alive": true}');
    for (const c of [a, b, f]) c.close();
  } finally {
    await server.stop();
  }
});

test("SIGTERM: every client (paired, waiting, not yet registered) gets 'Server shutting down', exit 0", async () => {
  const server = await startServer(["--max-clients", "10"]);
  const [a, b] = await completedPair(server, { room: "bye" });
  const [c, d] = await pairedClients(server, { room: "bye2" }); // exchange not done
  const waiting = await joinClient(server, "waiting", "alone");
  const pending = await server.connect("pending"); // no JOIN yet, not registered
  await new Promise((r) => setTimeout(r, 20));
  const status = await server.stop("SIGTERM");
  for (const cl of [a, b, c, d, waiting, pending]) {
    assert.equal(await cl.nextText(), S.shutdown, cl.label);
    await cl.expectClosed();
  }
  assert.deepEqual(status, { code: 0, signal: null });
});

test("SIGINT shuts down the same way; logs carry no addresses unless --log-level debug", async () => {
  const quiet = await startServer(["--max-clients", "4"]);
  const [a, b] = await completedPair(quiet, { room: "log" });
  a.send('{"type": 10, "secret": "do not log me"}');
  await b.nextText();
  const status = await quiet.stop("SIGINT");
  assert.equal(await a.nextText(), S.shutdown);
  assert.deepEqual(status, { code: 0, signal: null });
  assert.doesNotMatch(quiet.stderr(), /127\.0\.0\.1|secret|do not log/);
  assert.equal(quiet.stdout(), `listening on 127.0.0.1:${quiet.port}\n`);

  const verbose = await startServer(["--log-level", "debug"]);
  const x = await joinClient(verbose, "X", "log");
  x.send('{"type": 10, "secret": "do not log me"}');
  await x.expectNoFrame(50);
  await verbose.stop();
  assert.match(verbose.stderr(), /127\.0\.0\.1/);
  assert.doesNotMatch(verbose.stderr(), /secret|do not log/);
});
