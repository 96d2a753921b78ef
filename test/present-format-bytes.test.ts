// Unit tests of the one byte and rate formatting (src/present/format-bytes.ts)
// every view and the client's own error texts use.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBytes, formatRate } from "../src/present/format-bytes.js";

test("sizes are 1024-based and labelled so: B, KiB, MiB, GiB, TiB, PiB", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.0 KiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(10 * 1024), "10 KiB");
  assert.equal(formatBytes(24 * 1024 * 1024), "24 MiB");
  assert.equal(formatBytes(79_000_000_000), "74 GiB");
  assert.equal(formatBytes(3 * 1024 ** 4), "3.0 TiB");
  assert.equal(formatBytes(2 * 1024 ** 5), "2.0 PiB");
  assert.equal(formatBytes(5000 * 1024 ** 5), "5000 PiB", "the largest unit keeps counting");
});

test("a count that is not a size is shown as ?", () => {
  for (const n of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(formatBytes(n), "?");
});

test("rates are decimal megabytes per second", () => {
  assert.equal(formatRate(3_200_000), "3.20 MB/s");
  assert.equal(formatRate(12_345_678), "12.3 MB/s");
  assert.equal(formatRate(0), "-- MB/s");
  assert.equal(formatRate(Number.NaN), "-- MB/s");
});
