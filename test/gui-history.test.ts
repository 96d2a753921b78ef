// The GUI's session history (src/gui/history.ts): what a reloaded page is
// given back, and what it never is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HISTORY_EVENTS, SessionHistory } from "../src/gui/history.js";
import { GUI_EVENTS } from "../src/gui/bridge.js";

test("only events that draw in the log are kept, in order, with their times", () => {
  const h = new SessionHistory();
  h.record("connected", { host: "h", port: 1 }, false, 1000);
  h.record("file_progress", { bytes: 5 }, false, 1001);
  h.record("file_offer", { transfer_id: "x" }, false, 1002);
  h.record("rekey_prompt", {}, false, 1003);
  h.record("message", { text: "hi" }, false, 1004);
  h.record("own_message", { text: "yo", message_id: "m1" }, false, 1005);
  h.record("delivered", { message_id: "m1" }, false, 1006);
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
  h.record("ephemeral_mode", { mode: "GLOBAL" }, true);
  for (const n of ["message", "own_message", "file_received", "file_complete"]) h.record(n, { text: "secret" }, true);
  h.record("ephemeral_mode", { mode: "OFF" }, true);
  assert.deepEqual(
    h.snapshot().map((e) => e.name),
    ["ephemeral_mode", "ephemeral_mode"],
  );
  assert.equal(JSON.stringify(h.snapshot()).includes("secret"), false);
});

test("bounded by count and by bytes, oldest dropped first; clear() forgets everything", () => {
  const h = new SessionHistory(5, 1 << 20);
  for (let i = 0; i < 12; i++) h.record("message", { text: `m${i}` }, false);
  assert.deepEqual(
    h.snapshot().map((e) => e.data["text"]),
    ["m7", "m8", "m9", "m10", "m11"],
  );
  const small = new SessionHistory(1000, 2000);
  for (let i = 0; i < 20; i++) small.record("message", { text: "x".repeat(300) + i }, false);
  assert.ok(JSON.stringify(small.snapshot()).length <= 2000);
  assert.ok(small.size >= 4 && small.size < 20);
  assert.equal(small.snapshot().at(-1)!.data["text"], "x".repeat(300) + 19);
  small.record("message", { text: "y".repeat(5000) }, false); // larger than the whole budget: not kept
  assert.equal(small.snapshot().at(-1)!.data["text"], "x".repeat(300) + 19);
  small.clear();
  assert.deepEqual(small.snapshot(), []);
});
