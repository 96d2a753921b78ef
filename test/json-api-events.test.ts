// Unit tests of the JSON API's event table (src/json-api/events.ts): every
// client event is forwarded and documented, and the fields are the contract's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { EVENT_LINES, eventFields, FORWARDED_EVENTS } from "../src/json-api/events.js";
import { EVENT_VIEWS } from "../src/tui/event-views.js";

const DOC = readFileSync(new URL("../../docs/JSON-API.md", import.meta.url), "utf8");

test("every forwarded event is documented in docs/JSON-API.md, and only the JSON API's own events are extra there", () => {
  const section = DOC.split(/^## /m).find((s) => s.startsWith("Events\n"))!;
  const documented = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);
  const own = ["ready", "cmd_ok", "cmd_error", "state", "exit"];
  assert.deepEqual(documented.filter((e) => !own.includes(e)), FORWARDED_EVENTS);
  assert.deepEqual(FORWARDED_EVENTS, Object.keys(EVENT_LINES));
});

test("the JSON API and the terminal cover the same client events (both tables are complete)", () => {
  assert.deepEqual([...FORWARDED_EVENTS].sort(), Object.keys(EVENT_VIEWS).sort());
});

test("key_exchange_complete carries the eight words on one line and as an array", () => {
  const words = ["buffos", "cyans", "anaphora", "porthole", "revisal", "flatways", "wasting", "aulder"];
  const f = eventFields("key_exchange_complete", { fingerprint: "ignored", words, fingerprint_sha256: "ab".repeat(32) });
  assert.deepEqual(f, { fingerprint: words.join(" "), words, fingerprint_sha256: "ab".repeat(32) });
});

test("other events are forwarded as they are", () => {
  const e = { text: "hi\u202e", nickname: null, peer_key_verified: false, counter: 3, message_id: "m3", ephemeral: false };
  assert.deepEqual(eventFields("message", e), e);
  assert.deepEqual(eventFields("waiting_for_peer", {}), {});
});
