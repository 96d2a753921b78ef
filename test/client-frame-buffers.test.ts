// Reused buffers for big received frames (src/client/frame-buffers.ts): a
// buffer given back is handed out again for a frame of its exact size; small
// frames, views of shared or detached memory and other sizes are not kept;
// at most MAX_KEPT are, and none after a while without frames. (That a real
// receiver reads its chunk frames into reused buffers is checked end to end in
// test/client-pipeline.test.ts; that nothing reads a chunk once handed back,
// in test/client-transfers.test.ts.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { MessageChannel } from "node:worker_threads";
import { FrameBuffers, MAX_KEPT, MIN_KEPT_BYTES } from "../src/client/frame-buffers.js";

const BIG = 1024 * 1024 + 240;

test("a buffer given back is handed out again for a frame of the same size, whatever view of it came back", () => {
  const fb = new FrameBuffers();
  const a = fb.take(BIG);
  assert.equal(a.byteLength, BIG);
  assert.equal(a.buffer.byteLength, BIG, "a buffer of its own");
  fb.give(a.subarray(48, 1000)); // the chunk's data is a view inside the frame
  const b = fb.take(BIG);
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.byteOffset, 0);
  assert.equal(b.byteLength, BIG);
  assert.equal(fb.reused, 1);
  assert.notEqual(fb.take(BIG).buffer, a.buffer, "handed out once only");
});

test("other sizes, small frames, shared and detached memory are not kept; at most MAX_KEPT are", () => {
  const fb = new FrameBuffers();
  fb.give(fb.take(MIN_KEPT_BYTES - 1));
  assert.equal(fb.take(MIN_KEPT_BYTES - 1).byteLength, MIN_KEPT_BYTES - 1);
  assert.equal(fb.reused, 0, "small frames are cheap: not kept");
  fb.give(new Uint8Array(new SharedArrayBuffer(BIG)));
  assert.equal(fb.take(BIG).buffer instanceof SharedArrayBuffer, false);
  const moved = fb.take(BIG);
  const ch = new MessageChannel();
  ch.port1.postMessage(null, [moved.buffer as ArrayBuffer]); // transferred: detached here
  ch.port1.close();
  fb.give(moved);
  fb.take(BIG);
  assert.equal(fb.reused, 0, "neither shared nor detached memory was kept");
  const many = Array.from({ length: MAX_KEPT + 3 }, () => fb.take(BIG));
  for (const m of many) fb.give(m);
  fb.give(many[0]!); // twice: still once in the list
  const back = Array.from({ length: MAX_KEPT + 1 }, () => fb.take(BIG));
  assert.equal(fb.reused, MAX_KEPT);
  assert.equal(new Set(back.slice(0, MAX_KEPT).map((b) => b.buffer)).size, MAX_KEPT);
  fb.give(fb.take(BIG + 64));
  assert.equal(fb.take(BIG).buffer.byteLength, BIG);
  assert.equal(fb.reused, MAX_KEPT, "a new size replaced the old one's list");
});

test("kept buffers are let go once no frame took one for a while", async () => {
  const fb = new FrameBuffers(30);
  fb.give(fb.take(BIG));
  fb.give(fb.take(BIG));
  assert.equal(fb.kept, 1);
  // A wait for the idle timer (never earlier than 30 ms), not an assertion on time.
  for (let i = 0; i < 500 && fb.kept > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(fb.kept, 0);
  fb.take(BIG);
  assert.equal(fb.reused, 1, "nothing left to reuse");
});
