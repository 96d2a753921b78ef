// The relay's zero-copy frame reader (src/server/frame-reader.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FrameTooLargeError } from "../src/protocol/frame.js";
import { FrameReader, POOLED_FRAME_MIN } from "../src/server/frame-reader.js";
import { wireOf } from "./helpers/wire.js";

describe("FrameReader", () => {
  /**
   * A reader fed the way the relay feeds it: each chunk is copied into one
   * scratch buffer that is overwritten after every push (the shared read
   * buffer), unless `stable`. Frames are kept with keep(), as forwarding does.
   */
  const collect = (max: number, stable = false) => {
    const frames: Buffer[] = [];
    const pooled: Buffer[] = [];
    const reader: FrameReader = new FrameReader(max, (frame) => {
      frames.push(reader.keep(frame));
      if (reader.keptPool !== null) pooled.push(reader.keptPool);
      return true;
    });
    const scratch = Buffer.alloc(64 * 1024);
    const feed = (part: Buffer): void => {
      if (stable) return reader.push(Buffer.from(part), true);
      for (let off = 0; off < part.length; off += scratch.length) {
        const n = part.copy(scratch, 0, off);
        reader.push(scratch.subarray(0, n), false);
        scratch.fill(0xee); // the next read overwrites it
      }
    };
    return { frames, pooled, reader, feed };
  };

  test("every split of a stream yields the same frames, as their original wire bytes", () => {
    const payloads = [Buffer.from("a"), Buffer.alloc(0), Buffer.from('{"type": 10}'), Buffer.alloc(300, 7)];
    const stream = Buffer.concat(payloads.map(wireOf));
    for (const stable of [false, true]) {
      for (let cut1 = 0; cut1 <= stream.length; cut1 += 3) {
        for (const cut2 of [cut1, Math.min(stream.length, cut1 + 1), Math.min(stream.length, cut1 + 150)]) {
          const { frames, reader, feed } = collect(1000, stable);
          for (const part of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
            if (part.length > 0) feed(part);
          }
          assert.equal(frames.length, payloads.length, `cuts ${cut1}/${cut2}`);
          frames.forEach((w, i) => assert.deepEqual(w, wireOf(payloads[i]!)));
          assert.equal(reader.pending, false);
        }
      }
    }
  });

  test("byte-by-byte feeding, pending flag, and the size limit checked before allocating", () => {
    const { frames, reader, feed } = collect(16);
    const w = wireOf("0123456789abcdef");
    for (let i = 0; i < w.length; i++) {
      feed(w.subarray(i, i + 1));
      assert.equal(reader.pending, i < w.length - 1);
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], w);
    assert.equal(reader.completed, 1);
    assert.throws(() => feed(wireOf("0123456789abcdefg")), FrameTooLargeError);
    const { reader: r2 } = collect(16);
    r2.push(Buffer.from([0xff, 0xff]), false);
    assert.throws(() => r2.push(Buffer.from([0xff, 0xff]), false), FrameTooLargeError);
  });

  test("a large frame is read straight into its own pooled buffer once its length is known", () => {
    const { frames, pooled, reader, feed } = collect(4 << 20);
    const payload = Buffer.alloc(POOLED_FRAME_MIN * 3 + 5);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
    const w = Buffer.concat([wireOf(payload), wireOf("next")]);
    const shared = Buffer.alloc(1000);
    feed(w.subarray(0, 1000)); // prefix and the first bytes arrive in a shared-buffer read
    let off = 1000;
    for (let step = 1; off < w.length; step = step * 3 + 1) {
      const target = reader.readTarget(shared);
      if (target === shared) {
        feed(w.subarray(off)); // the frame is complete: the rest goes through the shared buffer
        break;
      }
      assert.ok(target.length <= wireOf(payload).length - off, "a direct read never goes past the frame");
      const n = w.copy(target, 0, off, off + Math.min(step, target.length));
      reader.fill(n);
      off += n;
    }
    assert.equal(frames.length, 2);
    assert.ok(frames[0]!.equals(wireOf(payload)));
    assert.deepEqual(frames[1], wireOf("next"));
    assert.equal(pooled.length, 1, "the large frame came from the pool and was handed on");
    assert.equal(reader.pending, false);
  });

  test("a handler returning false stops the rest of the chunk", () => {
    let n = 0;
    const reader = new FrameReader(100, () => ++n < 2);
    reader.push(Buffer.concat([wireOf("a"), wireOf("b"), wireOf("c")]), true);
    assert.equal(n, 2);
  });

  test("a large frame handed off at its start is skipped; the frames around it are delivered", () => {
    const small1 = Buffer.from('{"type": 10, "n": 1}');
    const big = Buffer.alloc(3 * POOLED_FRAME_MIN, 9);
    const small2 = Buffer.from('{"type": 10, "n": 2}');
    const stream = Buffer.concat([wireOf(small1), wireOf(big), wireOf(small2)]);
    const bigTotal = 4 + big.length;
    for (const headLen of [5, 100, 60_000]) {
      const frames: Buffer[] = [];
      const offers: [number, number][] = [];
      const reader: FrameReader = new FrameReader(
        1 << 20,
        (frame) => (frames.push(Buffer.from(frame)), true),
        (head, total) => {
          offers.push([head.length, total]);
          return true;
        },
      );
      const cut = 4 + small1.length + headLen;
      reader.push(stream.subarray(0, cut), false);
      assert.deepEqual(offers, [[headLen, bigTotal]]);
      assert.equal(reader.pending, false, "the handed-off frame is no longer the reader's");
      // What the taker did not read itself comes back to the reader: it must be skipped.
      const taken = 1000;
      reader.skip(bigTotal - headLen - taken);
      assert.equal(reader.pending, true);
      reader.push(stream.subarray(cut + taken), false);
      assert.deepEqual(frames.map((f) => f.subarray(4).toString()), [small1.toString(), small2.toString()]);
      assert.equal(reader.completed, 3);
      assert.equal(reader.pending, false);
    }
  });

  test("a handoff that declines leaves the frame to the reader; no offer without a payload byte or below the pooled size", () => {
    const big = Buffer.alloc(2 * POOLED_FRAME_MIN, 3);
    const mid = Buffer.alloc(1000, 4);
    const offers: number[] = [];
    const frames: Buffer[] = [];
    const reader: FrameReader = new FrameReader(
      1 << 20,
      (frame) => (frames.push(Buffer.from(frame)), true),
      (_head, total) => (offers.push(total), false),
    );
    const stream = Buffer.concat([wireOf(mid), wireOf(big)]);
    reader.push(stream.subarray(0, 500), false); // mid-sized frame: never offered
    reader.push(stream.subarray(500, 4 + mid.length + 4), false); // big frame's prefix only: no payload byte yet
    assert.deepEqual(offers, []);
    reader.push(stream.subarray(4 + mid.length + 4), false);
    assert.deepEqual(offers, [], "a frame whose prefix came alone is assembled, not offered");
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[1]!.subarray(4), big);
    reader.push(wireOf(big).subarray(0, 10), false);
    assert.deepEqual(offers, [4 + big.length]);
  });
});
