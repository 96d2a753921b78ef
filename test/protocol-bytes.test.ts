// Byte helpers (src/protocol/bytes.ts): the strict base64 decoder the
// receiver uses for every field (WIRE-NOTES §15.19).
import { test } from "node:test";
import assert from "node:assert/strict";
import { b64decodeStrict } from "../src/protocol/bytes.js";

test("strict base64 rejects what the lenient decoder would skip", () => {
  assert.deepEqual(b64decodeStrict("AAEC"), Uint8Array.of(0, 1, 2));
  assert.deepEqual(b64decodeStrict(""), new Uint8Array(0));
  for (const bad of ["AAE", "AA=C", "AA EC", "AAEC\n", "AA-_", "AAF=", "A===", "AAEC=", "%%%%"]) {
    assert.throws(() => b64decodeStrict(bad), TypeError, bad);
  }
});
