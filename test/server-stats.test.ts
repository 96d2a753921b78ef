// The relay's counters (src/server/stats.ts): moved by real traffic through an
// in-process RelayServer on loopback, and the on-demand gauges.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Logger } from "../src/server/log.js";
import { DEFAULT_OPTIONS } from "../src/server/options.js";
import { Reason, RelayServer } from "../src/server/relay.js";
import { ReasonCounts, RelayStats } from "../src/server/stats.js";
import { RawClient } from "./helpers/raw-client.js";
import { completedPair, joinClient, S } from "./helpers/scenarios.js";

async function inProcessRelay(maxClients: number): Promise<{ relay: RelayServer; connect: (l?: string) => Promise<RawClient> }> {
  const relay = new RelayServer({ ...DEFAULT_OPTIONS, port: 0, maxClients }, new Logger("silent"));
  const a = await relay.listen();
  return { relay, connect: (label?: string) => RawClient.connect(a.port, a.host, label === undefined ? {} : { label }) };
}

/** Waits (polling; the relay's state has no event for it) until `cond` holds. */
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("ReasonCounts: known reasons start at 0, add() accumulates, total sums", () => {
  const r = new ReasonCounts(["a", "b"]);
  assert.deepEqual([...r.entries()], [["a", 0], ["b", 0]]);
  r.add("a");
  r.add("c", 3);
  assert.equal(r.get("a"), 1);
  assert.equal(r.get("c"), 3);
  assert.equal(r.get("never"), 0);
  assert.equal(r.total, 4);
});

test("frames and bytes relayed, pairs, accepted, refusals, disconnects and gauges follow real traffic", async () => {
  const { relay, connect } = await inProcessRelay(4);
  const st: RelayStats = relay.stats;
  try {
    assert.deepEqual(relay.gauges(), { connections: 0, pending: 0, waiting: 0, paired: 0, rooms: 0, draining: false, splicing: 0 });
    const [a, b] = await completedPair({ connect }, { room: "stats" });
    // The key exchange: INIT and RESPONSE were relayed.
    assert.equal(st.framesRelayed, 2);
    const afterExchange = st.bytesRelayed;
    assert.ok(afterExchange > 4000, `exchange bytes ${afterExchange}`);

    a.send("x".repeat(1000));
    assert.equal((await b.nextFrame()).length, 1000);
    b.send("y".repeat(10));
    assert.equal((await a.nextFrame()).length, 10);
    assert.equal(st.framesRelayed, 4);
    // Wire bytes: each frame's 4-byte prefix plus its payload.
    assert.equal(st.bytesRelayed - afterExchange, 1004 + 14);
    assert.equal(st.pairsFormed, 1);

    const w = await joinClient({ connect }, "W", "elsewhere");
    assert.deepEqual(relay.gauges(), { connections: 3, pending: 0, waiting: 1, paired: 2, rooms: 2, draining: false, splicing: 0 });
    const p = await connect("P"); // sends nothing: pending for the join wait, then lobby
    assert.equal(await p.nextText(), S.version);
    assert.equal(relay.gauges().rooms, 3);
    assert.equal(st.accepted, 4);

    // Full, but two clients wait: a newcomer (for the lobby, so p is its
    // partner-to-be) takes the place of the other one, w.
    const r = await connect("R");
    assert.equal(await r.nextText(), S.version);
    assert.equal(await w.nextText(), S.disconnect(Reason.evicted));
    assert.equal(await p.nextText(), S.initiate);
    assert.equal(st.evictions.get("make_room"), 1);
    assert.equal(st.disconnects.get("evicted"), 1);
    // Full and nobody waiting: refused.
    const refused = await connect("R2");
    assert.equal(await refused.nextText(), S.full);
    await refused.expectClosed();
    assert.equal(st.refusals.get("server_full"), 1);

    // An invalid JOIN is a disconnect the relay decides on.
    r.close();
    assert.equal(await p.nextText(), S.reset);
    await until(() => relay.gauges().connections === 3);
    const bad = await connect("bad");
    bad.send('{"type": 70, "room": ""}');
    assert.match(await bad.nextText(), /"type": 42/);
    await bad.expectClosed();
    assert.equal(st.disconnects.get("invalid_join"), 1);
    assert.equal(st.disconnects.get("shutdown"), 0);
    await relay.shutdown();
    // a, b and p were still being served: each got the shutdown notice.
    for (const c of [a, b, p]) assert.equal(await c.nextText(), S.shutdown);
    assert.equal(st.disconnects.get("shutdown"), 3);
    assert.equal(relay.gauges().draining, true);
  } finally {
    await relay.shutdown();
  }
});
