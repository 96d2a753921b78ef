// Multi-pair sessions (--max-clients), rooms (JOIN) versus the lobby, the
// join wait, re-pairing of survivors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RawClient } from "./helpers/raw-client.js";
import { completeExchange, fakeInit, joinClient, joinFrame, pairedClients, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

describe("three concurrent pairs in the lobby (--max-clients 6)", () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(["--max-clients", "6"]);
  });
  after(async () => {
    await server.stop();
  });

  test("independent sessions, resets and re-pairing; the 7th connection gets SERVER_FULL", async () => {
    // Reference clients (no JOIN), connecting one after the other.
    const pairs: [RawClient, RawClient][] = [];
    for (let i = 1; i <= 3; i++) pairs.push(await pairedClients(server, { labels: [`A${i}`, `B${i}`] }));
    for (const [a, b] of pairs) await completeExchange(a, b);

    const seventh = await server.connect("seventh");
    assert.equal(await seventh.nextText(), S.full);
    await seventh.expectClosed();

    // Traffic stays inside each pair.
    pairs.forEach(([a, b], i) => {
      a.send(`{"type": 10, "counter": ${i}, "from": "A"}`);
      b.send(`{"type": 10, "counter": ${i}, "from": "B"}`);
    });
    for (const [i, [a, b]] of pairs.entries()) {
      assert.equal(await b.nextText(), `{"type": 10, "counter": ${i}, "from": "A"}`);
      assert.equal(await a.nextText(), `{"type": 10, "counter": ${i}, "from": "B"}`);
    }

    // Pair 2: B2 says CLIENT_DISCONNECT. Only A2 is reset.
    const [a2, b2] = pairs[1]!;
    b2.send('{"type": 50}');
    assert.equal(await a2.nextText(), S.reset);
    await b2.expectClosed();
    // Survivor state is "not complete": its traffic is no longer relayed (counted instead).
    a2.send('{"type": 10, "counter": 99}');
    for (const [j, [a, b]] of pairs.entries()) {
      if (j === 1) continue;
      await a.expectNoFrame(j === 0 ? 100 : 0);
      await b.expectNoFrame(0);
      a.send('{"type": 10, "still": "paired"}');
      assert.equal(await b.nextText(), '{"type": 10, "still": "paired"}');
    }

    // A newcomer is paired with the survivor, which becomes the initiator again.
    const c2 = await server.connect("C2");
    assert.equal(await a2.nextText(), S.initiate);
    assert.equal(await c2.nextText(), S.version);
    await completeExchange(a2, c2);
    c2.send('{"type": 10, "new": "pair"}');
    assert.equal(await a2.nextText(), '{"type": 10, "new": "pair"}');

    // Pair 3: A3's socket just closes (EOF). B3 is reset, nothing else moves.
    const [a3, b3] = pairs[2]!;
    a3.close();
    assert.equal(await b3.nextText(), S.reset);
    await pairs[0]![0].expectNoFrame(100);
    await pairs[0]![1].expectNoFrame(0);
    await a2.expectNoFrame(0);
    await c2.expectNoFrame(0);

    for (const c of [...pairs.flat(), c2]) c.close();
  });
});

