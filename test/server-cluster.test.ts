// A relay cluster on a real Redis (src/server/cluster/): several `pqchat server
// --redis` processes, clients of one room on different nodes, the lobby across
// nodes, a node killed, Redis restarted, and an outsider without the secret.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { newClient, removeDir, type TestClient } from "./helpers/client-harness.js";
import type { RawClient } from "./helpers/raw-client.js";
import { startRedis, type RedisHandle } from "./helpers/redis-server.js";
import { completeExchange, joinClient, S } from "./helpers/scenarios.js";
import { runCli, startServer, type ServerHandle } from "./helpers/server-process.js";

let dir: string;
let secretFile: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-cluster-"));
  secretFile = path.join(dir, "secret");
  await writeFile(secretFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startNode(redis: RedisHandle, extra: string[] = []): Promise<ServerHandle> {
  return startServer(["--redis", redis.url, "--cluster-port", "0", "--cluster-secret-file", secretFile, "--max-clients", "20", ...extra]);
}

async function connectTo(c: TestClient, node: ServerHandle, room: string | null): Promise<void> {
  await c.core.connect({ host: node.host, port: node.port, room });
  await c.next("server_version");
}

test("clients of one room on different nodes pair, verify, chat, rekey and send a file", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis), await startNode(redis), await startNode(redis)];
  const alice = await newClient("alice", { acceptFiles: true });
  const bob = await newClient("bob", { acceptFiles: true });
  try {
    await connectTo(alice, nodes[0]!, "across");
    await connectTo(bob, nodes[2]!, "across");
    await Promise.all([alice.next("key_exchange_complete"), bob.next("key_exchange_complete")]);
    alice.core.verify(true);
    bob.core.verify(true);
    await Promise.all([alice.next("peer_verified"), bob.next("peer_verified")]);
    alice.core.sendText("across the cluster");
    assert.equal((await bob.next("message")).text, "across the cluster");
    bob.core.rekey();
    await Promise.all([alice.next("rekey_done"), bob.next("rekey_done")]);
    bob.core.sendText("after the rekey");
    assert.equal((await alice.next("message")).text, "after the rekey");
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(dir, "payload.dat");
    await writeFile(file, content);
    const offered = await alice.core.sendFile(file);
    const got = await bob.next("file_received", (e) => e.transfer_id === offered.transfer_id, 60_000);
    assert.equal(got.hash_ok, true);
    assert.ok((await readFile(got.path)).equals(content));
  } finally {
    await alice.core.disconnect();
    await bob.core.disconnect();
    await removeDir(alice.downloadDir);
    await removeDir(bob.downloadDir);
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});

test("reference-style clients (no JOIN) on different nodes pair in the lobby in arrival order", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis), await startNode(redis)];
  const clients: RawClient[] = [];
  try {
    const a = await joinClient(nodes[0]!, "lobby-a");
    clients.push(a);
    const b = await joinClient(nodes[1]!, "lobby-b");
    clients.push(b);
    assert.equal(await a.nextText(), S.initiate);
    await completeExchange(a, b);
    a.send('{"type": 10, "n": 1}');
    assert.equal(await b.nextText(), '{"type": 10, "n": 1}');
    const c = await joinClient(nodes[1]!, "lobby-c");
    clients.push(c);
    const d = await joinClient(nodes[0]!, "lobby-d");
    clients.push(d);
    assert.equal(await c.nextText(), S.initiate);
    await completeExchange(c, d);
    d.send('{"type": 10, "n": 2}');
    assert.equal(await c.nextText(), '{"type": 10, "n": 2}');
  } finally {
    for (const x of clients) x.close();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});

