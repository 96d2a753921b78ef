// The protocol half of the file pipeline: chunk keys derived in order on
// the main thread (Session.prepareChunkKeys) with the AEAD elsewhere, the
// pipelined receive (beginChunkOpen / finishChunkOpen) against the sequential
// decryptChunk, doubleEncryptParts against doubleEncrypt, and the worker pool.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { Initiator, parseJsonObject, respond, SessionError, type Session } from "../src/protocol/index.js";
import { doubleDecrypt, doubleEncrypt, doubleEncryptParts } from "../src/protocol/aead.js";
import { AuthenticationError } from "../src/protocol/crypto/backend.js";
import { assembleChunkFrame, chunkFramePrefix, chunkHeader } from "../src/protocol/session.js";
import { PoolClosedError, WorkerPool, owned, transferable } from "../src/io/workers/pool.js";

function pairSessions(): { alice: Session; bob: Session } {
  const i = new Initiator();
  const { response, session: bob } = respond(parseJsonObject(i.initMessage)!);
  const alice = i.finish(parseJsonObject(response)!);
  return { alice, bob };
}

const rnd = (n: number) => new Uint8Array(randomBytes(n));

test("doubleEncryptParts = doubleEncrypt of the concatenation, behind `reserve` bytes (random lengths and splits)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 64 }), fc.boolean(), (a, b, reserve, useScratch) => {
      const key = rnd(32);
      const nonce = rnd(12);
      const aad = rnd(40);
      const p1 = rnd(a);
      const p2 = rnd(b);
      const whole = new Uint8Array(a + b);
      whole.set(p1, 0);
      whole.set(p2, a);
      const scratch = useScratch ? new Uint8Array(a + b + 64) : undefined;
      const out = doubleEncryptParts(key, nonce, [p1, p2], aad, reserve, scratch);
      assert.deepEqual(out.subarray(reserve), doubleEncrypt(key, nonce, whole, aad));
      assert.deepEqual(doubleDecrypt(key, nonce, out.subarray(reserve), aad), whole);
      if (scratch) assert.ok(scratch.every((x) => x === 0), "the scratch is wiped");
    }),
    { numRuns: 60 },
  );
});

test("prepareChunkKeys + AEAD elsewhere + assembleChunkFrame = encryptChunk's frame, opened by decryptChunk", () => {
  const { alice, bob } = pairSessions();
  const { alice: alice2 } = { alice };
  for (const len of [0, 1, 63, 64, 1000, 1 << 20]) {
    const data = rnd(len);
    const eph = rnd(32);
    const nonce = rnd(12);
    // Same randomness through both paths on two identical sessions is not possible (one chain);
    // instead: the split path's frame must decrypt on the peer like encryptChunk's.
    const k = alice2.prepareChunkKeys({ ephemeralPrivateKey: eph, nonce });
    const ct = doubleEncrypt(k.messageKey, k.nonce, new Uint8Array([...chunkHeader("abc123", 7), ...data]), k.aad);
    const frame = assembleChunkFrame(k, ct);
    assert.deepEqual(frame.subarray(0, 48), chunkFramePrefix(k));
    const d = bob.decryptChunk(frame);
    assert.equal(d.counter, k.counter);
    assert.equal(d.transferId, "abc123");
    assert.equal(d.chunkIndex, 7);
    assert.deepEqual(d.data, data);
    // And encryptChunk (built on the same pieces) still interleaves with it.
    const f2 = alice.encryptChunk("abc123", 8, data);
    assert.deepEqual(bob.decryptChunk(f2.frame).data, data);
  }
});

test("pipelined receive: begin several, finish in order = sequential decryptChunk; a failed frame changes nothing", () => {
  const { alice, bob } = pairSessions();
  const frames = Array.from({ length: 6 }, (_, i) => alice.encryptChunk("t1", i, rnd(3000 + i)).frame);
  // Frame 2 is tampered: its AEAD fails.
  const bad = Uint8Array.from(frames[2]!);
  bad[bad.length - 1]! ^= 1;
  frames[2] = bad;
  const jobs = frames.map((f) => bob.beginChunkOpen(f));
  assert.equal(bob.pendingChunkOpens, 6);
  assert.equal(bob.chunkOpenBase, 6);
  assert.equal(bob.state.peerCounter, 0, "nothing committed before finish");
  // While opens are pending, the sequential paths refuse to run.
  assert.throws(() => bob.decryptChunk(frames[0]!), (e: unknown) => e instanceof SessionError && e.kind === "not_ready");
  // Out of order finishing is refused.
  assert.throws(() => bob.finishChunkOpen(jobs[1]!, null), (e: unknown) => e instanceof SessionError && e.kind === "not_ready");
  for (const [i, j] of jobs.entries()) {
    let plain: Uint8Array | null;
    try {
      plain = doubleDecrypt(j.messageKey, j.nonce, j.ciphertext, j.aad);
    } catch {
      plain = null;
    }
    if (i === 2) {
      assert.equal(plain, null);
      const before = bob.state;
      assert.throws(() => bob.finishChunkOpen(j, plain), (e: unknown) => e instanceof SessionError && e.kind === "decrypt_failed");
      assert.deepEqual(bob.state, before, "a failed frame leaves the state unchanged");
      continue;
    }
    const d = bob.finishChunkOpen(j, plain);
    assert.equal(d.chunkIndex, i);
    assert.equal(d.counter, i + 1);
    assert.equal(bob.state.peerCounter, i + 1);
  }
  assert.equal(bob.pendingChunkOpens, 0);
  // The session goes on normally, for chunks and messages.
  assert.equal(bob.decryptChunk(alice.encryptChunk("t1", 6, rnd(10)).frame).chunkIndex, 6);
  const m = bob.decrypt(parseJsonObject(alice.encrypt(new TextEncoder().encode('{"type": 13, "text": "hi"}')).wire)!);
  assert.equal(m.counter, 8);
});

