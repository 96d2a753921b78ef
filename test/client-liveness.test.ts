// The silence rule (src/client/liveness.ts) on explicit times: when a relay
// that stopped sending counts as gone, that our own read pauses do not count,
// the default derived from SPEC §10's 60 s KEEP_ALIVE interval, and the
// reason shown to the user.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_SERVER_SILENCE_MS,
  SERVER_KEEPALIVE_MS,
  SilenceClock,
  SilenceWatch,
  resolveSilenceLimit,
  silenceLimitFor,
  silenceReason,
} from "../src/client/liveness.js";

test("the default limit is 3.5 keepalive intervals of 60 s: 210 s", () => {
  assert.equal(SERVER_KEEPALIVE_MS, 60_000);
  assert.equal(DEFAULT_SERVER_SILENCE_MS, 210_000);
  assert.equal(silenceLimitFor(SERVER_KEEPALIVE_MS), DEFAULT_SERVER_SILENCE_MS);
  assert.equal(silenceLimitFor(500), 1750);
  // Longer than the three probes at 60, 120 and 180 s the relay sends in any case (WIRE-NOTES §11).
  assert.ok(DEFAULT_SERVER_SILENCE_MS > 3 * SERVER_KEEPALIVE_MS);
});

test("ClientOptions.serverSilenceMs: absent gives the default, 0 turns it off, nonsense is refused", () => {
  assert.equal(resolveSilenceLimit(undefined), 210_000);
  assert.equal(resolveSilenceLimit(0), 0);
  assert.equal(resolveSilenceLimit(1234), 1234);
  assert.throws(() => resolveSilenceLimit(-1), RangeError);
  assert.throws(() => resolveSilenceLimit(Number.NaN), RangeError);
  assert.throws(() => resolveSilenceLimit(Number.POSITIVE_INFINITY), RangeError);
});

test("silent once the limit passed without hearing anything", () => {
  const c = new SilenceClock(1000, 5000);
  assert.equal(c.remaining(5000), 1000);
  assert.equal(c.silent(5999), false);
  assert.equal(c.silent(6000), true);
});

test("anything heard restarts the clock; an older time never moves it back", () => {
  const c = new SilenceClock(1000, 0);
  c.heard(900);
  assert.equal(c.silent(1500), false);
  assert.equal(c.remaining(1500), 400);
  c.heard(100);
  assert.equal(c.remaining(1500), 400);
  assert.equal(c.silent(1900), true);
});

test("a pause of our own stops the clock; the resume starts it afresh", () => {
  const c = new SilenceClock(1000, 0);
  c.pause();
  assert.equal(c.isPaused, true);
  assert.equal(c.remaining(50_000), null);
  assert.equal(c.silent(50_000), false);
  c.resume(50_000);
  assert.equal(c.isPaused, false);
  assert.equal(c.remaining(50_000), 1000);
  assert.equal(c.silent(50_999), false);
  assert.equal(c.silent(51_000), true);
  // A second resume without a pause changes nothing.
  c.resume(60_000);
  assert.equal(c.silent(51_000), true);
});

test("the reason says in plain words that the server went silent, and for how long", () => {
  assert.equal(silenceReason(210_000), "The server stopped responding (nothing received for 210 s).");
  assert.equal(silenceReason(1750), "The server stopped responding (nothing received for 1.8 s).");
  assert.equal(silenceReason(200), "The server stopped responding (nothing received for 0.2 s).");
});

test("SilenceWatch calls back once, with the reason, when the limit passes", async () => {
  let calls = 0;
  // The watch's timer is unref'd (it never keeps a process alive): hold the event loop open meanwhile.
  const hold = setInterval(() => undefined, 1000);
  const reason = await new Promise<string>((resolve) => {
    new SilenceWatch(30, (r) => {
      calls++;
      resolve(r);
    });
  }).finally(() => clearInterval(hold));
  assert.equal(reason, silenceReason(30));
  assert.equal(calls, 1);
});

test("SilenceWatch on a clock that keeps hearing is armed again instead of firing", async () => {
  // The injected clock says one limit passed at every look, but every look also hears something.
  let t = 0;
  let fired = false;
  const w = new SilenceWatch(20, () => (fired = true), () => t);
  for (let i = 0; i < 5; i++) {
    t += 15;
    w.heard();
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(fired, false);
  w.stop();
});
