// The saved-chain cache (src/protocol/saved-chains.ts, WIRE-NOTES §7 step 3):
// LRU order, "only if not already present", and every dropped key wiped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SavedChains } from "../src/protocol/saved-chains.js";

const key = (b: number) => new Uint8Array(32).fill(b);

test("saved chains: the least recently used entry is evicted and wiped; a lookup refreshes recency", () => {
  const c = new SavedChains(3);
  const keys = [key(1), key(2), key(3), key(4)];
  c.save(1, keys[0]!);
  c.save(2, keys[1]!);
  c.save(3, keys[2]!);
  assert.equal(c.touch(1), keys[0]); // 1 is now the most recent: 2 goes next
  c.save(4, keys[3]!);
  assert.deepEqual(c.counters(), [1, 3, 4]);
  assert.deepEqual(keys[1], new Uint8Array(32), "the evicted key is wiped");
  assert.deepEqual(keys[0], key(1));
});

test("saved chains: saving a present counter keeps the first key (and refreshes it)", () => {
  const c = new SavedChains(2);
  const first = key(7);
  c.save(5, first);
  c.save(6, key(8));
  c.save(5, key(9)); // present: not replaced, but now most recent
  c.save(7, key(10));
  assert.deepEqual(c.counters(), [5, 7]);
  assert.equal(c.touch(5), first);
});

test("saved chains: forget leaves the key to the caller, clear wipes everything", () => {
  const c = new SavedChains(10);
  const a = key(1);
  const b = key(2);
  c.save(1, a);
  c.save(2, b);
  c.forget(1);
  assert.equal(c.touch(1), undefined);
  assert.deepEqual(a, key(1), "forget does not wipe: the caller still uses it");
  c.clear();
  assert.deepEqual(c.counters(), []);
  assert.deepEqual(b, new Uint8Array(32));
});
