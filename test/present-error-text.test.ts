// Unit tests of the error texts every view shows (src/present/error-text.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ErrorKind } from "../src/client/events.js";
import { ERROR_KIND_WORDS, errorKindOf, errorKindWords, errorText } from "../src/present/error-text.js";

test("errorText: an Error's message, its name when the message is empty, anything else as a string", () => {
  assert.equal(errorText(new Error("disk full")), "disk full");
  assert.equal(errorText(new TypeError("")), "TypeError");
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(42), "42");
});

test("errorText: a fallback replaces a non-Error, never an Error's message", () => {
  assert.equal(errorText({ secret: 1 }, "Unknown error."), "Unknown error.");
  assert.equal(errorText(new Error("real"), "Unknown error."), "real");
});

test("errorKindOf: only a string kind on an Error counts", () => {
  assert.equal(errorKindOf(Object.assign(new Error("x"), { kind: "text_too_long" })), "text_too_long");
  assert.equal(errorKindOf(Object.assign(new Error("x"), { kind: 3 })), undefined);
  assert.equal(errorKindOf(new Error("x")), undefined);
  assert.equal(errorKindOf({ kind: "replay" }), undefined);
});

test("error kinds in plain words; a kind without words is shown as itself", () => {
  assert.equal(errorKindWords("hmac_failed"), "integrity check (HMAC) failed");
  assert.equal(errorKindWords("rate_limited"), "rate limited");
  assert.equal(errorKindWords("connection_error" satisfies ErrorKind), "connection_error");
  assert.equal(errorKindWords("something_new"), "something_new");
  for (const [kind, words] of Object.entries(ERROR_KIND_WORDS)) {
    assert.ok(words.length > 0, kind);
    assert.doesNotMatch(words, /_/, "plain words, not an identifier");
  }
});
