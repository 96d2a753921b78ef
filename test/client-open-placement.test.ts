// Where the receiver opens chunk frames (src/client/open-placement.ts): inline
// while its thread keeps up, on the worker pool once the thread was on a CPU
// for most of the wall time over BUSY_STRETCHES stretches of chunks in a row;
// a lone busy stretch and idle gaps are not load, and a new session starts
// inline again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BUSY_SHARE, BUSY_STRETCHES, GAP_MS, JUDGE_BYTES, JUDGE_MS, OpenPlacement } from "../src/client/open-placement.js";

const MiB = 1024 * 1024;

/** A placement on scripted clocks: each chunk of 1 MiB takes `stepMs` of wall time, `busy` of it on a CPU. */
function scripted() {
  const t = { wall: 0, cpu: 0 };
  const p = new OpenPlacement({ wall: () => t.wall, cpu: () => t.cpu / 1000 });
  const chunk = (stepMs: number, busy: number): boolean => {
    t.wall += stepMs;
    t.cpu += stepMs * busy;
    return p.onWorkers(MiB);
  };
  return { p, t, chunk };
}

test("a thread that keeps up opens every chunk inline", () => {
  const { chunk } = scripted();
  for (let i = 0; i < 1000; i++) assert.equal(chunk(10, BUSY_SHARE - 0.1), false);
});

test("a busy thread moves the opens to the pool after BUSY_STRETCHES stretches in a row, and they stay there", () => {
  const { chunk } = scripted();
  const stretch = Math.max(JUDGE_BYTES / MiB, JUDGE_MS / 10);
  assert.equal(BUSY_STRETCHES, 2);
  let first = -1;
  for (let i = 0; i < 4 * stretch && first < 0; i++) if (chunk(10, BUSY_SHARE + 0.05)) first = i;
  assert.ok(first >= 2 * stretch - 1, `not before two whole stretches were judged (moved at chunk ${first})`);
  assert.ok(first <= 3 * stretch, "but within three");
  for (let i = 0; i < 100; i++) assert.equal(chunk(10, 0), true, "sticky for the session");
});

test("a lone busy stretch between calmer ones (a collection, a burst of disk writes) keeps the opens inline", () => {
  const { chunk } = scripted();
  const stretch = Math.max(JUDGE_BYTES / MiB, JUDGE_MS / 10);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < stretch; i++) assert.equal(chunk(10, 0.95), false);
    for (let i = 0; i < stretch; i++) assert.equal(chunk(10, 0.5), false);
  }
});

test("a stretch needs both the bytes and the wall time: a fast burst is not judged on a few milliseconds", () => {
  const { chunk } = scripted();
  // 1 ms per chunk, fully busy: JUDGE_BYTES pass in well under JUDGE_MS.
  for (let i = 0; i < JUDGE_BYTES / MiB; i++) assert.equal(chunk(1, 1), false);
  let moved = -1;
  for (let i = 0; i < 3 * JUDGE_MS && moved < 0; i++) if (chunk(1, 1)) moved = i;
  assert.ok(moved >= JUDGE_MS, "two stretches of JUDGE_MS each, not one of a few milliseconds");
  assert.ok(moved <= 2 * JUDGE_MS + 1, "judged once the wall time was there too");
});

test("a gap between chunks starts a new stretch (waiting for the network is not load), and reset() starts inline again", () => {
  const { p, t, chunk } = scripted();
  for (let i = 0; i < JUDGE_BYTES / MiB - 1; i++) chunk(50, 1);
  t.wall += GAP_MS + 1; // idle
  for (let i = 0; i < JUDGE_BYTES / MiB - 1; i++) assert.equal(chunk(50, 0.1), false, "the busy chunks before the gap do not count");
  // Busy, a gap, busy again: the run of busy stretches starts over after the gap.
  for (let i = 0; i < JUDGE_BYTES / MiB; i++) chunk(50, 1);
  t.wall += GAP_MS + 1;
  for (let i = 0; i < JUDGE_BYTES / MiB; i++) assert.equal(chunk(50, 1), false, "one busy stretch after the gap is not two in a row");
  for (let i = 0; i < 2 * (JUDGE_BYTES / MiB); i++) chunk(50, 1);
  assert.equal(p.onWorkers(MiB), true);
  p.reset();
  assert.equal(chunk(50, 0), false);
});
