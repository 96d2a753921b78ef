// In-memory sessions: a full handshake with fresh randomness, traffic both
// ways, a rekey in the middle, and property tests for reordering and tampering.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromUtf8, toBytes, b64decodeStrict, b64encode } from "../src/protocol/bytes.js";
import { Initiator, respond } from "../src/protocol/handshake.js";
import { parseJsonObject, pyjson, type JsonObject } from "../src/protocol/pyjson.js";
import { Rekeyer } from "../src/protocol/rekey.js";
import { Session } from "../src/protocol/session.js";
import { SessionError } from "../src/protocol/errors.js";

function pair(): { a: Session; b: Session } {
  const initiator = new Initiator();
  const { response, session: b } = respond(parseJsonObject(initiator.initMessage)!);
  const a = initiator.finish(parseJsonObject(response)!);
  return { a, b };
}

const send = (s: Session, text: string) => s.encrypt(toBytes(pyjson({ type: 13, text }))).wire;
const recv = (s: Session, wire: Uint8Array) => parseJsonObject(fromUtf8(s.decrypt(parseJsonObject(wire)!).plaintext))!["text"];

test("handshake with fresh keys: same fingerprint, traffic both ways, rekey in the middle", () => {
  const { a, b } = pair();
  assert.equal(a.fingerprint.display, b.fingerprint.display);
  assert.equal(a.fingerprint.words.length, 8);
  assert.equal(recv(b, send(a, "hello 🎉")), "hello 🎉");
  assert.equal(recv(a, send(b, "hi")), "hi");

  const ra = new Rekeyer(a);
  const rb = new Rekeyer(b);
  const relay = (from: Session, to: Session, inner: JsonObject): JsonObject =>
    parseJsonObject(fromUtf8(to.decrypt(parseJsonObject(from.encrypt(toBytes(pyjson(inner))).wire)!).plaintext))!;

  const init = relay(a, b, ra.start());
  const s1 = rb.handle(init);
  assert.equal(s1.started, "responder");
  assert.ok(rb.inProgress);
  const s2 = ra.handle(relay(b, a, s1.reply!));
  assert.equal(s2.reply!.action, "commit");
  assert.ok(ra.holdOutgoing, "initiator holds application messages after commit");
  const s3 = rb.handle(relay(a, b, s2.reply!));
  assert.ok(s3.switchAfterSend);
  // commit_ack under the old keys, then bob switches at once.
  const ack = b.encrypt(toBytes(pyjson(s3.reply!))).wire;
  rb.switchAfterCommitAck();
  assert.equal(b.state.messageCounter, 0);
  const s4 = ra.handle(parseJsonObject(fromUtf8(a.decrypt(parseJsonObject(ack)!).plaintext))!);
  assert.ok(s4.switched);
  assert.equal(a.state.messageCounter, 0);
  assert.ok(!ra.inProgress && !rb.inProgress);

  // New epoch: counters restart and both directions work.
  const w = send(a, "after rekey");
  assert.equal(parseJsonObject(w)!["counter"], 1);
  assert.equal(recv(b, w), "after rekey");
  assert.equal(recv(a, send(b, "ok")), "ok");
  // The fingerprint stays the same: it covers the handshake's public keys.
  assert.equal(a.fingerprint.display, b.fingerprint.display);
});

test("simultaneous rekey starts resolve to one initiator on both sides", () => {
  const { a, b } = pair();
  const ra = new Rekeyer(a);
  const rb = new Rekeyer(b);
  const ia = ra.start();
  const ib = rb.start();
  const stepA = ra.handle(ib);
  const stepB = rb.handle(ia);
  // Exactly one side becomes responder.
  const responders = [stepA, stepB].filter((s) => s.started === "responder");
  assert.equal(responders.length, 1);
  const ignored = [stepA, stepB].filter((s) => s.reply === null);
  assert.equal(ignored.length, 1);
});

test("session destroy wipes keys and refuses further use", () => {
  const { a } = pair();
  a.destroy();
  assert.ok(a._chains.send.every((x) => x === 0));
  assert.throws(() => send(a, "x"), (e: unknown) => e instanceof SessionError && e.kind === "not_ready");
});

