// messages.json (WIRE-NOTES §6, §7, §16) through Session: every encrypt and
// deliver op, the pyjson escaping cases and the forward-gap window.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hexToBytes, toBytes } from "../src/protocol/bytes.js";
import { Session, SessionError } from "../src/protocol/index.js";
import { parseJsonObject, pyjson } from "../src/protocol/pyjson.js";
import { loadFixture } from "./helpers/fixtures.js";
import { handshake, hs, runOps } from "./helpers/reference-vectors.js";

test("messages.json: every encrypt and deliver op", () => {
  const m = loadFixture("messages.json");
  const n = runOps(m.ops);
  assert.equal(n, m.ops.filter((o: { op: string }) => o.op !== "advance_sender").length);
});

test("messages.json: pyjson escaping cases", () => {
  const m = loadFixture("messages.json");
  for (const c of m.json_compat.cases) assert.equal(pyjson({ type: 13, text: c.text }), c.inner_json);
});

test("messages.json: a forward gap wider than the configured window is rejected unread", () => {
  const { alice, bob } = handshake();
  for (let i = 0; i < 5; i++) alice.session.encrypt(toBytes("{}"));
  const { wire } = alice.session.encrypt(toBytes('{"type": 12}'));
  // A second bob with a window of 4: the 6th message jumps 5 ahead.
  const h2 = handshake();
  const bob2 = new Session(
    {
      encryptionKey: h2.bob.session._chains.encryptionKey,
      rootChainKey: hexToBytes(hs.root_chain_key),
      ownSessionPrivateKey: hexToBytes(hs.randomness.bob_x25519_session_priv),
      ownSessionPublicKey: hexToBytes(hs.bob.x25519_session_pub),
      peerSessionPublicKey: hexToBytes(hs.alice.x25519_session_pub),
      ownKemPublicKey: Buffer.from(hs.bob.kem_public_key_b64, "base64"),
      peerKemPublicKey: Buffer.from(hs.alice.kem_public_key_b64, "base64"),
    },
    { maxForwardGap: 4 },
  );
  assert.throws(() => bob2.decrypt(parseJsonObject(wire)!), (e: unknown) => e instanceof SessionError && e.kind === "out_of_window");
  assert.equal(bob2.state.peerCounter, 0);
  assert.deepEqual(bob2.state.savedCounters, []);
  // The default window accepts it and saves the five skipped states.
  const d = bob.session.decrypt(parseJsonObject(wire)!);
  assert.equal(d.counter, 6);
  assert.deepEqual(bob.session.state.savedCounters, [1, 2, 3, 4, 5]);
});
