// The allocator tuning addon (src/protocol/native/allocator.c): built and
// applied on this project's machines (glibc, a C compiler), idempotent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { tuneAllocatorForBulkCrypto } from "../src/protocol/allocator.js";

test("the allocator tuning is applied, and applying it again is harmless", () => {
  assert.equal(tuneAllocatorForBulkCrypto(), true, "dist/src/protocol/native/allocator.node did not build or load; see the build output");
  assert.equal(tuneAllocatorForBulkCrypto(), true);
});

test("the addon refuses thresholds outside glibc's limits instead of applying them", () => {
  const addon = createRequire(import.meta.url)("../src/protocol/native/allocator.node") as { tune(a: number, b: number): boolean };
  assert.equal(addon.tune(64 * 1024 * 1024, 64 * 1024 * 1024), false); // mmap threshold above 32 MiB
  assert.equal(addon.tune(0, 1), false);
  assert.equal(addon.tune(32 * 1024 * 1024, 64 * 1024 * 1024), true);
});
