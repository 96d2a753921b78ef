// `pqchat server --workers N` (src/server/primary.ts, worker.ts, join-gate.ts,
// room-owner.ts): real processes, real sockets. A room's clients meet on the
// worker that owns it, the lobby pairs in arrival order, per-address caps hold
// across workers, a killed worker takes only its own clients and is started
// again, metrics are merged, and SIGTERM drains.
import assert from "node:assert/strict";
import { get } from "node:http";
import { test } from "node:test";
import { ownerOf } from "../src/server/room-owner.js";
import { pair, newClient, removeDir } from "./helpers/client-harness.js";
import { completedPair, completeExchange, pairedClients, S } from "./helpers/scenarios.js";
import type { RawClient } from "./helpers/raw-client.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

/** A room code that worker `index` of `n` owns. */
function roomOwnedBy(index: number, n: number, tag: string): string {
  for (let k = 0; ; k++) if (ownerOf(`${tag}-${k}`, n) === index) return `${tag}-${k}`;
}

/** Waits for the primary's "relay worker I started (pid P)" line number `occurrence` (1 = first start) of worker `index`. */
async function workerPid(server: ServerHandle, index: number, occurrence = 1): Promise<number> {
  const re = new RegExp(`relay worker ${index} started \\(pid (\\d+)\\)`, "g");
  for (let waited = 0; waited < 20_000; waited += 25) {
    const all = [...server.stderr().matchAll(re)];
    if (all.length >= occurrence) return Number(all[occurrence - 1]![1]);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`worker ${index} start #${occurrence} not logged:\n${server.stderr()}`);
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

test("rooms are served by their owners; a killed worker takes only its own pairs and is started again", async () => {
  const server = await startServer(["--workers", "3", "--max-clients", "12"]);
  try {
    const rooms = [0, 1, 2].map((i) => roomOwnedBy(i, 3, "spread"));
    const pairs: [RawClient, RawClient][] = [];
    for (const room of rooms) pairs.push(await completedPair(server, { room, labels: [`${room}-a`, `${room}-b`] }));
    for (const [i, [a, b]] of pairs.entries()) {
      a.send(`{"type": 10, "n": ${i}}`);
      assert.equal(await b.nextText(), `{"type": 10, "n": ${i}}`);
    }
    process.kill(await workerPid(server, 1), "SIGKILL");
    const [a1, b1] = pairs[1]!;
    await Promise.all([a1.closed, b1.closed]);
    for (const i of [0, 2]) {
      const [a, b] = pairs[i]!;
      b.send(`{"type": 10, "after": ${i}}`);
      assert.equal(await a.nextText(), `{"type": 10, "after": ${i}}`);
      assert.equal(a.isClosed || b.isClosed, false);
    }
    await workerPid(server, 1, 2);
    const [c, d] = await completedPair(server, { room: rooms[1]!, labels: ["again-a", "again-b"] });
    c.send('{"type": 10, "again": true}');
    assert.equal(await d.nextText(), '{"type": 10, "again": true}');
    for (const p of [...pairs, [c, d]]) for (const x of p) x.close();
  } finally {
    await server.stop();
  }
});

test("reference-style clients (no JOIN) pair in the lobby in arrival order, while rooms go to other workers", async () => {
  const server = await startServer(["--workers", "2", "--max-clients", "8"]);
  try {
    // pairedClients checks the order: the first of each pair gets INITIATE_KEY_EXCHANGE.
    const [a, b] = await pairedClients(server, { labels: ["lobby-a", "lobby-b"] });
    const [r1, r2] = await completedPair(server, { room: roomOwnedBy(1, 2, "side"), labels: ["room-a", "room-b"] });
    const [c, d] = await pairedClients(server, { labels: ["lobby-c", "lobby-d"] });
    await completeExchange(a, b);
    await completeExchange(c, d);
    // The pairs are separate.
    a.send('{"type": 10, "to": "b"}');
    c.send('{"type": 10, "to": "d"}');
    assert.equal(await b.nextText(), '{"type": 10, "to": "b"}');
    assert.equal(await d.nextText(), '{"type": 10, "to": "d"}');
    r1.send('{"type": 10, "room": true}');
    assert.equal(await r2.nextText(), '{"type": 10, "room": true}');
    for (const x of [a, b, c, d, r1, r2]) x.close();
  } finally {
    await server.stop();
  }
});

test("pqchat clients in a room on a worker other than the first: handshake, verification and messages both ways", async () => {
  const server = await startServer(["--workers", "2"]);
  const alice = await newClient("alice");
  const bob = await newClient("bob");
  try {
    await pair(server, alice, bob, { room: roomOwnedBy(1, 2, "chat") });
    alice.core.sendText("hello from alice");
    assert.equal((await bob.next("message")).text, "hello from alice");
    bob.core.sendText("hello from bob");
    assert.equal((await alice.next("message")).text, "hello from bob");
  } finally {
    await alice.core.disconnect();
    await bob.core.disconnect();
    await removeDir(alice.downloadDir);
    await removeDir(bob.downloadDir);
    await server.stop();
  }
});

test("the per-address connection cap holds across workers", async () => {
  const server = await startServer(["--workers", "2", "--max-clients", "10", "--max-per-address", "2", "--connect-rate", "0"], { addressLimits: true });
  try {
    const one = await server.connect("one", "127.0.0.2");
    one.send(`{"type": 70, "room": "${roomOwnedBy(0, 2, "cap")}"}`);
    assert.equal(await one.nextText(), S.version);
    const two = await server.connect("two", "127.0.0.2");
    two.send(`{"type": 70, "room": "${roomOwnedBy(1, 2, "cap")}"}`);
    assert.equal(await two.nextText(), S.version);
    const three = await server.connect("three", "127.0.0.2");
    assert.equal(await three.nextText(), S.full);
    await three.expectClosed();
    const other = await server.connect("other", "127.0.0.3");
    other.send(`{"type": 70, "room": "${roomOwnedBy(1, 2, "cap")}"}`);
    assert.equal(await other.nextText(), S.version);
    for (const x of [one, two, other]) x.close();
  } finally {
    await server.stop();
  }
});

test("metrics of all workers are merged; SIGTERM makes /readyz 503, tells waiting clients and exits once sessions end", async () => {
  const server = await startServer(["--workers", "2", "--max-clients", "8", "--metrics", "127.0.0.1:0", "--drain-timeout", "30s"]);
  try {
    const m = /^metrics on ([^\s:]+):(\d+)$/m.exec(server.stdout());
    assert.ok(m, server.stdout());
    const base = `http://${m[1]}:${m[2]}`;
    const [a, b] = await completedPair(server, { room: roomOwnedBy(0, 2, "m"), labels: ["m0a", "m0b"] });
    const [c, d] = await completedPair(server, { room: roomOwnedBy(1, 2, "m"), labels: ["m1a", "m1b"] });
    const metrics = await httpGet(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^pqchat_relay_pairs_formed_total 2$/m);
    assert.match(metrics.body, /^pqchat_relay_clients_paired 4$/m);
    assert.equal((await httpGet(`${base}/readyz`)).status, 200);
    const waiting = await server.connect("waiting");
    waiting.send(`{"type": 70, "room": "${roomOwnedBy(1, 2, "lonely")}"}`);
    assert.equal(await waiting.nextText(), S.version);

    server.proc.kill("SIGTERM");
    assert.equal(await waiting.nextText(), S.disconnect("Server shutting down"));
    await waiting.expectClosed();
    assert.equal((await httpGet(`${base}/readyz`)).status, 503);
    // Sessions go on while draining.
    a.send('{"type": 10, "still": true}');
    assert.equal(await b.nextText(), '{"type": 10, "still": true}');
    for (const x of [a, b, c, d]) x.close();
    const status = await server.exited;
    assert.equal(status.code, 0, server.stderr());
  } finally {
    await server.stop();
  }
});

test("workers end with their primary, even when it is killed", async () => {
  const server = await startServer(["--workers", "2"]);
  const pids = [await workerPid(server, 0), await workerPid(server, 1)];
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  assert.deepEqual(pids.map(alive), [true, true]);
  server.proc.kill("SIGKILL");
  await server.exited;
  for (let waited = 0; pids.some(alive) && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(pids.map(alive), [false, false]);
});
