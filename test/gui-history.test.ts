// The GUI's session history (src/gui/history.ts): what a reloaded page is
// given back, and what it never is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HISTORY_EVENTS, SessionHistory } from "../src/gui/history.js";
import { GUI_EVENTS } from "../src/gui/bridge.js";
import type { HistoryEvent, OwnMessage, PageEvent } from "../src/gui/page/wire.mjs";

/** An event with only the fields a test looks at (the history keeps data as it is given). */
function ev(name: string, data: Record<string, unknown>): PageEvent | OwnMessage {
  return { name, data } as PageEvent | OwnMessage;
}

function textOf(e: HistoryEvent | undefined): unknown {
  return (e?.data as { text?: unknown } | undefined)?.text;
}

test("only events that draw in the log are kept, in order, with their times", () => {
  const h = new SessionHistory();
  h.record(ev("connected", { host: "h", port: 1 }), false, 1000);
  h.record(ev("file_progress", { bytes: 5 }), false, 1001);
  h.record(ev("file_offer", { transfer_id: "x" }), false, 1002);
  h.record(ev("rekey_prompt", {}), false, 1003);
  h.record(ev("message", { text: "hi" }), false, 1004);
  h.record(ev("own_message", { text: "yo", message_id: "m1" }), false, 1005);
  h.record(ev("delivered", { message_id: "m1" }), false, 1006);
  assert.deepEqual(
    h.snapshot().map((e) => [e.name, e.at]),
    [
      ["connected", 1000],
      ["message", 1004],
      ["own_message", 1005],
      ["delivered", 1006],
    ],
  );
  // Every kept name is a real event or the one synthetic entry.
  for (const n of HISTORY_EVENTS) assert.ok(n === "own_message" || (GUI_EVENTS as readonly string[]).includes(n), n);
});

test("disappearing messages and files are never kept; the announcements are", () => {
  const h = new SessionHistory();
  h.record(ev("ephemeral_mode", { mode: "GLOBAL" }), true);
  for (const n of ["message", "own_message", "file_received", "file_complete"]) h.record(ev(n, { text: "secret" }), true);
  h.record(ev("ephemeral_mode", { mode: "OFF" }), true);
  assert.deepEqual(
    h.snapshot().map((e) => e.name),
    ["ephemeral_mode", "ephemeral_mode"],
  );
  assert.equal(JSON.stringify(h.snapshot()).includes("secret"), false);
});

test("bounded by count and by bytes, oldest dropped first; clear() forgets everything", () => {
  const h = new SessionHistory(5, 1 << 20);
  for (let i = 0; i < 12; i++) h.record(ev("message", { text: `m${i}` }), false);
  assert.deepEqual(
    h.snapshot().map(textOf),
    ["m7", "m8", "m9", "m10", "m11"],
  );
  const small = new SessionHistory(1000, 2000);
  for (let i = 0; i < 20; i++) small.record(ev("message", { text: "x".repeat(300) + i }), false);
  assert.ok(JSON.stringify(small.snapshot()).length <= 2000);
  assert.ok(small.size >= 4 && small.size < 20);
  assert.equal(textOf(small.snapshot().at(-1)), "x".repeat(300) + 19);
  small.record(ev("message", { text: "y".repeat(5000) }), false); // larger than the whole budget: not kept
  assert.equal(textOf(small.snapshot().at(-1)), "x".repeat(300) + 19);
  small.clear();
  assert.deepEqual(small.snapshot(), []);
});
