// The shared view limits (src/present/limits.ts) are what the views use: the
// JSON API's back-pressure marks are these very values.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as limits from "../src/present/limits.js";
import { OUTPUT_HIGH_WATER as JSON_HIGH, OUTPUT_LOW_WATER as JSON_LOW } from "../src/json-api/line-writer.js";

test("back-pressure marks: resume well below the mark that pauses", () => {
  assert.ok(limits.OUTPUT_LOW_WATER > 0 && limits.OUTPUT_LOW_WATER < limits.OUTPUT_HIGH_WATER);
  assert.equal(JSON_HIGH, limits.OUTPUT_HIGH_WATER);
  assert.equal(JSON_LOW, limits.OUTPUT_LOW_WATER);
});

test("defaults and limits are plain numbers and strings (the page loads this module as it is)", () => {
  for (const [name, v] of Object.entries(limits)) assert.ok(typeof v === "number" || typeof v === "string", name);
  assert.equal(limits.DEFAULT_PORT, 16384);
  assert.ok(limits.AUDIO_BACKLOG >= 4410 * 2, "at least one microphone message fits");
  assert.ok(limits.DISCONNECT_TIMEOUT_MS > 0);
});
