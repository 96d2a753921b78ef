// The frame codec (src/protocol/frame.ts, WIRE-NOTES §2): unit and property tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, FrameDecoder, FrameTooLargeError } from "../src/protocol/frame.js";
import { concatBytes, toBytes } from "../src/protocol/bytes.js";

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

test("property: with alloc, every payload is filled into the buffer alloc gave for its exact length, whole or in pieces", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 12 }),
      fc.integer({ min: 1, max: 700 }),
      (payloads, cut) => {
        const stream = concatBytes(...payloads.map(encodeFrame));
        const given: Uint8Array[] = [];
        const dec = new FrameDecoder({
          maxFrame: 1000,
          copy: true,
          alloc: (n) => {
            const b = new Uint8Array(n).fill(0x5a);
            given.push(b);
            return b;
          },
        });
        const got: Uint8Array[] = [];
        for (let off = 0; off < stream.length; off += cut) got.push(...dec.push(stream.slice(off, off + cut)));
        assert.deepEqual(got, payloads.map((p) => Uint8Array.from(p)));
        assert.equal(given.length, payloads.length);
        for (const [i, f] of got.entries()) assert.equal(f, given[i], "the payload is the allocated buffer itself");
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
