// Session fingerprints (src/protocol/fingerprint.ts) against handshake.json
// (WIRE-NOTES §10, §16), and the KEY_VERIFICATION bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, fromUtf8, hexToBytes } from "../src/protocol/bytes.js";
import * as control from "../src/protocol/control.js";
import { fingerprintFromBytes, wordlist } from "../src/protocol/fingerprint.js";
import { handshake, hs } from "./helpers/reference-vectors.js";

test("fingerprint: handshake words, display and the synthetic cases", () => {
  const { alice, bob } = handshake();
  assert.equal(wordlist().length, hs.fingerprint.wordlist_size);
  for (const p of [alice, bob]) {
    assert.equal(bytesToHex(p.session.fingerprint.sha256), hs.fingerprint.sha256_of_sorted_concat);
    assert.deepEqual(p.session.fingerprint.indices, hs.fingerprint.word_indices);
    assert.deepEqual(p.session.fingerprint.words, hs.fingerprint.words);
    assert.equal(p.session.fingerprint.display, hs.fingerprint.display);
  }
  for (const c of hs.fingerprint_extra.cases) {
    const f = fingerprintFromBytes(hexToBytes(c.input));
    assert.equal(bytesToHex(f.sha256), c.sha256);
    assert.deepEqual(f.indices, c.word_indices);
    assert.equal(f.display, c.display);
  }
  assert.equal(fromUtf8(control.keyVerification(true)), hs.key_verification_true);
  assert.equal(fromUtf8(control.keyVerification(false)), hs.key_verification_false);
});
