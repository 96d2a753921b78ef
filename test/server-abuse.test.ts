// The relay under abuse, against a real server process and real sockets from
// distinct source addresses (127.0.0.0/8 is all local): one host must not be
// able to lock other users out, and a slow abusive load from many addresses
// must not grow the relay's memory past a bound (docs/PROTOCOL-EXTENSIONS.md
// §2.8). The policy itself is unit-tested in server-address-limits.test.ts.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Reason } from "../src/server/relay.js";
import { newClient } from "./helpers/client-harness.js";
import { RawClient } from "./helpers/raw-client.js";
import { completedPair, completeExchange, joinClient, joinFrame, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

/** The tests' server helper switches the limits off by default; here they are what is tested. */
const LIMITS_ON = { addressLimits: true };
const EVICTED = S.disconnect(Reason.evicted);
const TOO_MANY_WAITING = S.disconnect(Reason.tooManyWaiting);
const WAITED_TOO_LONG = S.disconnect(Reason.waitedTooLong);
/** Every client of the acceptance tests JOINs a room; the longest lobby wait keeps a late JOIN out of the lobby. */
const JOIN_WAIT = "250ms"; // the longest the relay allows

/** A ServerLike whose clients connect from `from`. */
const via = (server: ServerHandle, from: string) => ({ connect: (label?: string) => server.connect(label, from) });

/** A client that JOINs `room` from `from` and answers every KEEP_ALIVE (holds its place as long as it can). */
async function holder(server: ServerHandle, from: string, room: string): Promise<RawClient> {
  const c = await server.connect(`hold-${room}`, from);
  c.answerKeepalives();
  c.send(joinFrame(room));
  return c;
}

/** The first frame a client gets (or "<closed>" when the server closes without one). */
async function firstFrame(c: RawClient): Promise<string> {
  try {
    return await c.nextText(10_000);
  } catch (err) {
    if (c.isClosed) return "<closed>";
    throw err;
  }
}

/** Two client cores from 127.0.0.3 and 127.0.0.4 meet in room `legit`, complete a real handshake and exchange a text. */
async function legitPairChats(server: ServerHandle): Promise<void> {
  const a = await newClient("legit-A");
  const b = await newClient("legit-B");
  try {
    await a.core.connect({ host: server.host, port: server.port, room: "legit", localAddress: "127.0.0.3" });
    await a.next("server_version");
    await b.core.connect({ host: server.host, port: server.port, room: "legit", localAddress: "127.0.0.4" });
    await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    assert.equal(a.core.state().fingerprint, b.core.state().fingerprint);
    a.core.sendText("hello despite the flood");
    assert.equal((await b.next("message")).text, "hello despite the flood");
    b.core.sendText("and back");
    assert.equal((await a.next("message")).text, "and back");
    assert.equal(a.count("server_disconnect") + b.count("server_disconnect") + a.count("server_full") + b.count("server_full"), 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

const closeAll = (cs: Iterable<RawClient>): void => {
  for (const c of cs) c.close();
};

describe("acceptance: ten places held from one address do not lock a pair out (--max-clients 10)", () => {
  test("default limits: the host gets 8 connections, 4 of them waiting; the legit pair joins, pairs and chats", async () => {
    // The longest join wait: on a loaded machine a JOIN sent a little late must not land its client in the lobby.
    const server = await startServer(["--max-clients", "10", "--keepalive-interval", "2s", "--join-wait", JOIN_WAIT], LIMITS_ON);
    const held: RawClient[] = [];
    try {
      // Ten at once: the connection limit (8) and the waiting limit (4) both act. Each JOINs as soon as it is connected.
      const conns = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const c = await server.connect(`hold-${i}`, "127.0.0.2");
          c.answerKeepalives();
          c.send(joinFrame(`hold-${i}`));
          return c;
        }),
      );
      held.push(...conns);
      const got = await Promise.all(conns.map(firstFrame));
      const count = (f: string): number => got.filter((g) => g === f).length;
      assert.equal(count(S.version), 4, got.join("\n"));
      assert.equal(count(TOO_MANY_WAITING) + count(S.full), 6, got.join("\n"));
      await legitPairChats(server);
      // The four places of 127.0.0.2 were never needed: nobody was evicted.
      for (const c of conns.filter((_, i) => got[i] === S.version)) {
        await c.expectNoFrame(0);
        assert.equal(c.isClosed, false);
      }
    } finally {
      closeAll(held);
      await server.stop();
    }
  });

  test("per-address limits off: the host fills the relay and reconnects when evicted; its own waiters make room", async () => {
    const server = await startServer([
      "--max-clients", "10", "--keepalive-interval", "2s", "--max-per-address", "0", "--max-waiting-per-address", "0",
      "--join-wait", JOIN_WAIT,
    ], LIMITS_ON);
    const held = new Set<RawClient>();
    let evictions = 0;
    let reconnects = 0;
    let stopped = false;
    // Every evicted holder comes straight back (a reconnect storm), until refused or told to stop.
    const hold = async (room: string): Promise<void> => {
      const c = await holder(server, "127.0.0.2", room);
      held.add(c);
      const first = await firstFrame(c);
      if (first !== S.version) return;
      void (async () => {
        // Waits as long as the test runs: every holder is closed at its end.
        const next = await c.nextText(600_000).catch(() => "<closed>");
        if (next !== EVICTED) return;
        evictions++;
        if (stopped || reconnects >= 25) return;
        reconnects++;
        await hold(`${room}-again`).catch(() => undefined);
      })();
    };
    try {
      for (let i = 0; i < 10; i++) await hold(`fill-${i}`);
      assert.equal(held.size, 10);
      // In a room of its own, so that no holder can ever be paired with it.
      const probe = (await server.connect("probe", "127.0.0.5")).answerKeepalives();
      probe.send(joinFrame("probe"));
      await legitPairChats(server);
      stopped = true;
      // Both legit newcomers made room: at least two waiters of 127.0.0.2 were told why they went.
      assert.ok(evictions >= 2, `evictions: ${evictions}`);
      // The probe (one waiting place of its own address) was never chosen while 127.0.0.2 held more.
      assert.equal(await probe.nextText(), S.version);
      await probe.expectNoFrame(0);
      assert.equal(probe.isClosed, false);
      probe.close();
    } finally {
      stopped = true;
      closeAll(held);
      await server.stop();
    }
  });

  test("a reference client pair in the lobby still works with default flags", async () => {
    const server = await startServer([], LIMITS_ON);
    try {
      const [a, b] = await completedPair(server);
      a.send('{"type": 10, "lobby": true}');
      assert.equal(await b.nextText(), '{"type": 10, "lobby": true}');
      // Default capacity is still 2: a third connection is refused at once.
      const c = await server.connect("C");
      assert.equal(await c.nextText(), S.full);
      await c.expectClosed();
      a.close();
      b.close();
    } finally {
      await server.stop();
    }
  });
});

describe("one test per limit", () => {
  test("--max-per-address: the N+1th open connection of an address gets SERVER_FULL; others and later ones are served", async () => {
    const server = await startServer(["--max-clients", "20", "--max-per-address", "3"], LIMITS_ON);
    const open: RawClient[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await joinClient(via(server, "127.0.0.6"), `a${i}`, `pa-${i}`));
      const fourth = await server.connect("a3", "127.0.0.6");
      assert.equal(await fourth.nextText(), S.full);
      await fourth.expectClosed();
      open.push(await joinClient(via(server, "127.0.0.7"), "other", "pa-other"));
      open[0]!.close();
      await open[0]!.closed;
      // Its slot is free again once the server has seen the close: retry until it has.
      let again: RawClient | null = null;
      for (let tries = 0; again === null && tries < 50; tries++) {
        const c = await server.connect("again", "127.0.0.6");
        c.send(joinFrame("pa-again"));
        const f = await firstFrame(c);
        if (f === S.version) again = c;
        else assert.equal(f, S.full);
      }
      assert.ok(again, "a freed slot can be used again");
      open.push(again);
    } finally {
      closeAll(open);
      await server.stop();
    }
  });

  test("--connect-rate / --connect-burst: a burst, then refusals, then tokens come back; other addresses unaffected", async () => {
    const server = await startServer(["--max-clients", "20", "--connect-rate", "4", "--connect-burst", "3", "--max-per-address", "0"], LIMITS_ON);
    try {
      // Three quick connections (each closed at once) use up the burst.
      for (let i = 0; i < 3; i++) {
        const c = await server.connect(`b${i}`, "127.0.0.8");
        c.close();
      }
      const refused = await server.connect("b3", "127.0.0.8");
      assert.equal(await refused.nextText(), S.full);
      await refused.expectClosed();
      const other = await joinClient(via(server, "127.0.0.9"), "other", "rate-other");
      // A token comes back within a second (4 per second): poll until one is granted.
      let granted = false;
      for (let tries = 0; !granted && tries < 100; tries++) {
        const c = await server.connect("retry", "127.0.0.8");
        c.send(joinFrame("rate-retry"));
        const f = await firstFrame(c);
        granted = f === S.version;
        if (!granted) assert.equal(f, S.full);
        c.close();
        if (!granted) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(granted, "the bucket refills");
      other.close();
    } finally {
      await server.stop();
    }
  });

  test("--max-waiting-per-address: rooms held open by one address are bounded; joining its own waiting room still pairs", async () => {
    const server = await startServer(["--max-clients", "20", "--max-waiting-per-address", "2"], LIMITS_ON);
    const open: RawClient[] = [];
    try {
      const from = via(server, "127.0.0.10");
      open.push(await joinClient(from, "w1", "wait-1"), await joinClient(from, "w2", "wait-2"));
      const third = await from.connect("w3");
      third.send(joinFrame("wait-3"));
      assert.equal(await third.nextText(), TOO_MANY_WAITING);
      await third.expectClosed();
      // The lobby is a waiting place like any room.
      const lobby = await from.connect("w-lobby");
      assert.equal(await lobby.nextText(), TOO_MANY_WAITING);
      await lobby.expectClosed();
      // Joining a room where someone waits does not add a waiting place.
      const partner = await joinClient(from, "w1-partner", "wait-1");
      assert.equal(await open[0]!.nextText(), S.initiate);
      open.push(partner);
      // Now one place is free again.
      open.push(await joinClient(from, "w4", "wait-4"));
      // Another address has its own places.
      open.push(await joinClient(via(server, "127.0.0.11"), "x", "wait-x"));
    } finally {
      closeAll(open);
      await server.stop();
    }
  });

  test("when full: the busiest address's longest waiter makes room; a partner-to-be and paired clients never do", async () => {
    const server = await startServer([
      "--max-clients", "4", "--max-per-address", "0", "--max-waiting-per-address", "0",
    ], LIMITS_ON);
    const all: RawClient[] = [];
    const join = async (from: string, label: string, room: string): Promise<RawClient> => {
      const c = await joinClient(via(server, from), label, room);
      all.push(c);
      return c;
    };
    try {
      const x1 = await join("127.0.0.12", "x1", "x1");
      const x2 = await join("127.0.0.12", "x2", "x2");
      const x3 = await join("127.0.0.12", "x3", "x3");
      const y = await join("127.0.0.13", "y", "y");
      // Full (4 waiting). 127.0.0.12 holds three: its longest waiter, x1, goes.
      const n1 = await join("127.0.0.14", "n1", "z");
      assert.equal(await x1.nextText(), EVICTED);
      await x1.expectClosed();
      // n2 wants y's room: y is spared, 127.0.0.12 still holds the most (2): x2 goes.
      const n2 = await join("127.0.0.15", "n2", "y");
      assert.equal(await x2.nextText(), EVICTED);
      assert.equal(await y.nextText(), S.initiate);
      // One waiter each now (x3, n1): the longest waiter, x3, goes.
      const n3 = await join("127.0.0.16", "n3", "w");
      assert.equal(await x3.nextText(), EVICTED);
      // n4 wants n1's room: n3 is the only other waiter.
      const n4 = await join("127.0.0.17", "n4", "z");
      assert.equal(await n3.nextText(), EVICTED);
      assert.equal(await n1.nextText(), S.initiate);
      // Two pairs, nobody waiting: a newcomer is refused, the pairs are untouched.
      const late = await server.connect("late", "127.0.0.18");
      assert.equal(await late.nextText(), S.full);
      await late.expectClosed();
      await completeExchange(y, n2);
      await completeExchange(n1, n4);
      y.send('{"type": 10, "still": "paired"}');
      assert.equal(await n2.nextText(), '{"type": 10, "still": "paired"}');
    } finally {
      closeAll(all);
      await server.stop();
    }
  });

  test("--max-wait: a client alone too long is told why and closed, a silent lobby connection too; pairs are not timed", async () => {
    const server = await startServer(["--max-clients", "6", "--max-wait", "1500ms"], LIMITS_ON);
    try {
      const [a, b] = await completedPair(via(server, "127.0.0.19"), { room: "mw-pair" });
      const lone = await joinClient(via(server, "127.0.0.20"), "lone", "mw-alone");
      const silent = await server.connect("silent", "127.0.0.21"); // never sends a byte
      assert.equal(await silent.nextText(), S.version);
      assert.equal(await lone.nextText(10_000), WAITED_TOO_LONG);
      await lone.expectClosed();
      assert.equal(await silent.nextText(10_000), WAITED_TOO_LONG);
      await silent.expectClosed();
      // The pair, older than --max-wait by now, still relays.
      a.send('{"type": 10, "after": "max-wait"}');
      assert.equal(await b.nextText(), '{"type": 10, "after": "max-wait"}');
      // A survivor waits again, and its clock starts then.
      a.close();
      assert.equal(await b.nextText(), S.reset);
      assert.equal(await b.nextText(10_000), WAITED_TOO_LONG);
      await b.expectClosed();
    } finally {
      await server.stop();
    }
  });

  test("default flags (2 clients): a stranger waiting in a room cannot keep a lobby pair apart", async () => {
    const server = await startServer([], LIMITS_ON);
    try {
      const a = await joinClient(via(server, "127.0.0.24"), "A"); // reference client, lobby
      const x = await holder(server, "127.0.0.25", "squat");
      assert.equal(await x.nextText(), S.version);
      // Full now. B (lobby) is let in; A is its partner-to-be, so x makes room.
      const b = await joinClient(via(server, "127.0.0.26"), "B");
      assert.equal(await x.nextText(), EVICTED);
      await x.expectClosed();
      assert.equal(await a.nextText(), S.initiate);
      await completeExchange(a, b);
      // A paired session is never evicted: the next newcomer is refused.
      const c = await server.connect("C", "127.0.0.27");
      assert.equal(await c.nextText(), S.full);
      await c.expectClosed();
      a.close();
      b.close();
    } finally {
      await server.stop();
    }
  });

  test("a partial length prefix before any JOIN holds its place 10 s at most, whatever --frame-timeout", async () => {
    const server = await startServer(["--max-clients", "4", "--frame-timeout", "5m"], LIMITS_ON);
    try {
      const stall = await server.connect("stall", "127.0.0.28");
      stall.sendRaw(Buffer.from([0, 0]));
      assert.equal(await stall.nextText(30_000), S.disconnect("Frame timeout: incomplete frame"));
      await stall.expectClosed();
    } finally {
      await server.stop();
    }
  });

  test("a JOIN flood on one connection creates no rooms and ends in a disconnect", async () => {
    const server = await startServer(["--max-clients", "6"], LIMITS_ON);
    try {
      const flood = await server.connect("flood", "127.0.0.22");
      const joins = Array.from({ length: 1000 }, (_, i) => {
        const p = Buffer.from(joinFrame(`flood-${i}`));
        const h = Buffer.alloc(4);
        h.writeUInt32BE(p.length, 0);
        return Buffer.concat([h, p]);
      });
      flood.sendRaw(Buffer.concat(joins));
      assert.equal(await flood.nextText(), S.version); // the first JOIN registers it
      assert.equal(await flood.nextText(), S.disconnect("Too many unexpected messagesunexpected message during key exchange"));
      await flood.expectClosed();
      // None of the other 999 rooms exists: a client joining one waits alone.
      const c = await joinClient(via(server, "127.0.0.23"), "c", "flood-500");
      await c.expectNoFrame(200);
      c.close();
    } finally {
      await server.stop();
    }
  });
});

/**
 * The bound on the relay's resident memory under the load below, and under
 * any abuse the limits let through at these settings: connections and
 * refusals are capped, nothing per connection grows with what a client sends.
 * Node's own baseline is about 50-70 MiB of it.
 */
const ABUSE_RSS_BOUND_MIB = 128;

describe("slow abusive load from many addresses", () => {
  test(`a relay with --max-clients 100 stays under ${ABUSE_RSS_BOUND_MIB} MiB RSS and still pairs a legit client`, async (t) => {
    const server = await startServer(["--max-clients", "100", "--keepalive-interval", "1s", "--frame-timeout", "1s", "--log-level", "warn"], LIMITS_ON);
    // 20 addresses, 100 connection attempts each within seconds: past every per-address limit.
    const ADDRS = Array.from({ length: 20 }, (_, i) => `127.0.0.${30 + i}`);
    const WAVES = 10;
    const PER_WAVE = 200;
    let peak = server.rssBytes();
    const start = peak;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, server.rssBytes());
      } catch {
        /* the process is gone: the liveness assertion below reports it */
      }
    }, 25);
    const holders: RawClient[] = [];
    let attempts = 0;
    const outcome = { served: 0, refused: 0, disconnected: 0, failed: 0 };
    const prefix = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n, 0);
      return b;
    };
    /** One abusive client; resolves once the server has dealt with it (or it gave up). */
    const abuse = async (kind: number, from: string, tag: string): Promise<void> => {
      attempts++;
      let c: RawClient;
      try {
        c = await server.connect(tag, from);
      } catch {
        outcome.failed++; // refused so hard the connect failed (a storm's dropped sockets)
        return;
      }
      switch (kind) {
        case 0: // silent: never sends anything
          break;
        case 1: // a partial length prefix, then stalls
          c.sendRaw(Buffer.from([0, 0]));
          break;
        case 2: // a JOIN flood
          c.sendRaw(Buffer.concat(Array.from({ length: 50 }, (_, i) => {
            const p = Buffer.from(joinFrame(`${tag}-${i}`));
            return Buffer.concat([prefix(p.length), p]);
          })));
          break;
        case 3: // a 4 GiB frame announced, some garbage
          c.sendRaw(Buffer.concat([prefix(0xfffffff0), randomBytes(16 * 1024)]));
          break;
        case 4: // reconnect storm: gone at once
          c.close();
          return;
        case 5: // holds a waiting place, answering keepalives
          c.answerKeepalives();
          c.send(joinFrame(tag));
          holders.push(c);
          if (holders.length > 300) holders.shift()!.close();
          break;
      }
      const f = await firstFrame(c).catch(() => "<timeout>");
      if (f === S.full) outcome.refused++;
      else if (f.startsWith('{"type": 42')) outcome.disconnected++;
      else outcome.served++;
      if (kind !== 5) c.close();
    };
    try {
      for (let w = 0; w < WAVES; w++) {
        await Promise.all(
          Array.from({ length: PER_WAVE }, (_, i) => abuse(i % 6, ADDRS[(w * PER_WAVE + i) % ADDRS.length]!, `w${w}-${i}`)),
        );
        assert.equal(server.proc.exitCode, null, "the relay is still running");
      }
      // After all that, with the holders still there, a legit pair from two fresh addresses meets.
      const a = await joinClient(via(server, "127.0.0.3"), "legit-a", "legit-after-load");
      const b = await joinClient(via(server, "127.0.0.4"), "legit-b", "legit-after-load");
      assert.equal(await a.nextText(), S.initiate);
      await completeExchange(a, b);
      a.send('{"type": 10, "survived": true}');
      assert.equal(await b.nextText(), '{"type": 10, "survived": true}');
      a.close();
      b.close();
    } finally {
      clearInterval(sampler);
      closeAll(holders);
    }
    peak = Math.max(peak, server.rssBytes());
    await server.stop();
    t.diagnostic(
      `${attempts} abusive connections from ${ADDRS.length} addresses: ${JSON.stringify(outcome)}; ` +
        `relay RSS ${(start / 1048576).toFixed(0)} MiB at start, peak ${(peak / 1048576).toFixed(0)} MiB (bound ${ABUSE_RSS_BOUND_MIB} MiB)`,
    );
    assert.ok(outcome.refused + outcome.disconnected > 0, "the limits acted");
    assert.ok(peak < ABUSE_RSS_BOUND_MIB * 1048576, `peak RSS ${(peak / 1048576).toFixed(1)} MiB`);
  });
});
