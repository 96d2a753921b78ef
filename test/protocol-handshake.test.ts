// The hybrid handshake (src/protocol/handshake.ts) against handshake.json
// (WIRE-NOTES §5, §16): exact message bytes and the keys on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, toBytes } from "../src/protocol/bytes.js";
import { handshake, hs } from "./helpers/reference-vectors.js";

test("handshake: exact KEY_EXCHANGE_INIT/RESPONSE bytes, keys and state on both sides", () => {
  const { alice, bob, initMessage, response } = handshake();
  assert.equal(initMessage, hs.key_exchange_init);
  assert.equal(response, hs.key_exchange_response);
  assert.equal(toBytes(initMessage).length.toString(16).padStart(8, "0"), hs.key_exchange_init_frame_length_prefix);
  assert.equal(toBytes(response).length.toString(16).padStart(8, "0"), hs.key_exchange_response_frame_length_prefix);
  for (const [p, st] of [[alice, hs.alice_state], [bob, hs.bob_state]] as const) {
    const c = p.session._chains;
    assert.equal(bytesToHex(c.encryptionKey), st.encryption_key);
    assert.equal(bytesToHex(c.send), st.send_chain_key);
    assert.equal(bytesToHex(c.receive), st.receive_chain_key);
    assert.equal(p.session.state.messageCounter, 0);
    assert.equal(p.session.state.peerCounter, 0);
  }
  assert.equal(bytesToHex(alice.session._chains.encryptionKey), hs.encryption_key);
});