test("a killed node takes only its own clients; its rooms move to a live node after the lease", async () => {
  const redis = await startRedis();
  const nodes = [await startNode(redis, ["--cluster-lease", "1s"]), await startNode(redis, ["--cluster-lease", "1s"])];
  const clients: RawClient[] = [];
  try {
    // Room "doomed" lives on node 0 (its first client arrived there); room "safe" on node 1.
    const d1 = await joinClient(nodes[0]!, "doomed-1", "doomed");
    const s1 = await joinClient(nodes[1]!, "safe-1", "safe");
    const s2 = await joinClient(nodes[0]!, "safe-2", "safe"); // carried to node 1
    const t1 = await joinClient(nodes[1]!, "steady-1", "steady");
    const t2 = await joinClient(nodes[1]!, "steady-2", "steady");
    clients.push(d1, s1, s2, t1, t2);
    assert.equal(await s1.nextText(), S.initiate);
    await completeExchange(s1, s2);
    assert.equal(await t1.nextText(), S.initiate);
    await completeExchange(t1, t2);
    nodes[0]!.proc.kill("SIGKILL");
    await nodes[0]!.exited;
    await d1.closed;
    await s2.closed; // its bytes went through the dead node
    assert.equal(await s1.nextText(), S.reset); // its partner left, as with one relay
    // A pair wholly on node 1 is untouched.
    t1.send('{"type": 10, "steady": true}');
    assert.equal(await t2.nextText(), '{"type": 10, "steady": true}');
    // "doomed" is served by node 1 once the dead node's lease (1 s) ran out;
    // until then a client is told plainly to try again, as a reconnecting client does.
    const x = await retryUntilPlaced(() => joinClient(nodes[1]!, "doomed-x", "doomed"));
    const y = await joinClient(nodes[1]!, "doomed-y", "doomed");
    clients.push(x, y);
    assert.equal(await x.nextText(), S.initiate);
    await completeExchange(x, y);
    x.send('{"type": 10, "moved": true}');
    assert.equal(await y.nextText(), '{"type": 10, "moved": true}');
  } finally {
    for (const c of clients) c.close();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
});

test("without Redis a node serves the rooms it holds, refuses new ones plainly, and recovers when Redis returns", async () => {
  let redis = await startRedis();
  const node = await startNode(redis, ["--cluster-lease", "30s"]);
  const clients: RawClient[] = [];
  try {
    const a = await joinClient(node, "held-a", "held");
    clients.push(a);
    await redis.stop();
    await waitFor(() => node.stderr().includes("Redis unreachable"), "the node to notice Redis is gone");
    // Its own room still pairs.
    const b = await joinClient(node, "held-b", "held");
    clients.push(b);
    assert.equal(await a.nextText(), S.initiate);
    // A new room cannot be placed.
    const lost = await node.connect("lost");
    clients.push(lost);
    lost.send('{"type": 70, "room": "new-room"}');
    assert.equal(await lost.nextText(), S.disconnect("The relay cannot place this room right now: try again shortly"));
    await lost.expectClosed();
    redis = await startRedis(redis.port);
    await waitFor(() => node.stderr().includes("connected to Redis", node.stderr().indexOf("Redis unreachable")), "the node to reconnect to Redis");
    const back = await joinClient(node, "back", "new-room");
    clients.push(back);
  } finally {
    for (const c of clients) c.close();
    await node.stop();
    await redis.stop();
  }
});

test("an outsider without the cluster secret cannot hand a node a client", async () => {
  const redis = await startRedis();
  const node = await startNode(redis);
  try {
    const m = /reachable by other nodes at ([^\s:]+):(\d+)/.exec(node.stderr());
    assert.ok(m, node.stderr());
    const socket = connect({ host: m[1]!, port: Number(m[2]) });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.once("data", () => {
      const header = Buffer.from(JSON.stringify({ room: "victim", joined: true, ip: "203.0.113.9" }));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(header.length);
      socket.write(Buffer.concat([randomBytes(32), len, header]));
    });
    await closed;
    await waitFor(() => node.stderr().includes("cluster: refused a link: cluster link: authentication failed"), "the refusal to be logged");
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("cluster flags that cannot work are one clear line and exit 2", async () => {
  const short = path.join(dir, "short-secret");
  await writeFile(short, "too short\n");
  for (const [args, message] of [
    [["--redis", "redis://127.0.0.1:1"], /^pqchat: --redis needs --cluster-secret-file\n$/],
    [["--redis", "redis://127.0.0.1:1", "--cluster-secret-file", short], /the secret must be at least 32 characters\n$/],
    [["--redis", "redis://127.0.0.1:1", "--cluster-secret-file", path.join(dir, "missing")], /cannot read the file \(ENOENT\)\n$/],
    [["--redis", "redis://127.0.0.1:1", "--cluster-secret-file", secretFile, "--workers", "2"], /cannot be combined yet/],
  ] as const) {
    const r = await runCli(["server", "--port", "0", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

async function retryUntilPlaced(join: () => Promise<RawClient>, timeoutMs = 15_000): Promise<RawClient> {
  for (let waited = 0; ; waited += 200) {
    try {
      return await join();
    } catch (err) {
      if (!/cannot place this room/.test((err as Error).message) || waited > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 25) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
