// The reconnect schedule (src/client/backoff.ts) with an injected random
// source: the first wait within a second, ceilings doubling up to 30 s, every
// wait inside [floor, ceiling], and the episode's bounds. No timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BACKOFF_CAP_MS,
  BACKOFF_FLOOR_MS,
  DEFAULT_RECONNECT_ATTEMPTS,
  DEFAULT_RECONNECT_FOR_MS,
  backoffCeiling,
  backoffDelay,
  boundedDelay,
  resolveReconnect,
} from "../src/client/backoff.js";

test("the first retry comes within a second, whatever the random draw", () => {
  for (const r of [0, 1e-9, 0.25, 0.5, 0.999999]) {
    const d = backoffDelay(1, () => r);
    assert.ok(d <= 1000, `attempt 1 with ${r}: ${d} ms`);
    assert.ok(d >= BACKOFF_FLOOR_MS);
  }
});

test("ceilings double from 1 s and stop at the 30 s cap", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50, 1000].map(backoffCeiling), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.throws(() => backoffCeiling(0), RangeError);
  assert.throws(() => backoffCeiling(1.5), RangeError);
});

test("full jitter: the draw spans [floor, ceiling] and is proportional to it", () => {
  for (let attempt = 1; attempt <= 12; attempt++) {
    const ceiling = backoffCeiling(attempt);
    assert.equal(backoffDelay(attempt, () => 0), BACKOFF_FLOOR_MS, "a zero draw is lifted to the floor");
    // 0.9999999 rounds to the ceiling: never above it.
    assert.equal(backoffDelay(attempt, () => 0.9999999), ceiling);
    assert.equal(backoffDelay(attempt, () => 0.5), Math.max(BACKOFF_FLOOR_MS, Math.round(ceiling / 2)));
    assert.ok(backoffDelay(attempt, () => 0.999) <= BACKOFF_CAP_MS);
  }
});

test("two clients with different draws spread out (no lock-step after a relay restart)", () => {
  const a = [0.1, 0.7, 0.3, 0.9].map((r, i) => backoffDelay(i + 1, () => r));
  const b = [0.8, 0.2, 0.6, 0.4].map((r, i) => backoffDelay(i + 1, () => r));
  assert.ok(a.every((d, i) => d !== b[i]));
});

test("a broken random source cannot make a wait negative, NaN or unbounded", () => {
  for (const r of [-5, 7, Number.NaN, Number.POSITIVE_INFINITY]) {
    const d = backoffDelay(3, () => r);
    assert.ok(Number.isFinite(d) && d >= BACKOFF_FLOOR_MS && d <= backoffCeiling(3), `${r} -> ${d}`);
  }
});

test("bounds: attempts and time limit, whichever comes first; the last wait is shortened to the limit", () => {
  const bounds = { attempts: 3, forMs: 10_000 };
  assert.equal(boundedDelay(bounds, 1, 0, 800), 800);
  assert.equal(boundedDelay(bounds, 3, 2000, 4000), 4000);
  assert.equal(boundedDelay(bounds, 4, 2000, 100), null, "beyond the attempts");
  assert.equal(boundedDelay(bounds, 2, 9500, 2000), 500, "shortened to the time left");
  assert.equal(boundedDelay(bounds, 2, 10_000, 100), null, "past the time limit");
  assert.equal(boundedDelay({ attempts: 1000, forMs: 0 }, 999, 1e9, 30_000), 30_000, "forMs 0: no time limit");
});

test("resolveReconnect: defaults, off, and bad values", () => {
  assert.deepEqual(resolveReconnect(undefined), { attempts: DEFAULT_RECONNECT_ATTEMPTS, forMs: DEFAULT_RECONNECT_FOR_MS });
  assert.deepEqual(resolveReconnect(true), { attempts: DEFAULT_RECONNECT_ATTEMPTS, forMs: DEFAULT_RECONNECT_FOR_MS });
  assert.deepEqual(resolveReconnect({ attempts: 3 }), { attempts: 3, forMs: DEFAULT_RECONNECT_FOR_MS });
  assert.deepEqual(resolveReconnect({ forMs: 0 }), { attempts: DEFAULT_RECONNECT_ATTEMPTS, forMs: 0 });
  assert.equal(resolveReconnect(false), null);
  assert.equal(resolveReconnect({ attempts: 0 }), null);
  assert.throws(() => resolveReconnect({ attempts: 1.5 }), RangeError);
  assert.throws(() => resolveReconnect({ forMs: -1 }), RangeError);
});
