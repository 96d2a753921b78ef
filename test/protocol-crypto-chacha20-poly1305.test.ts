// ChaCha20-Poly1305 (src/protocol/crypto/chacha20-poly1305.ts): Wycheproof, the
// shared failure contract, and the prefixed form the file chunks use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chacha20Poly1305, chachaSeal, chachaSealWithPrefix } from "../src/protocol/crypto/chacha20-poly1305.js";
import { failureContract, wycheproofAead } from "./helpers/aead-backend-suite.js";

wycheproofAead("chacha20-poly1305", chacha20Poly1305, "chacha20_poly1305_test.json", {
  inProfile: { valid: 256, invalid: 60 },
  outOfProfile: { "invalid:size-rejected": 9 },
});

failureContract("chacha20-poly1305", chacha20Poly1305);

test("chacha20-poly1305: sealing behind a prefix gives zeroed prefix bytes and the same ciphertext", () => {
  for (const [len, reserve] of [[0, 0], [1, 48], [100, 48], [70000, 7]] as const) {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(20);
    const pt = randomBytes(len);
    const out = chachaSealWithPrefix(key, nonce, pt, aad, reserve);
    assert.deepEqual(out.subarray(0, reserve), new Uint8Array(reserve));
    assert.deepEqual(out.subarray(reserve), chachaSeal(key, nonce, pt, aad));
    assert.deepEqual(chacha20Poly1305.open(key, nonce, out.subarray(reserve), aad), new Uint8Array(pt));
  }
});
