// What the terminal client keeps of what it printed (src/tui/transcript.ts):
// an expired disappearing message's lines go, everything else stays in
// order, and memory is bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_GROUPS, Transcript } from "../src/tui/transcript.js";

test("removing a disappearing message keeps every other line in order", () => {
  const t = new Transcript();
  t.add(["* connected"]);
  t.add(["12:00 peer: secret", "  second line"], "m1");
  t.add(["12:01 you: stays"]);
  t.add([]);
  assert.equal(t.remove("m1"), true);
  assert.deepEqual(t.lines(), ["* connected", "12:01 you: stays"]);
  assert.equal(t.remove("m1"), false, "already gone");
  assert.equal(t.remove("unknown"), false);
});

test("bounded: only the last MAX_GROUPS groups are kept; clear() forgets all", () => {
  const t = new Transcript();
  for (let i = 0; i < MAX_GROUPS + 5; i++) t.add([`line ${i}`], i === 2 ? "old" : null);
  const lines = t.lines();
  assert.equal(lines.length, MAX_GROUPS);
  assert.equal(lines[0], "line 5");
  assert.equal(t.remove("old"), false, "an id that fell out of the bound is not there to remove");
  t.clear();
  assert.deepEqual(t.lines(), []);
});
