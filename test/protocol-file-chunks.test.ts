// The receive-side chunk ledger (src/protocol/file/chunks.ts, WIRE-NOTES §8.3, §8.5 step 7).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChunkLedger, expectedChunkLength } from "../src/protocol/file/chunks.js";
import { CHUNK_SIZE, FileTransferError } from "../src/protocol/file/metadata.js";

const rejected = (e: unknown) => e instanceof FileTransferError && e.kind === "chunk_rejected";

test("expected lengths: 1 MiB for every chunk but the last, which holds the rest", () => {
  const m = { total_chunks: 3, processed_size: 2 * CHUNK_SIZE + 5 };
  assert.deepEqual([0, 1, 2].map((i) => expectedChunkLength(m, i)), [CHUNK_SIZE, CHUNK_SIZE, 5]);
  assert.equal(expectedChunkLength({ total_chunks: 1, processed_size: CHUNK_SIZE }, 0), CHUNK_SIZE);
});

test("ledger: indices outside the range and wrong lengths are rejected; each index counts once", () => {
  const l = new ChunkLedger({ total_chunks: 2, processed_size: CHUNK_SIZE + 1 });
  for (const i of [-1, 2, 0.5, Number.NaN]) assert.throws(() => l.check(i, 1), rejected, String(i));
  assert.throws(() => l.check(0, CHUNK_SIZE - 1), rejected);
  assert.throws(() => l.check(1, 2), rejected);
  l.check(1, 1);
  assert.equal(l.has(1), false);
  l.record(1, 1);
  assert.equal(l.has(1), true);
  assert.equal(l.complete, false);
  l.record(0, CHUNK_SIZE);
  assert.deepEqual([l.received, l.bytes, l.complete], [2, CHUNK_SIZE + 1, true]);
});

test("ledger: a stream of 0 chunks is complete from the start", () => {
  assert.equal(new ChunkLedger({ total_chunks: 0, processed_size: 0 }).complete, true);
});
