// The compression decision (src/protocol/file/compression.ts, WIRE-NOTES §8.2, §15.7).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compressesEnough, SAMPLE_MAX_RATIO, wantsCompression } from "../src/protocol/file/compression.js";

test("wantsCompression: the user's wish and the extension list; an empty file follows compressEmpty", () => {
  const table: [string, number, boolean, boolean, boolean][] = [
    // filename, size, userWants, compressEmpty, result
    ["notes.txt", 10, true, true, true],
    ["notes.txt", 10, false, true, false],
    ["movie.MP4", 10, true, true, false],
    [".gz", 10, true, true, true], // leading dots do not count (WIRE-NOTES §8.2)
    ["empty.zip", 0, false, true, true],
    ["empty.txt", 0, false, false, false],
    ["empty.txt", 0, true, false, true],
  ];
  for (const [filename, size, userWants, compressEmpty, want] of table) {
    assert.equal(wantsCompression({ filename, size, userWants, compressEmpty }), want, `${filename} ${size} ${userWants} ${compressEmpty}`);
  }
});

test("compressesEnough: below 90 % of the sample size, or nothing to sample", () => {
  assert.equal(SAMPLE_MAX_RATIO, 0.9);
  assert.equal(compressesEnough(1000, 899), true);
  assert.equal(compressesEnough(1000, 900), false);
  assert.equal(compressesEnough(0, 0), true);
});
