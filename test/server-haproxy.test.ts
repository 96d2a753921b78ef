// The relay cluster behind a real HAProxy in TCP mode (deploy/haproxy.cfg,
// docs/SCALING.md): a real redis-server, two `pqchat server --redis` nodes with
// their metrics endpoints, and HAProxy health-checking each node's /readyz.
// Clients spread over both nodes still pair; a node drained with SIGTERM is
// marked down by the health check, gets nobody new, finishes its session and
// exits 0.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { newClient, removeDir, type TestClient } from "./helpers/client-harness.js";
import { startHaproxy, type BackendNode, type HaproxyHandle } from "./helpers/haproxy.js";
import type { RawClient } from "./helpers/raw-client.js";
import { startRedis, type RedisHandle } from "./helpers/redis-server.js";
import { completeExchange, joinClient, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";
import { metric } from "./helpers/server-metrics.js";

let dir: string;
let secretFile: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-haproxy-test-"));
  secretFile = path.join(dir, "secret");
  await writeFile(secretFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startNode(redis: RedisHandle, extra: string[] = []): Promise<ServerHandle> {
  return startServer([
    "--redis", redis.url, "--cluster-port", "0", "--cluster-secret-file", secretFile, "--max-clients", "20",
    "--metrics", "127.0.0.1:0", ...extra,
  ]);
}

/** The node as HAProxy sees it: its client port and the metrics port from its "metrics on HOST:PORT" line. */
function backend(node: ServerHandle): BackendNode {
  const m = /^metrics on ([^\s:]+):(\d+)$/m.exec(node.stdout());
  assert.ok(m, `no metrics line in ${JSON.stringify(node.stdout())}`);
  return { host: node.host, port: node.port, metricsPort: Number(m[2]) };
}

/** Client connections HAProxy has sent to each server so far, by name. */
async function sessionsPerNode(lb: HaproxyHandle): Promise<Map<string, number>> {
  return new Map((await lb.servers()).map((s) => [s.name, s.sessionsTotal]));
}

/** Two raw clients of `room` through the balancer: paired, key exchange relayed, one frame each way. */
async function pairAndChat(lb: HaproxyHandle, room: string, into: RawClient[]): Promise<[RawClient, RawClient]> {
  const a = await joinClient(lb, `${room}-a`, room);
  into.push(a);
  const b = await joinClient(lb, `${room}-b`, room);
  into.push(b);
  assert.equal(await a.nextText(), S.initiate);
  await completeExchange(a, b);
  a.send(`{"type": 10, "room": "${room}", "from": "a"}`);
  assert.equal(await b.nextText(), `{"type": 10, "room": "${room}", "from": "a"}`);
  b.send(`{"type": 10, "room": "${room}", "from": "b"}`);
  assert.equal(await a.nextText(), `{"type": 10, "room": "${room}", "from": "b"}`);
  return [a, b];
}

test("through HAProxy, clients spread over both nodes pair in their rooms; real clients verify and chat", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis), await startNode(redis)];
  const lb = await startHaproxy(nodes.map(backend));
  const raw: RawClient[] = [];
  const real: TestClient[] = [];
  try {
    for (const room of ["lb-1", "lb-2", "lb-3"]) await pairAndChat(lb, room, raw);
    const spread = await sessionsPerNode(lb);
    assert.equal(spread.get("node0")! + spread.get("node1")!, 6);
    assert.ok(spread.get("node0")! >= 1 && spread.get("node1")! >= 1, `both nodes serve clients: ${JSON.stringify([...spread])}`);

    const alice = await newClient("alice");
    const bob = await newClient("bob");
    real.push(alice, bob);
    for (const c of real) {
      await c.core.connect({ host: lb.host, port: lb.port, room: "balanced" });
      await c.next("server_version");
    }
    await Promise.all([alice.next("key_exchange_complete"), bob.next("key_exchange_complete")]);
    alice.core.verify(true);
    bob.core.verify(true);
    await Promise.all([alice.next("peer_verified"), bob.next("peer_verified")]);
    alice.core.sendText("through the balancer");
    assert.equal((await bob.next("message")).text, "through the balancer");
    bob.core.sendText("and back");
    assert.equal((await alice.next("message")).text, "and back");
    const total = await sessionsPerNode(lb);
    assert.equal(total.get("node0")! + total.get("node1")!, 8);
  } finally {
    for (const c of raw) c.close();
    for (const c of real) {
      await c.core.disconnect();
      await removeDir(c.downloadDir);
    }
    await lb.stop();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});