describe("rooms and the lobby", () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(["--max-clients", "20"]);
  });
  after(async () => {
    await server.stop();
  });

  test("only clients with the same room code are paired; a client without JOIN is lobbied after the join wait", async () => {
    const x = await joinClient(server, "X", "alpha");

    const t1 = performance.now();
    const y = await server.connect("Y"); // reference client: sends nothing, waits
    assert.equal(await y.nextText(), S.version);
    const lobbied = performance.now() - t1;
    // Not before the join wait (150 ms by default); the upper bound only catches
    // a relay that waits for a JOIN far longer (this machine may be loaded).
    assert.ok(lobbied >= 145 && lobbied < 3000, `lobby greeting after ${lobbied.toFixed(0)} ms`);

    const z = await joinClient(server, "Z", "alpha");
    assert.equal(await x.nextText(), S.initiate);
    const w = await joinClient(server, "W", "beta");

    // A second reference client pairs with Y in the lobby, exactly as the reference would.
    const t2 = performance.now();
    const v = await server.connect("V");
    assert.equal(await y.nextText(), S.initiate);
    assert.equal(await v.nextText(), S.version);
    assert.ok(performance.now() - t2 < 3000);

    await completeExchange(x, z);
    await completeExchange(y, v);
    z.send('{"type": 10, "room": "alpha"}');
    assert.equal(await x.nextText(), '{"type": 10, "room": "alpha"}');
    v.send('{"type": 10, "room": "lobby"}');
    assert.equal(await y.nextText(), '{"type": 10, "room": "lobby"}');
    await w.expectNoFrame(100);

    // A room named like the lobby is still a room.
    const l1 = await joinClient(server, "L1", "lobby");
    await l1.expectNoFrame(100);
    for (const c of [x, y, z, w, v, l1]) c.close();
  });

  test("an invalid room code is refused with SERVER_DISCONNECT", async () => {
    for (const bad of ["", "a".repeat(65), "has space", "émoji", "semi;colon"]) {
      const c = await server.connect("bad");
      c.send(joinFrame(bad));
      assert.equal(await c.nextText(), S.disconnect("Invalid room code"), JSON.stringify(bad));
      await c.expectClosed();
    }
    const c = await server.connect("bad-type");
    c.send('{"type": 70}');
    assert.equal(await c.nextText(), S.disconnect("Invalid room code"));
    await c.expectClosed();
    // The longest valid code.
    const ok = await joinClient(server, "ok", "A-z_0".padEnd(64, "9"));
    ok.close();
  });

  test("a JOIN that is not the first frame counts as unexpected and changes nothing", async () => {
    const [a, b] = await pairedClients(server, { room: "first-only" });
    b.send(joinFrame("elsewhere"));
    await b.expectNoFrame(100);
    const init = fakeInit();
    a.send(init);
    assert.equal(await b.nextText(), init);
    a.close();
    b.close();
  });

  test("a survivor is re-paired with a client already waiting in its room and becomes initiator", async () => {
    const [p, q] = await pairedClients(server, { room: "survive" });
    await completeExchange(p, q);
    const r = await joinClient(server, "R", "survive"); // waits: p and q are busy
    q.close();
    assert.equal(await p.nextText(), S.reset);
    assert.equal(await p.nextText(), S.initiate);
    await r.expectNoFrame(50); // already greeted; it is the responder
    await completeExchange(p, r);
    p.close();
    assert.equal(await r.nextText(), S.reset);
    r.close();
  });
});

describe("the JOIN race (short --join-wait)", () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(["--max-clients", "20", "--join-wait", "40ms"]);
  });
  after(async () => {
    await server.stop();
  });

  test("a JOIN arriving after the join wait still moves a merely greeted client to its room", async () => {
    const late = await server.connect("late");
    assert.equal(await late.nextText(), S.version); // lobbied after 40 ms
    late.send(joinFrame("gamma")); // its first frame, but late
    await late.expectNoFrame(50);
    const lobbyClient = await server.connect("lobby");
    assert.equal(await lobbyClient.nextText(), S.version);
    await lobbyClient.expectNoFrame(80); // not paired with the moved client
    const partner = await joinClient(server, "partner", "gamma");
    assert.equal(await late.nextText(), S.initiate);
    await completeExchange(late, partner);
    for (const c of [late, lobbyClient, partner]) c.close();
  });

  test("a JOIN after the client was made initiator in the lobby is refused; its partner is reset", async () => {
    const first = await server.connect("first");
    assert.equal(await first.nextText(), S.version);
    const second = await server.connect("second");
    assert.equal(await second.nextText(), S.version);
    assert.equal(await first.nextText(), S.initiate);
    first.send(joinFrame("too-late"));
    assert.equal(await first.nextText(), S.disconnect("Room request arrived too late: reconnect and send JOIN first"));
    await first.expectClosed();
    assert.equal(await second.nextText(), S.reset);
    second.close();
  });

  test("a JOIN split across segments is waited for beyond the join wait", async () => {
    const c = await RawClient.connect(server.port, server.host, { label: "split" });
    const join = Buffer.from(joinFrame("split-room"));
    const wire = Buffer.concat([Buffer.from([0, 0, 0, join.length]), join]);
    c.sendRaw(wire.subarray(0, 10));
    await c.expectNoFrame(120); // 3x the join wait: still pending, not lobbied
    c.sendRaw(wire.subarray(10));
    assert.equal(await c.nextText(), S.version);
    const d = await joinClient(server, "d", "split-room");
    assert.equal(await c.nextText(), S.initiate);
    c.close();
    d.close();
  });

  test("CLIENT_DISCONNECT as the very first frame closes without any frame", async () => {
    const c = await server.connect("quitter");
    c.send('{"type": 50}');
    await c.expectClosed();
  });
});
