// Unit tests of the JSON API's back-pressured stdout (src/json-api/line-writer.ts)
// over a real Writable stream whose reader we pace by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Writable } from "node:stream";
import { LineWriter, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER } from "../src/json-api/line-writer.js";

/** A stream that accepts a write only when the test releases it (a reader that is not reading). */
function pacedStream(): { stream: Writable; written: string[]; release(n?: number): void; held(): number } {
  const written: string[] = [];
  const waiting: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString());
      waiting.push(cb);
    },
  });
  return {
    stream,
    written,
    release(n = Infinity) {
      while (n-- > 0 && waiting.length > 0) waiting.shift()!();
    },
    held: () => waiting.length,
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), what);
}

test("lines keep their order; past the high-water mark the reader is paused, below the low one resumed", async () => {
  const s = pacedStream();
  const pressure: boolean[] = [];
  const w = new LineWriter(s.stream, () => assert.fail("not broken"));
  w.onPressure = (on) => pressure.push(on);
  const line = "x".repeat(64 * 1024);
  const total = Math.ceil(OUTPUT_HIGH_WATER / line.length) + 4;
  for (let i = 0; i < total; i++) w.write(`${i} ${line}`);
  assert.deepEqual(pressure, [true], "paused once, while the backlog is over the mark");
  // The reader catches up: everything arrives, in order, and reading resumes once.
  while (s.written.length < total || s.held() > 0) {
    s.release();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(pressure, [true, false]);
  assert.deepEqual(s.written.map((l) => Number(l.split(" ")[0])), [...Array(total).keys()]);
  assert.ok(s.written.every((l) => l.endsWith("\n")));
  assert.ok(OUTPUT_LOW_WATER < OUTPUT_HIGH_WATER);
});

test("a small backlog never pauses the reader, and flush waits until everything was handed over", async () => {
  const s = pacedStream();
  const pressure: boolean[] = [];
  const w = new LineWriter(s.stream, () => assert.fail("not broken"));
  w.onPressure = (on) => pressure.push(on);
  for (let i = 0; i < 50; i++) w.write(`{"n":${i}}`);
  let flushed = false;
  const f = w.flush().then(() => (flushed = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(flushed, false, "lines still held by the stream");
  while (!flushed) {
    s.release();
    await new Promise((r) => setImmediate(r));
  }
  await f;
  assert.equal(s.written.length, 50);
  assert.deepEqual(pressure, []);
});

test("a broken stream (EPIPE) is reported once; later lines are dropped and flush resolves", async () => {
  const s = pacedStream();
  const broken: string[] = [];
  const w = new LineWriter(s.stream, (err) => broken.push(err.message));
  w.write("one");
  s.stream.emit("error", new Error("EPIPE"));
  s.stream.emit("error", new Error("again"));
  w.write("two");
  await w.flush();
  await until(() => broken.length === 1, "reported");
  assert.deepEqual(broken, ["EPIPE"]);
  assert.deepEqual(s.written, ["one\n"]);
});
