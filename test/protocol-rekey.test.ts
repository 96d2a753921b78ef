// Rekeying (src/protocol/rekey.ts) against rekey.json (WIRE-NOTES §9, §16):
// the four messages, switch points and new keys; the stale-cache quirk fixed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hexToBytes } from "../src/protocol/bytes.js";
import { loadFixture } from "./helpers/fixtures.js";
import { runOps } from "./helpers/reference-vectors.js";

test("rekey.json: init/response/commit/commit_ack, switch points, new keys; stale-cache quirk fixed", () => {
  const r = loadFixture("rekey.json");
  let quirkSeen = false;
  runOps(r.ops, {
    rekeySeed: hexToBytes(r.randomness.alice_rekey_kem_keygen_seed_d_z),
    rekeyEncapsM: hexToBytes(r.randomness.bob_rekey_kem_encaps_m),
    // After bob's switch the reference still holds the stale entry 2 (WIRE-NOTES §15.9) until m11
    // skips counter 2 again; we hold none until then.
    expectedSaved: (op, reference) => (op["to"] === "bob" && ["m6", "m8"].includes(op["id"] as string) ? [] : reference),
    quirk: (op, outcome) => {
      if (typeof op["label"] !== "string" || !op["label"].startsWith("REFERENCE QUIRK")) return false;
      // We clear the cache on key change, so the late message decrypts (WIRE-NOTES §15.9).
      assert.ok(outcome.ok, "late message after rekey should decrypt once the stale cache is gone");
      assert.match(outcome.plaintext!, /"type": 13/);
      quirkSeen = true;
      return true;
    },
  });
  assert.ok(quirkSeen);
});
