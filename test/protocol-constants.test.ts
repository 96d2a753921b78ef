// Protocol constants (src/protocol/constants.ts): version comparison.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareVersions } from "../src/protocol/constants.js";

test("version comparison per SPEC §4.2.1", () => {
  assert.equal(compareVersions("6.0.1", "6.0.1"), "same");
  assert.equal(compareVersions("6.0.1", "6.0.2"), "patch");
  assert.equal(compareVersions("6.0.1", "6.1.0"), "minor");
  assert.equal(compareVersions("6.0.1", "7.0.0"), "breaking");
});
