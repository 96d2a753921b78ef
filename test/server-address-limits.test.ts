// Unit tests of the relay's per-address limits (src/server/address-limits.ts):
// address keys, the token bucket, connection and waiting limits, the choice
// of the waiting client that makes room, --max-wait, and the bounded table of
// remembered addresses. The same limits against a real server process are in
// server-abuse.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AddressLimits, addressKey, TokenBucket, type LimitOptions } from "../src/server/address-limits.js";
import { RelayStats } from "../src/server/stats.js";

const OPEN: LimitOptions = { maxPerAddress: 0, connectRate: 0, connectBurst: 1, maxWaitingPerAddress: 0, maxWaitMs: 3_600_000 };

/** A fake connection: any object will do; the label helps failure messages. */
const conn = (label: string): { label: string } => ({ label });

function limits(opts: Partial<LimitOptions>, clock = { t: 0 }, onExpired: (c: { label: string }) => void = () => {}) {
  const stats = new RelayStats();
  const l = new AddressLimits<{ label: string }>({ ...OPEN, ...opts }, stats, onExpired, 100, () => clock.t);
  return { l, clock, stats };
}

describe("addressKey", () => {
  test("IPv4 hosts count alone; IPv4-mapped IPv6 is the same host", () => {
    assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(addressKey("0:0:0:0:0:ffff:cb00:7107"), "203.0.113.7");
    assert.notEqual(addressKey("203.0.113.7"), addressKey("203.0.113.8"));
  });

  test("IPv6 counts per /64, whatever the spelling", () => {
    const k = addressKey("2001:db8:1:2::1");
    assert.equal(k, "2001:db8:1:2::/64");
    for (const same of ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0:0:0:9", "2001:db8:1:2::1%eth0", "2001:db8:1:2:0:0:1.2.3.4"]) {
      assert.equal(addressKey(same), k, same);
    }
    assert.notEqual(addressKey("2001:db8:1:3::1"), k);
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey("::"), "0:0:0:0::/64");
  });

  test("anything unparseable is counted as it is, never thrown", () => {
    assert.equal(addressKey(undefined), "?");
    assert.equal(addressKey(""), "?");
    assert.equal(addressKey("1:2:3"), "1:2:3");
    assert.equal(addressKey("1::2::3"), "1::2::3");
    assert.equal(addressKey("zz::1"), "zz::1");
  });
});

describe("TokenBucket", () => {
  test("burst at once, then the rate", () => {
    const b = new TokenBucket(2, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(400), false); // 0.8 token
    assert.equal(b.take(500), true); // 1.0 token
    assert.equal(b.take(500), false);
    assert.equal(b.isFull(500), false);
    assert.equal(b.isFull(2000), true); // capped at the burst
    assert.deepEqual([b.take(2000), b.take(2000), b.take(2000), b.take(2000)], [true, true, true, false]);
  });
});

