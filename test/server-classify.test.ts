// The relay's frame classification (src/server/classify.ts): what a reference
// client would make of each frame, decided without a full JSON parse.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { classify, pythonIntOf } from "../src/server/classify.js";
import { FrameReader } from "../src/server/frame-reader.js";
import { parseJoin } from "../src/server/pairing.js";
import { wireOf } from "./helpers/wire.js";

describe("classify", () => {
  const kind = (p: Buffer | string): string => {
    const c = classify(wireOf(p));
    return c.kind === "typed" ? `typed:${c.type}` : c.kind;
  };

  test("pyjson frames take the fast path; everything that could fool a Python client is caught", () => {
    assert.equal(kind('{"type": 10, "counter": 1}'), "typed:10");
    assert.equal(kind('{"type": 42}'), "typed:42");
    assert.equal(kind('{"type":42}'), "typed:42");
    assert.equal(kind(' {"type": 42}'), "typed:42");
    assert.equal(kind('{"type": 10, "type": 42}'), "typed:42");
    assert.equal(kind('{"type": 10, "x": "\\"type\\": 1"}'), "typed:10");
    assert.equal(kind('{"type": 10, "t\\u0079pe": 2}'), "typed:2");
    assert.equal(kind('{"type": "44"}'), "typed:44");
    assert.equal(kind('{"type": " +4_4 "}'), "typed:44");
    assert.equal(kind('{"type": true}'), "typed:1");
    assert.equal(kind('{"type": false}'), "typed:0");
    assert.equal(kind('{"type": 43.9}'), "typed:43");
    assert.equal(kind('{"type": -3}'), "typed:-3");
    assert.equal(kind('{"type": 1e1}'), "typed:10");
    assert.equal(kind('{"type": "\u0664\u0662"}'), "malformed"); // Arabic-Indic digits: int() takes them
    assert.equal(kind('{"type": 42, "timestamp": NaN}'), "typed:42"); // fast path: still a control type
    assert.equal(kind('{"type":42, "timestamp": NaN}'), "malformed"); // full parse: JS rejects NaN
    assert.equal(kind('{"type": 10, "counter": 1'), "typed:10"); // invalid JSON, but Python can't parse it either
    assert.equal(kind("{}"), "malformed");
    assert.equal(kind('{"type": null}'), "malformed");
    assert.equal(kind('{"type": [42]}'), "malformed");
    assert.equal(kind('{"type": "abc"}'), "malformed");
    assert.equal(kind("[42]"), "malformed");
    assert.equal(kind("NaN"), "malformed");
    assert.equal(kind("null"), "malformed");
    assert.equal(kind('"x"'), "malformed");
  });

  test("a frame seen as a view into a larger read buffer is classified by its own bytes only", () => {
    // Neighbours holding a backslash, a second "type" key or a different prefix must not matter.
    const frame = wireOf('{"type": 10, "counter": 1}');
    const before = Buffer.from('{"type": 2, "x": "\\"}');
    const after = Buffer.from(', "type": 42, "y": "\\"}');
    const shared = Buffer.concat([before, frame, after]);
    const view = shared.subarray(before.length, before.length + frame.length);
    assert.deepEqual(classify(view), { kind: "typed", type: 10 });
    assert.deepEqual(classify(shared.subarray(before.length, before.length + frame.length - 1)), classify(frame.subarray(0, frame.length - 1)));
  });

  test("binary, non-UTF-8 and non-JSON text are opaque", () => {
    assert.equal(kind(Buffer.from([0, 0, 0, 1, 0x7b, 0x22])), "opaque");
    assert.equal(kind(Buffer.from([0x7b, 0xff])), "opaque"); // "{" + invalid UTF-8
    assert.equal(kind(Buffer.from([0x5b, 0xc3, 0x28])), "opaque");
    assert.equal(kind(""), "opaque");
    assert.equal(kind("   "), "opaque");
    assert.equal(kind("hello"), "opaque");
    assert.equal(kind(Buffer.from("\ufeff{\"type\": 42}")), "opaque"); // BOM: Python rejects it too
  });

  test("classification of a frame reassembled from any two reads", () => {
    const w = wireOf('  {"type": 62, "verified": true}');
    for (let cut = 1; cut < w.length; cut++) {
      const got: Buffer[] = [];
      const reader = new FrameReader(1000, (frame) => (got.push(Buffer.from(frame)), true));
      reader.push(w.subarray(0, cut), false);
      reader.push(w.subarray(cut), false);
      assert.equal(got.length, 1, `cut at ${cut}`);
      assert.deepEqual(classify(got[0]!), { kind: "typed", type: 62 }, `cut at ${cut}`);
    }
  });

  test("pythonIntOf", () => {
    assert.equal(pythonIntOf(7), 7);
    assert.equal(pythonIntOf("1_000"), 1000);
    assert.equal(pythonIntOf("1__0"), null);
    assert.equal(pythonIntOf("_1"), null);
    assert.equal(pythonIntOf(undefined), null);
    assert.equal(pythonIntOf({}), null);
  });

  test("JOIN payloads", () => {
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": "abc-DEF_123"}')), "abc-DEF_123");
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": "ok", "future": 1}')), "ok");
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": ""}')), null);
    assert.equal(parseJoin(Buffer.from('{"type": "70", "room": "ok"}')), null);
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": 5}')), null);
    assert.equal(parseJoin(Buffer.from(`{"type": 70, "room": "${"x".repeat(65)}"}`)), null);
  });
});

