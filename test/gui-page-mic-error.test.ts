// The microphone's failures (src/gui/page/mic-error.mts) without a browser:
// each getUserMedia failure name maps to a stable kind and a plain sentence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MicError, micError, micErrorKind, type MicErrorKind } from "../src/gui/page/mic-error.mjs";

/** What a browser throws: an exception carrying the name getUserMedia gave it. */
function thrown(name: string): Error {
  return Object.assign(new Error("from the browser"), { name });
}

test("each getUserMedia failure has its kind", () => {
  const cases: [string, MicErrorKind][] = [
    ["NotAllowedError", "denied"],
    ["SecurityError", "denied"],
    ["NotFoundError", "not_found"],
    ["OverconstrainedError", "not_found"],
    ["NotReadableError", "busy"],
    ["AbortError", "busy"],
    ["TypeError", "unsupported"],
    ["SomethingNew", "unknown"],
  ];
  for (const [name, kind] of cases) assert.equal(micErrorKind(thrown(name)), kind, name);
  assert.equal(micErrorKind("a string"), "unknown");
});

test("the error carries the kind and a sentence for the user", () => {
  const denied = micError("denied");
  assert.ok(denied instanceof MicError);
  assert.equal(denied.kind, "denied");
  assert.match(denied.message, /^Microphone access was refused\. Allow the microphone/);
  assert.equal(micError("engine").message, "The audio engine of this page could not start.");
  const unknown = micError("unknown", thrown("SomethingNew"));
  assert.equal(unknown.message, "The microphone could not be used (SomethingNew).");
  assert.equal(micError("unknown").message, "The microphone could not be used (unknown error).");
});
