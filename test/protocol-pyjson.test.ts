// pyjson (src/protocol/pyjson.ts, WIRE-NOTES §3): Python's json.dumps layout,
// and parseJsonObject, which never throws (WIRE-NOTES §15.3).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { messageTypeOf, parseJsonObject, pyFloat, pyjson, type JsonValue } from "../src/protocol/pyjson.js";
import { toBytes } from "../src/protocol/bytes.js";

test("pyjson: Python json.dumps layout, escapes and key order", () => {
  assert.equal(pyjson({ b: 1, a: [true, false, null], c: "x/y" }), '{"b": 1, "a": [true, false, null], "c": "x/y"}');
  assert.equal(pyjson({}), "{}");
  assert.equal(pyjson("\u0000\u001f\u007f\u2028é🎉\"\\\b\f\n\r\t"), '"\\u0000\\u001f\\u007f\\u2028\\u00e9\\ud83c\\udf89\\"\\\\\\b\\f\\n\\r\\t"');
  assert.equal(pyFloat(1764100000.1234567), "1764100000.1234567");
  assert.equal(pyFloat(5), "5.0");
});

test("property: pyjson output parses back to the same value and is pure ASCII", () => {
  const json: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string({ unit: "binary" }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: "binary" }), tie("value"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).value as fc.Arbitrary<JsonValue>;
  fc.assert(
    fc.property(json, (v) => {
      const s = pyjson(v);
      assert.match(s, /^[\x20-\x7e]*$/);
      assert.deepEqual(JSON.parse(s), v);
    }),
  );
});

test("parseJsonObject: only JSON objects, never throws", () => {
  assert.equal(parseJsonObject(toBytes("[1,2]")), null);
  assert.equal(parseJsonObject(toBytes("42")), null);
  assert.equal(parseJsonObject(Uint8Array.of(0x7b, 0xff, 0xfe)), null);
  assert.equal(parseJsonObject(toBytes("{not json")), null);
  assert.equal(parseJsonObject(new Uint8Array(0)), null);
  assert.deepEqual(parseJsonObject(toBytes('{"type": 41}')), { type: 41 });
  assert.equal(messageTypeOf({ type: "41" }), null);
  assert.equal(messageTypeOf({ type: "41" }, true), 41);
  assert.equal(messageTypeOf({ type: 1.5 }), null);
  fc.assert(fc.property(fc.uint8Array(), (b) => void parseJsonObject(b)));
});