test("a node drained with SIGTERM: /readyz 503, HAProxy marks it down, new clients go to the other node, its session ends on its own, exit 0", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis, ["--drain-timeout", "120s"]), await startNode(redis, ["--drain-timeout", "120s"])];
  const lb = await startHaproxy(nodes.map(backend));
  const clients: RawClient[] = [];
  try {
    // The session that must survive the drain: its room lives where its first client landed.
    const before = await sessionsPerNode(lb);
    const a = await joinClient(lb, "stay-a", "stay");
    clients.push(a);
    const landed = await sessionsPerNode(lb);
    const drainName = [...landed].find(([name, n]) => n === before.get(name)! + 1)![0];
    const otherName = drainName === "node0" ? "node1" : "node0";
    const draining = nodes[Number(drainName.slice(4))]!;
    const b = await joinClient(lb, "stay-b", "stay");
    clients.push(b);
    assert.equal(await a.nextText(), S.initiate);
    await completeExchange(a, b);
    // A client waiting alone on the draining node: told to go, and its room is free again.
    const waiting = await joinClient(draining, "waiting", "left-behind");
    clients.push(waiting);

    const acceptedBefore = await metric(draining, "pqchat_relay_connections_accepted_total");
    draining.proc.kill("SIGTERM");
    assert.equal(await waiting.nextText(), S.shutdown);
    await waiting.expectClosed();
    const down = await lb.waitForServer(drainName, (s) => s.status === "DOWN");
    assert.equal(down.checkStatus, "L7STS", "marked down by the /readyz check (wrong HTTP status), not by a refused connection");
    assert.equal(down.checkCode, "503");
    assert.equal((await fetch(`http://127.0.0.1:${backend(draining).metricsPort}/readyz`)).status, 503);
    const atDown = await sessionsPerNode(lb);

    // Every new client is served by the other node: these pair and chat, the left-behind room included.
    for (const room of ["after-1", "after-2", "left-behind"]) await pairAndChat(lb, room, clients);
    const afterDrain = await sessionsPerNode(lb);
    assert.equal(afterDrain.get(drainName), atDown.get(drainName), "HAProxy sent the draining node nobody new");
    assert.equal(afterDrain.get(otherName), atDown.get(otherName)! + 6);
    assert.equal(await metric(draining, "pqchat_relay_connections_accepted_total"), acceptedBefore);
    assert.equal(await metric(draining, "pqchat_relay_draining"), 1);

    // The session on the draining node goes on, both ways.
    for (let i = 0; i < 3; i++) {
      a.send(`{"type": 10, "from": "a", "i": ${i}}`);
      assert.equal(await b.nextText(), `{"type": 10, "from": "a", "i": ${i}}`);
      b.send(`{"type": 10, "from": "b", "i": ${i}}`);
      assert.equal(await a.nextText(), `{"type": 10, "from": "b", "i": ${i}}`);
    }
    assert.equal(draining.proc.exitCode, null);

    // a leaves: b is told, and the drained node exits 0.
    a.send('{"type": 50}');
    assert.equal(await b.nextText(), S.shutdown);
    await b.expectClosed();
    assert.deepEqual(await draining.exited, { code: 0, signal: null });
    assert.match(draining.stderr(), /SIGTERM: draining; 1 sessions may go on for up to 120s/);
    // With it gone, the balancer still serves: one more pair on the remaining node.
    await pairAndChat(lb, "after-exit", clients);
  } finally {
    for (const c of clients) c.close();
    await lb.stop();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});

test("before the health check notices a drain, a client sent to the draining node is retried on the other one", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis, ["--drain-timeout", "120s"]), await startNode(redis, ["--drain-timeout", "120s"])];
  const lb = await startHaproxy(nodes.map(backend));
  const clients: RawClient[] = [];
  try {
    // A session keeps node0 draining (alive, port closed) rather than gone.
    const a = await joinClient(nodes[0]!, "stay-a", "stay");
    const b = await joinClient(nodes[0]!, "stay-b", "stay");
    clients.push(a, b);
    assert.equal(await a.nextText(), S.initiate);
    // Freeze HAProxy's view of node0 at UP: the moment between SIGTERM and the next check, made long.
    assert.equal((await lb.command("disable health relays/node0")).trim(), "");
    nodes[0]!.proc.kill("SIGTERM");
    for (;;) {
      if ((await fetch(`http://127.0.0.1:${backend(nodes[0]!).metricsPort}/readyz`)).status === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const room of ["retried-1", "retried-2"]) await pairAndChat(lb, room, clients);
    const [n0, n1] = await lb.servers();
    // Health checking off, so HAProxy never marked node0 down: the retry did the work.
    assert.equal(n0!.status, "no check");
    assert.ok(n0!.redispatched >= 1, `connections refused by node0 were redispatched: ${JSON.stringify(n0)}`);
    assert.equal(n1!.sessionsTotal, 4);
    assert.equal(nodes[0]!.proc.exitCode, null);
  } finally {
    for (const c of clients) c.close();
    await lb.stop();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});