describe("AddressLimits", () => {
  test("connections per address; a released slot can be taken again; other addresses unaffected", () => {
    const { l, stats } = limits({ maxPerAddress: 2 });
    const [a, b, c, d] = [conn("a"), conn("b"), conn("c"), conn("d")];
    assert.equal(l.admit(a, "10.0.0.1"), null);
    assert.equal(l.admit(b, "::ffff:10.0.0.1"), null);
    assert.equal(l.admit(c, "10.0.0.1"), "per_address");
    assert.equal(l.admit(d, "10.0.0.2"), null);
    l.release(a);
    assert.equal(l.admit(c, "10.0.0.1"), null);
    assert.equal(stats.refusals.get("per_address"), 1);
  });

  test("the connect rate: burst, refusal, refill; refused attempts cost no token", () => {
    const { l, clock, stats } = limits({ connectRate: 1, connectBurst: 2 });
    const cs = Array.from({ length: 5 }, (_, i) => conn(`c${i}`));
    assert.equal(l.admit(cs[0]!, "10.0.0.1"), null);
    assert.equal(l.admit(cs[1]!, "10.0.0.1"), null);
    assert.equal(l.admit(cs[2]!, "10.0.0.1"), "connect_rate");
    assert.equal(l.admit(cs[2]!, "10.0.0.1"), "connect_rate");
    assert.equal(l.admit(cs[2]!, "10.0.0.9"), null); // another address has its own bucket
    clock.t = 1000;
    assert.equal(l.admit(cs[3]!, "10.0.0.1"), null);
    assert.equal(l.admit(cs[4]!, "10.0.0.1"), "connect_rate");
    assert.equal(stats.refusals.get("connect_rate"), 3);
  });

  test("waiting clients per address", () => {
    const { l } = limits({ maxWaitingPerAddress: 2 });
    const [a, b, c, d] = [conn("a"), conn("b"), conn("c"), conn("d")];
    for (const x of [a, b, c]) assert.equal(l.admit(x, "10.0.0.1"), null);
    assert.equal(l.admit(d, "10.0.0.2"), null);
    l.waitStarted(a);
    assert.equal(l.mayWait(b), true);
    l.waitStarted(b);
    assert.equal(l.mayWait(c), false);
    assert.equal(l.mayWait(d), true);
    l.waitEnded(a); // paired
    assert.equal(l.mayWait(c), true);
    l.release(b); // gone while waiting
    assert.equal(l.waitingCount, 0);
    l.stop();
  });

  test("who makes room: the address with the most waiting clients, its longest waiter; never the spared partner", () => {
    const { l } = limits({});
    const x1 = conn("x1"), x2 = conn("x2"), x3 = conn("x3"), y = conn("y"), z = conn("z");
    const addr: [{ label: string }, string][] = [[y, "10.0.0.2"], [x1, "10.0.0.1"], [x2, "10.0.0.1"], [x3, "10.0.0.1"], [z, "10.0.0.3"]];
    for (const [c, ip] of addr) {
      assert.equal(l.admit(c, ip), null);
      l.waitStarted(c); // in this order: y waited longest
    }
    assert.equal(l.victim(), x1); // 10.0.0.1 holds three
    assert.equal(l.victim(x1), x2);
    l.release(x1);
    l.waitEnded(x2);
    assert.equal(l.victim(), y); // one each now: the longest waiter
    l.waitStarted(x2); // x2 waits again, behind everyone
    assert.equal(l.victim(), x3); // 10.0.0.1 holds two again; x3 waited longer than x2
    l.release(x3);
    // A tie (one each): the longest waiter, y, unless it is the spared partner.
    assert.equal(l.victim(), y);
    assert.equal(l.victim(y), z);
    l.release(y);
    l.release(z);
    assert.equal(l.victim(x2), undefined); // the only waiter is spared
    assert.equal(l.victim(), x2);
    l.stop();
  });

  test("spared partner on the busiest address: its other waiters still go first", () => {
    const { l } = limits({});
    const a1 = conn("a1"), a2 = conn("a2"), b1 = conn("b1"), b2 = conn("b2"), b3 = conn("b3");
    for (const [c, ip] of [[a1, "10.0.0.1"], [b1, "10.0.0.2"], [a2, "10.0.0.1"], [b2, "10.0.0.2"], [b3, "10.0.0.2"]] as const) {
      assert.equal(l.admit(c, ip), null);
      l.waitStarted(c);
    }
    assert.equal(l.victim(), b1);
    assert.equal(l.victim(b1), b2);
    l.release(b3);
    l.release(b2);
    // 10.0.0.1 holds two now (a1, a2), 10.0.0.2 one (b1).
    assert.equal(l.victim(b1), a1);
    assert.equal(l.victim(a1), a2);
    l.stop();
  });

  test("--max-wait: the callback fires once per waiting client; a client that stopped waiting is left alone", async () => {
    const expired: string[] = [];
    let done!: () => void;
    const fired = new Promise<void>((r) => (done = r));
    const { l, stats } = limits({ maxWaitMs: 30 }, { t: 0 }, (c) => {
      expired.push(c.label);
      l.release(c);
      if (expired.length === 1) done();
    });
    const a = conn("a"), b = conn("b");
    l.admit(a, "10.0.0.1");
    l.admit(b, "10.0.0.2");
    l.waitStarted(a);
    l.waitStarted(b);
    l.waitEnded(b); // paired before its time was up
    await fired;
    assert.deepEqual(expired, ["a"]);
    assert.equal(stats.evictions.get("max_wait"), 1);
    assert.equal(l.waitingCount, 0);
    l.stop();
  });

  test("memory: addresses that hold nothing are forgotten; the table is capped", () => {
    const { l, clock } = limits({ maxPerAddress: 8 });
    for (let i = 0; i < 1000; i++) {
      const c = conn(String(i));
      assert.equal(l.admit(c, `10.1.${i >> 8}.${i & 255}`), null);
      l.release(c);
    }
    assert.equal(l.addressCount, 0); // no bucket to remember

    const { l: rated, clock: rc } = limits({ connectRate: 1, connectBurst: 5 });
    const N = 70_000;
    for (let i = 0; i < N; i++) {
      const c = conn("c");
      assert.equal(rated.admit(c, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), null);
      rated.release(c);
    }
    assert.ok(rated.addressCount <= 65_536, `remembered ${rated.addressCount} addresses`);
    assert.ok(rated.addressCount > 0); // buckets still refilling are remembered
    rc.t += 10_000;
    rated.sweep();
    assert.equal(rated.addressCount, 0);
    clock.t = 0;
    rated.stop();
    l.stop();
  });
});
