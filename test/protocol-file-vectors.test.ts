// file.json (WIRE-NOTES §8, §16) through Session and the file metadata:
// metadata, chunk frames, replayed and tampered chunks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFixture } from "./helpers/fixtures.js";
import { fileCaseStreams, runOps } from "./helpers/reference-vectors.js";

test("file.json: metadata, chunk frames, replayed and tampered chunks", () => {
  const f = loadFixture("file.json");
  const n = runOps(f.ops, { processed: fileCaseStreams(f) });
  assert.equal(n, f.ops.length);
});

test("file.json: reference-gzip session (metadata and frame heads)", () => {
  const f = loadFixture("file.json");
  runOps(f.ops_reference_gzip);
});