test("pipelined receive: the sequential answer when the last pending frame fails and is then re-sent", () => {
  const { alice, bob } = pairSessions();
  const f1 = alice.encryptChunk("t", 0, rnd(100)).frame;
  const good2 = alice.encryptChunk("t", 1, rnd(100)).frame;
  const bad2 = Uint8Array.from(good2);
  bad2[60]! ^= 1;
  const j1 = bob.beginChunkOpen(f1);
  const j2 = bob.beginChunkOpen(bad2);
  // A frame at or below the pending base must wait (the client holds it back) ...
  assert.ok(2 <= bob.chunkOpenBase);
  bob.finishChunkOpen(j1, doubleDecrypt(j1.messageKey, j1.nonce, j1.ciphertext, j1.aad));
  assert.throws(() => doubleDecrypt(j2.messageKey, j2.nonce, j2.ciphertext, j2.aad));
  assert.throws(() => bob.finishChunkOpen(j2, null), (e: unknown) => e instanceof SessionError && e.kind === "decrypt_failed");
  // ... and then gets the sequential answer: counter 2 was never committed, so the good copy is accepted.
  assert.equal(bob.decryptChunk(good2).chunkIndex, 1);
});

test("pipelined receive: replay, gap and key-change rules", () => {
  const { alice, bob } = pairSessions();
  const f1 = alice.encryptChunk("t", 0, rnd(10)).frame;
  bob.decryptChunk(f1);
  assert.throws(() => bob.beginChunkOpen(f1), (e: unknown) => e instanceof SessionError && e.kind === "replay");
  for (let i = 0; i < 2005; i++) alice.prepareChunkKeys().messageKey.fill(0);
  const far = alice.encryptChunk("t", 1, rnd(10)).frame;
  assert.throws(() => bob.beginChunkOpen(far), (e: unknown) => e instanceof SessionError && e.kind === "out_of_window");
  assert.equal(bob.pendingChunkOpens, 0);
  // Jobs begun before a key change (or destroy) cannot commit.
  const { alice: a2, bob: b2 } = pairSessions();
  const j = b2.beginChunkOpen(a2.encryptChunk("t", 0, rnd(10)).frame);
  const plain = doubleDecrypt(j.messageKey, j.nonce, j.ciphertext, j.aad);
  b2.setPendingKeys({ encryptionKey: rnd(32), rootChainKey: rnd(64) });
  b2.activatePendingKeys();
  assert.equal(b2.pendingChunkOpens, 0);
  assert.throws(() => b2.finishChunkOpen(j, plain), (e: unknown) => e instanceof SessionError && e.kind === "not_ready");
  assert.equal(b2.state.peerCounter, 0);
});

test("worker pool: seal/open/gzip match the inline results; terminate ends threads and rejects pending jobs", async () => {
  const { gunzipSync } = await import("node:zlib");
  const pool = new WorkerPool(2);
  try {
    const key = rnd(32);
    const nonce = rnd(12);
    const aad = rnd(50);
    const data = rnd(200_000);
    const expected = doubleEncryptParts(key, nonce, [chunkHeader("x", 1), data], aad, 48);
    const k1 = Uint8Array.from(key);
    const d1 = Uint8Array.from(data);
    const frame = await pool.run({ op: "seal", key: k1, nonce, aad, prefix: new Uint8Array(48), parts: [chunkHeader("x", 1), d1] }, [k1.buffer, d1.buffer]);
    assert.equal(k1.byteLength, 0, "the key was transferred, not copied");
    assert.deepEqual(frame.subarray(48), expected.subarray(48));
    const ct = frame.slice(48);
    const k2 = Uint8Array.from(key);
    const plain = await pool.run({ op: "open", key: k2, nonce, aad, ciphertext: ct }, [k2.buffer]);
    assert.deepEqual(plain.subarray(chunkHeader("x", 1).length), data);
    const badCt = Uint8Array.from(ct);
    badCt[5]! ^= 1;
    await assert.rejects(pool.run({ op: "open", key: Uint8Array.from(key), nonce, aad, ciphertext: badCt }), AuthenticationError);
    const text = new TextEncoder().encode("abc ".repeat(10000));
    const gz = await pool.run({ op: "gzip", data: text, level: 6 });
    assert.deepEqual(new Uint8Array(gunzipSync(gz)), text);
    assert.ok(pool.threads >= 1 && pool.threads <= 2);
    assert.ok(transferable(new Uint8Array(16)));
    assert.ok(!transferable(new Uint8Array(16).subarray(1)));
    assert.ok(transferable(owned(Buffer.from("pooled"))));
    // Pending jobs reject with PoolClosedError; the threads are gone.
    const pending = Array.from({ length: 6 }, () => pool.run({ op: "gzip", data: rnd(1 << 20), level: 9 }).then(() => null, (e: unknown) => e));
    await pool.terminate();
    for (const p of pending) assert.ok((await p) instanceof PoolClosedError);
    assert.equal(pool.threads, 0);
    await assert.rejects(pool.run({ op: "gzip", data: text, level: 1 }), PoolClosedError);
  } finally {
    await pool.terminate();
  }
});
