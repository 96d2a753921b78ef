// The resume fields of FILE_ACCEPT (src/protocol/file/resume.ts): the needed
// ranges cover every missing chunk, round-trip through their text, stay
// within the bound, and anything malformed is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CHUNK_SIZE,
  MAX_RESUME_RANGES,
  acceptedRanges,
  encodeRanges,
  inRanges,
  neededRanges,
  parseRanges,
  rangeBytes,
  rangeChunks,
  resumeAccept,
  sameTransfer,
} from "../src/protocol/file/index.js";
import { unexpectedInnerField } from "../src/protocol/control.js";

const held = fc.array(fc.boolean(), { minLength: 1, maxLength: 400 });

test("needed ranges cover every missing chunk, round-trip, and never exceed the bound", () => {
  fc.assert(
    fc.property(held, (h) => {
      const total = h.length;
      const r = neededRanges((i) => h[i]!, total);
      assert.ok(r.length <= MAX_RESUME_RANGES);
      for (let i = 0; i < total; i++) if (!h[i]) assert.ok(inRanges(r, i), `missing chunk ${i} not asked for`);
      assert.deepEqual(parseRanges(encodeRanges(r), total), r);
      const exact = neededRanges((i) => h[i]!, total, Number.MAX_SAFE_INTEGER);
      // Without the bound, exactly the missing chunks.
      for (let i = 0; i < total; i++) assert.equal(inRanges(exact, i), !h[i]);
    }),
  );
});

test("the resume accept uses only allow-listed fields; a plain accept means everything", () => {
  const msg = resumeAccept("0123456789abcdef", [[3, 10]]);
  assert.deepEqual(msg, { type: 21, transfer_id: "0123456789abcdef", action: "resume", data: "3-9" });
  assert.equal(unexpectedInnerField(msg), null, "WIRE-NOTES §12.3");
  assert.deepEqual(acceptedRanges(msg, 10), [[3, 10]]);
  assert.equal(acceptedRanges({ type: 21 } as never, 10), null);
  assert.equal(acceptedRanges({ action: "resume", data: 5 }, 10), "malformed");
  assert.equal(acceptedRanges({ action: "resume", data: "3-10" }, 10), "malformed");
  assert.deepEqual(acceptedRanges({ action: "resume", data: "" }, 10), []);
});

test("malformed, overlapping, unordered or oversized range texts are refused", () => {
  for (const bad of ["a", "1-", "-1", "2-1", "1,1", "3,2", "01", "1-2,2-3", " 1", "1;2", "9", "1-99"]) assert.equal(parseRanges(bad, 9), null, bad);
  const many = Array.from({ length: MAX_RESUME_RANGES + 1 }, (_, i) => String(2 * i)).join(",");
  assert.equal(parseRanges(many, 1000), null);
  assert.deepEqual(parseRanges("0,2-4,8", 9), [
    [0, 1],
    [2, 5],
    [8, 9],
  ]);
});

test("bytes and chunks of ranges follow the 1 MiB chunking, the last chunk shorter", () => {
  const m = { total_chunks: 3, processed_size: 2 * CHUNK_SIZE + 5 };
  assert.equal(rangeBytes(m, [[0, 3]]), m.processed_size);
  assert.equal(rangeBytes(m, [[2, 3]]), 5);
  assert.equal(rangeBytes(m, [[0, 1], [2, 3]]), CHUNK_SIZE + 5);
  assert.equal(rangeChunks([[0, 1], [2, 3]]), 2);
});

test("a re-offer serves a kept part only when every field matches", () => {
  const a = { transfer_id: "0123456789abcdef", filename: "a.bin", file_size: 5, file_hash: "00".repeat(32), total_chunks: 1, compressed: false, processed_size: 5 };
  assert.equal(sameTransfer(a, { ...a }), true);
  for (const k of Object.keys(a) as (keyof typeof a)[]) {
    const b = { ...a, [k]: typeof a[k] === "number" ? (a[k] as number) + 1 : typeof a[k] === "boolean" ? !a[k] : `${String(a[k])}x` };
    assert.equal(sameTransfer(a, b), false, k);
  }
});
