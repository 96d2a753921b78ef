// AES-256-GCM-SIV with POLYVAL on PCLMULQDQ (src/protocol/crypto/gcmsiv-clmul.ts,
// native/polyval.c). The build compiles the addon when it can
// (scripts/build-native.mjs writes what happened to dist/native-build.json); CI
// sets PQCHAT_REQUIRE_NATIVE, so there a missing addon is a failure, not a
// quieter test run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { clmulGcmSiv } from "../src/protocol/crypto/gcmsiv-clmul.js";
import { gcmSivBackendSuite, nobleReference } from "./helpers/aead-backend-suite.js";

const native = JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>;
const cpuHasClmul = (() => {
  try {
    return /\bpclmulqdq\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
})();

test("clmul: available exactly where the addon built and the CPU has PCLMULQDQ", () => {
  const r = native["polyval.c"];
  assert.ok(r, "the build report has no entry for polyval.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(r.built, true, `polyval.c did not build: ${r.reason}`);
  assert.equal(clmulGcmSiv.available, r.built && cpuHasClmul, "polyval.node availability disagrees with the build report");
  if (!r.built) assert.match(r.reason ?? "", /\S/);
});

if (clmulGcmSiv.available) gcmSivBackendSuite("clmul", clmulGcmSiv, nobleReference);
else {
  test("clmul: where it cannot run, calling it is a plain error, never a silent or forged-looking result", () => {
    assert.throws(() => clmulGcmSiv.seal(randomBytes(32), randomBytes(12), randomBytes(10), new Uint8Array(0)), /not available/);
  });
}