test("property: any delivery order within the window decrypts every message exactly once", () => {
  const { a, b } = pair();
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.infiniteStream(fc.nat()), (n, rnd) => {
      const wires = Array.from({ length: n }, (_, i) => ({ i, wire: send(a, `m${i}`) }));
      // Fisher–Yates shuffle driven by fast-check's stream (shrinkable).
      const it = rnd[Symbol.iterator]();
      for (let k = wires.length - 1; k > 0; k--) {
        const j = (it.next().value as number) % (k + 1);
        [wires[k], wires[j]] = [wires[j]!, wires[k]!];
      }
      for (const { i, wire } of wires) assert.equal(recv(b, wire), `m${i}`);
      // Every one of them is now a replay.
      for (const { wire } of wires) assert.throws(() => b.decrypt(parseJsonObject(wire)!), SessionError);
      assert.deepEqual(b.state.savedCounters, []);
    }),
    { numRuns: 60 },
  );
});

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
}

test("property: a flipped bit in any outer field is rejected and leaves the state unchanged", () => {
  const { a, b } = pair();
  const fields = ["counter", "nonce", "ciphertext", "dh_public_key", "verification"] as const;
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.nat(), (field, bitSeed) => {
      const wire = send(a, "payload for tamper test");
      const outer = parseJsonObject(wire)!;
      const before = b.state;
      const tampered: JsonObject = { ...outer };
      if (field === "counter") {
        tampered.counter = (outer.counter as number) ^ (1 << (bitSeed % 31));
      } else {
        const raw = b64decodeStrict(outer[field] as string);
        tampered[field] = b64encode(flipBit(raw, bitSeed % (raw.length * 8)));
      }
      assert.throws(() => b.decrypt(tampered), SessionError);
      assert.deepEqual(b.state, before);
      // The untouched original still decrypts.
      assert.equal(recv(b, wire), "payload for tamper test");
    }),
    { numRuns: 150 },
  );
});

test("property: a flipped bit anywhere in a FILE_CHUNK frame is rejected", () => {
  const { a, b } = pair();
  const data = new Uint8Array(300).map((_, i) => i & 0xff);
  fc.assert(
    fc.property(fc.nat(), (bitSeed) => {
      const { frame } = a.encryptChunk("abc123", 0, data);
      const before = b.state;
      const bit = bitSeed % (frame.length * 8);
      let rejected = false;
      try {
        b.decryptChunk(flipBit(frame, bit));
      } catch (e) {
        rejected = e instanceof SessionError;
      }
      assert.ok(rejected, `bit ${bit} flip accepted`);
      // A counter flip that lands in the future walks nothing on failure.
      assert.equal(b.state.peerCounter, before.peerCounter);
      const ok = b.decryptChunk(frame);
      assert.equal(ok.transferId, "abc123");
      assert.deepEqual(ok.data, data);
    }),
    { numRuns: 120 },
  );
});

test("a plaintext that is not UTF-8 is refused after it authenticated, in order or not, and commits nothing (WIRE-NOTES §7 step 7)", () => {
  const { a, b } = pair();
  const bad = Uint8Array.of(0x7b, 0xff, 0x7d);
  const refuse = (wire: Uint8Array): void =>
    assert.throws(() => b.decrypt(parseJsonObject(wire)!), (e: unknown) => e instanceof SessionError && e.kind === "invalid_utf8");
  // The next counter in order (the one-call path): nothing moves.
  refuse(a.encrypt(bad).wire);
  assert.deepEqual(b.state, { messageCounter: 0, peerCounter: 0, savedCounters: [], rekeyPending: false });
  // Past a gap (the general path): no skipped state is kept either.
  const second = send(a, "two");
  refuse(a.encrypt(bad).wire);
  assert.deepEqual(b.state.savedCounters, []);
  assert.equal(b.state.peerCounter, 0);
  // The chain is intact: the messages after them open, and the text is the plaintext decoded.
  const d = b.decrypt(parseJsonObject(send(a, "four"))!);
  assert.equal(d.text, fromUtf8(d.plaintext));
  assert.equal(parseJsonObject(d.text)!["text"], "four");
  assert.equal(recv(b, second), "two", "counter 2 from the saved chain");
});
