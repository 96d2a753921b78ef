// The pipelined chunk-open state (src/protocol/chunk-opens.ts): where the next
// frame's walk starts, finishing strictly in begin order, and every key wiped
// when the opens are dropped. Session's use of it: protocol-session-pipeline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ChunkOpens } from "../src/protocol/chunk-opens.js";
import { SessionError } from "../src/protocol/errors.js";

const notReady = (e: unknown) => e instanceof SessionError && e.kind === "not_ready";
const job = (counter: number) => ({
  counter,
  messageKey: new Uint8Array(randomBytes(32)),
  nonce: new Uint8Array(12),
  aad: new Uint8Array(0),
  ciphertext: new Uint8Array(0),
  next: new Uint8Array(randomBytes(32)),
});

test("chunk opens: the walk starts at the committed state, then after the last begun frame", () => {
  const o = new ChunkOpens();
  const committed = new Uint8Array(32).fill(9);
  assert.deepEqual(o.from(4, committed), { counter: 4, chain: committed });
  const a = job(6);
  o.add(a);
  const f = o.from(4, committed);
  assert.equal(f.counter, 6);
  assert.deepEqual(f.chain, a.next);
  assert.notEqual(f.chain, a.next, "a copy: committing the job may wipe its own");
  assert.equal(o.pending, 1);
});

test("chunk opens: finished once each, in begin order; the message key is wiped on settle", () => {
  const o = new ChunkOpens();
  const a = o.add(job(1));
  const b = o.add(job(2));
  assert.throws(() => o.settle(b), notReady);
  const s = o.settle(a);
  assert.equal(s.current, true);
  assert.equal(s.state.counter, 1);
  assert.deepEqual(a.messageKey, new Uint8Array(32));
  assert.throws(() => o.settle(a), notReady);
  o.settle(b);
  assert.equal(o.pending, 0);
  assert.deepEqual(o.from(0, new Uint8Array(32)).counter, 0, "no speculation left");
});

test("chunk opens: drop wipes every pending key and chain; the dropped jobs cannot be finished", () => {
  const o = new ChunkOpens();
  const raw = [job(1), job(2)];
  const jobs = raw.map((j) => o.add(j));
  o.drop();
  assert.equal(o.pending, 0);
  for (const j of raw) {
    assert.deepEqual(j.messageKey, new Uint8Array(32));
    assert.deepEqual(j.next, new Uint8Array(32));
  }
  for (const j of jobs) assert.throws(() => o.settle(j), notReady);
});
