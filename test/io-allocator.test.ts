// The allocator tuning addon (src/io/native/allocator.c): applied where
// it built on glibc, a harmless no-op otherwise; idempotent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tuneAllocatorForBulkCrypto } from "../src/io/allocator.js";

const report = (JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>)["allocator.c"];
const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === "string";

test("the allocator tuning is applied where the addon built on glibc, and applying it again is harmless", () => {
  assert.ok(report, "the build report has no entry for allocator.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(report.built, true, `allocator.c did not build: ${report.reason}`);
  const expected = report.built && glibc;
  assert.equal(tuneAllocatorForBulkCrypto(), expected);
  assert.equal(tuneAllocatorForBulkCrypto(), expected);
});

// Only where it was built (always in CI, which sets PQCHAT_REQUIRE_NATIVE).
if (report?.built) test("the addon refuses thresholds outside glibc's limits instead of applying them", () => {
  const addon = createRequire(import.meta.url)("../src/io/native/allocator.node") as { tune(a: number, b: number): boolean };
  assert.equal(addon.tune(64 * 1024 * 1024, 64 * 1024 * 1024), false); // mmap threshold above 32 MiB
  assert.equal(addon.tune(0, 1), false);
  assert.equal(addon.tune(32 * 1024 * 1024, 64 * 1024 * 1024), glibc);
});
