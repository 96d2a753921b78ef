// Frame codec and pyjson: unit and property tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, FrameDecoder, FrameTooLargeError } from "../src/protocol/frame.js";
import { messageTypeOf, parseJsonObject, pyFloat, pyjson, type JsonValue } from "../src/protocol/pyjson.js";
import { compareVersions } from "../src/protocol/constants.js";
import { b64decodeStrict, concatBytes, toBytes } from "../src/protocol/bytes.js";

test("property: the frame decoder yields the same frames under any split of the stream", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
      (payloads, cuts) => {
        const stream = concatBytes(...payloads.map(encodeFrame));
        const dec = new FrameDecoder({ maxFrame: 1000 });
        const got: Uint8Array[] = [];
        let off = 0;
        let k = 0;
        while (off < stream.length) {
          const n = cuts[k++ % cuts.length]!;
          // Copy: the decoder may return views into the chunk it was given.
          for (const f of dec.push(stream.slice(off, off + n))) got.push(Uint8Array.from(f));
          off += n;
        }
        assert.deepEqual(got, payloads.map((p) => Uint8Array.from(p)));
        assert.equal(dec.pending, false);
      },
    ),
  );
});

test("property: with copy, payloads survive the reuse of one read buffer and own their memory", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
      fc.integer({ min: 1, max: 700 }),
      (payloads, cut) => {
        const stream = concatBytes(...payloads.map(encodeFrame));
        const dec = new FrameDecoder({ maxFrame: 1000, copy: true });
        const reused = new Uint8Array(cut);
        const got: Uint8Array[] = [];
        for (let off = 0; off < stream.length; off += cut) {
          const part = stream.subarray(off, off + cut);
          reused.set(part);
          got.push(...dec.push(reused.subarray(0, part.length)));
          reused.fill(0xee); // the next read overwrites the buffer
        }
        assert.deepEqual(got, payloads.map((p) => Uint8Array.from(p)));
        for (const f of got) assert.equal(f.buffer.byteLength, f.byteLength, "a payload shares its ArrayBuffer");
      },
    ),
  );
});

test("frame decoder: many frames in one chunk, byte by byte, empty frames", () => {
  const frames = [toBytes("a"), new Uint8Array(0), toBytes("hello"), new Uint8Array(0)];
  const stream = concatBytes(...frames.map(encodeFrame));
  assert.deepEqual(new FrameDecoder().push(stream).map((f) => Uint8Array.from(f)), frames);
  const dec = new FrameDecoder();
  const got: Uint8Array[] = [];
  for (const byte of stream) got.push(...dec.push(Uint8Array.of(byte)).map((f) => Uint8Array.from(f)));
  assert.deepEqual(got, frames);
});

test("frame decoder: an oversized prefix is a typed error before any allocation", () => {
  const dec = new FrameDecoder({ maxFrame: 1024 });
  const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => dec.push(huge), (e: unknown) => e instanceof FrameTooLargeError && e.length === 0xffffffff && e.max === 1024);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  // Also when the prefix arrives split.
  const dec2 = new FrameDecoder({ maxFrame: 1024 });
  dec2.push(Uint8Array.of(0x00, 0x00));
  assert.throws(() => dec2.push(Uint8Array.of(0x04, 0x01)), FrameTooLargeError);
});

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

test("version comparison per SPEC §4.2.1", () => {
  assert.equal(compareVersions("6.0.1", "6.0.1"), "same");
  assert.equal(compareVersions("6.0.1", "6.0.2"), "patch");
  assert.equal(compareVersions("6.0.1", "6.1.0"), "minor");
  assert.equal(compareVersions("6.0.1", "7.0.0"), "breaking");
});

test("strict base64 rejects what the lenient decoder would skip", () => {
  assert.deepEqual(b64decodeStrict("AAEC"), Uint8Array.of(0, 1, 2));
  assert.deepEqual(b64decodeStrict(""), new Uint8Array(0));
  for (const bad of ["AAE", "AA=C", "AA EC", "AAEC\n", "AA-_", "AAF=", "A===", "AAEC=", "%%%%"]) {
    assert.throws(() => b64decodeStrict(bad), TypeError, bad);
  }
});
