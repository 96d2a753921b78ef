// The ratchet's steps (src/protocol/chain.ts, WIRE-NOTES §6.2): the walk over
// skipped counters equals the ratchet applied step by step, keeps or wipes the
// skipped keys as asked, and never wipes the caller's starting key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { messageKeyFor, walkChain } from "../src/protocol/chain.js";
import { dhMix, messageKey, ratchet } from "../src/protocol/kdf.js";

test("walkChain: the chain key for n from the key for `first`, as repeated ratchet steps", () => {
  const start = new Uint8Array(randomBytes(32));
  const copy = Uint8Array.from(start);
  let expected: Uint8Array = Uint8Array.from(start);
  for (let i = 5; i < 9; i++) expected = ratchet(expected, i);
  assert.deepEqual(walkChain(start, 5, 9), expected);
  assert.deepEqual(start, copy, "the starting key is the caller's and stays intact");
  assert.equal(walkChain(start, 5, 5), start, "no skipped counter: the starting key itself");
});

test("walkChain: skipped keys go to the callback intact, the caller then owns them", () => {
  const start = new Uint8Array(randomBytes(32));
  const kept: [number, Uint8Array][] = [];
  const end = walkChain(start, 1, 4, (i, ck) => kept.push([i, ck]));
  assert.deepEqual(kept.map(([i]) => i), [1, 2, 3]);
  assert.equal(kept[0]![1], start);
  assert.deepEqual(kept[1]![1], ratchet(start, 1));
  assert.deepEqual(ratchet(kept[2]![1], 3), end);
  assert.ok(kept.every(([, ck]) => ck.some((b) => b !== 0)), "kept keys are not wiped by the walk");
  assert.deepEqual(walkChain(start, 1, 4), end, "the same chain key without a callback");
});

test("messageKeyFor: WIRE-NOTES §6.2's message key, with the DH output wiped", () => {
  const ck = new Uint8Array(randomBytes(32));
  const dh = new Uint8Array(randomBytes(32));
  const expected = messageKey(dhMix(ck, dh, 3), 3);
  assert.deepEqual(messageKeyFor(ck, dh, 3), expected);
  assert.deepEqual(dh, new Uint8Array(32));
});
