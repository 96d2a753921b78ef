// A relay that goes silent without closing anything (frozen with SIGSTOP: no
// FIN, no RST, the kernel still ACKs) is noticed by the silence limit
// (src/client/liveness.ts): both clients report `disconnected` with a reason
// that says the server stopped responding, and stay usable. A healthy relay
// with the same short KEEP_ALIVE interval keeps a session that carries
// nothing but its keepalives (SPEC §10, WIRE-NOTES §11) for many limits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { silenceLimitFor, silenceReason } from "../src/client/liveness.js";
import { connectClient, newClient, pair, startServer, type ServerHandle } from "./helpers/client-harness.js";

const KEEPALIVE_MS = 500;
const LIMIT_MS = silenceLimitFor(KEEPALIVE_MS); // 3.5 intervals, as by default (210 s for 60 s)
const KEEPALIVE = /^\{"type": 44, "timestamp": \d{10}\.\d+\}$/;

/** Unhandled rejections while `body` runs (the client must never leave one behind). */
async function collectRejections(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on("unhandledRejection", onRejection);
  try {
    await body();
    // A rejection left behind by the disconnect surfaces within a turn or two of the loop.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return seen;
}

test("a frozen relay: both clients report disconnected because the server went silent, and stay usable", async () => {
  const server = await startServer(["--keepalive-interval", `${KEEPALIVE_MS}ms`]);
  let frozen = false;
  try {
    // Reconnecting off: this test is about noticing the silence (client-reconnect tests the rest).
    const a = await newClient("A", { serverSilenceMs: LIMIT_MS, reconnect: false });
    const b = await newClient("B", { serverSilenceMs: LIMIT_MS, reconnect: false });
    const rejections = await collectRejections(async () => {
      await pair(server, a, b);
      a.skipPast();
      b.skipPast();
      process.kill(server.pid, "SIGSTOP");
      frozen = true;
      const expected = silenceReason(LIMIT_MS);
      const [da, db] = await Promise.all([a.next("disconnected", undefined, 60_000), b.next("disconnected", undefined, 60_000)]);
      assert.equal(da.reason, expected);
      assert.equal(db.reason, expected);
      assert.equal(da.emergency, undefined);
      assert.equal(a.core.state().phase, "disconnected");
      assert.equal(b.core.state().phase, "disconnected");
      assert.equal(a.core.state().fingerprint, null, "the session's keys are wiped as on any disconnect");
    });
    assert.deepEqual(rejections, []);

    // The client keeps running: once the relay runs again, it connects again.
    process.kill(server.pid, "SIGCONT");
    frozen = false;
    await connectClient(a, server);
    await a.next("server_version", undefined, 30_000);
    assert.equal(a.core.state().phase, "waiting_for_peer");
    await a.close();
    await b.close();
  } finally {
    if (frozen) process.kill(server.pid, "SIGCONT");
    await server.stop();
  }
});

/** Answers `n` KEEP_ALIVEs on a raw connection of its own: proves that n - 1 keepalive intervals passed on the relay. */
async function watchIntervals(server: ServerHandle, n: number): Promise<void> {
  const w = await server.connect("W");
  try {
    for (let probes = 0; probes < n; ) {
      const text = await w.nextText(30_000);
      if (!KEEPALIVE.test(text)) continue; // the greeting
      w.send('{"type": 51}');
      probes++;
    }
  } finally {
    w.close();
  }
}

test("a healthy relay with the same interval: a session with nothing but keepalives stays up for many limits", async () => {
  const server = await startServer(["--keepalive-interval", `${KEEPALIVE_MS}ms`, "--max-clients", "4"]);
  try {
    // No dummy traffic: the relay's KEEP_ALIVEs are all the clients hear.
    const a = await newClient("A", { serverSilenceMs: LIMIT_MS, dummyTraffic: false });
    const b = await newClient("B", { serverSilenceMs: LIMIT_MS, dummyTraffic: false });
    await pair(server, a, b, { room: "alive" });
    // 12 probes: at least 11 intervals, more than three times the silence limit.
    await watchIntervals(server, 12);
    assert.equal(a.count("disconnected"), 0, a.summary());
    assert.equal(b.count("disconnected"), 0, b.summary());
    assert.equal(a.core.state().phase, "secure");
    assert.equal(b.core.state().phase, "secure");
    // And the session still carries messages.
    a.core.sendText("still here");
    assert.equal((await b.next("message")).text, "still here");
    await a.close();
    await b.close();
  } finally {
    await server.stop();
  }
});
