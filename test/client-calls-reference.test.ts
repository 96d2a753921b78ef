// A pqchat client against what the reference GUI's calls do, through a real
// `pqchat server`. Phantom calls: a raw peer (test/helpers/hostile-peer.ts) plays what the reference GUI does
// after we cancel a ringing call (WIRE-NOTES §4.6, §15 item 24): its dialog
// keeps ringing, its user presses Accept later, and it streams audio — its
// first packets even before its ACCEPT — at 100 packets per second. pqchat must
// answer END (not once per packet), raise no error per packet, let the peer's
// texts through, and take a normal call afterwards. Settings: every boundary
// of what a reference user can configure (rate, send frequency, format) works
// in a real session; settings beyond what a frame carries are declined.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MAX_PACKET_BYTES, MAX_PEER_RATE, MIN_PEER_RATE, OUR_FORMAT, encodePcm, negotiateFormat } from "../src/client/call-wire-format.js";
import { CALL_GRACE_MS } from "../src/client/calls.js";
import { b64encode } from "../src/protocol/index.js";
import { CallRecorder, Tone, pace } from "./helpers/call-harness.js";
import { TestClient, startServer, type ServerHandle } from "./helpers/client-harness.js";
import { hostilePair, type HostilePair } from "./helpers/hostile-pair.js";
import type { HostilePeer } from "./helpers/hostile-peer.js";

let server: ServerHandle;
let pair: HostilePair;
let c: TestClient;
let rc: CallRecorder;
let h: HostilePeer;

before(async () => {
  server = await startServer();
  pair = await hostilePair(server, { voiceCalls: true });
  ({ c, h } = pair);
  rc = new CallRecorder("C", c.core);
  c.core.verify(true);
  await c.next("verified");
});

after(async () => {
  await pair.close();
  await server.stop();
});

const isType = (t: number) => (m: Record<string, unknown>) => m["type"] === t;
const ACCEPT = { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 };
const tone = new Tone(440);
const dataFrame = (): Uint8Array => {
  const p = tone.packet();
  return h.encrypt({ type: 33, audio_data: b64encode(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)) });
};

/** Everything the client queued before now has been sent once the peer sees this text (one ordered queue). */
async function flushClientQueue(tag: string): Promise<void> {
  c.core.sendText(`flush ${tag}`);
  await h.nextInner((m) => m["type"] === 13 && m["text"] === `flush ${tag}`);
}

const CALL_NOISE = new Set(["rate_limited", "oversize", "not_allowed", "protocol_violation", "malformed"]);

test("a late ACCEPT after we cancelled, then 200 audio frames: END, no per-frame errors, texts get through, a later call works", async () => {
  // We call, and cancel while it rings.
  c.core.call();
  await h.nextInner(isType(30));
  c.core.hangUp();
  await h.nextInner(isType(34));
  assert.equal((await rc.next("call_ended")).reason, "hung_up");
  // The reference user presses Accept on the dialog that kept ringing, after our grace is over.
  await new Promise((r) => setTimeout(r, CALL_GRACE_MS + 500));
  await flushClientQueue("before");
  const errorsBefore = c.errors().length;
  h.inner.splice(0); // from here on, only what the client sends in answer to the stream

  // Like the reference callee: ~20 packets before its queued ACCEPT, then the rest, 100 per second; texts in between.
  const texts = ["during the stream 1", "during the stream 2", "during the stream 3"];
  const t0 = performance.now();
  const frames = await pace(10, 2000, (k) => {
    if (k === 20) h.writeNow(h.encrypt(ACCEPT));
    h.writeNow(dataFrame());
    if (k % 60 === 30) h.writeNow(h.encrypt({ type: 13, text: texts[(k - 30) / 60]! }));
  });
  const streamMs = performance.now() - t0;
  assert.equal(frames, 200);

  // pqchat told the peer the call is over.
  await h.nextInner(isType(34));
  // The texts sent during the stream all arrived.
  for (const t of texts) assert.equal((await c.next("message", (m) => m.text === t)).text, t);
  await flushClientQueue("after");

  // END was answered per interval, not per frame.
  const ends = h.inner.filter((m) => m["type"] === 34).length;
  assert.ok(ends <= Math.ceil(streamMs / 2000) + 1, `${ends} END replies to a ${Math.round(streamMs)} ms stream`);
  // No error event per stray frame (none at all: it is the echo of our own call).
  const noise = c.errors().slice(errorsBefore).filter((e) => CALL_NOISE.has(e.kind));
  assert.deepEqual(noise, [], `no per-frame errors (${noise.length})`);
  assert.equal(rc.audioPackets, 0, "stray audio is never played");
  assert.equal(c.core.state().call?.phase, "idle");

  // A later normal call works.
  c.core.call();
  await h.nextInner(isType(30));
  h.writeNow(h.encrypt(ACCEPT));
  const started = await rc.next("call_started");
  assert.equal(started.peer_rate, 44100);
  await pace(10, 300, () => h.writeNow(dataFrame()));
  assert.equal(await rc.audioCount(30, 10_000), 30);
  c.core.hangUp();
  await h.nextInner(isType(34));
  assert.equal((await rc.next("call_ended")).reason, "hung_up");
});

test("the reference's boundary settings work in a real session; settings out of range are declined with a reason", async () => {
  const configs = [
    { rate: MIN_PEER_RATE, chunk_size: 1, audio_format: 32 }, // 1 kHz, 1,000 packets/s, 8-bit unsigned
    { rate: 22050, chunk_size: 220, audio_format: 16 }, // 22.05 kHz, 100 packets/s, 8-bit signed
    { rate: 44100, chunk_size: 44100, audio_format: 1 }, // 1 packet/s, float32 (counts as 16-bit)
    { rate: MAX_PEER_RATE, chunk_size: 384, audio_format: 2 }, // 384 kHz, 1,000 packets/s, 32-bit (we negotiate 16-bit)
    { rate: MAX_PEER_RATE, chunk_size: MAX_PACKET_BYTES / 2, audio_format: 8 }, // the largest packet a frame carries
  ];
  for (const cfg of configs) {
    await h.sendInner({ type: 30, ...cfg });
    const inc = await rc.next("call_incoming");
    assert.deepEqual(inc, cfg);
    c.core.answerCall(true);
    const acc = await h.nextInner(isType(31));
    assert.deepEqual(acc, ACCEPT);
    const started = await rc.next("call_started");
    assert.equal(started.peer_rate, cfg.rate);
    assert.equal(started.peer_chunk_size, cfg.chunk_size);
    const format = negotiateFormat(OUR_FORMAT, cfg.audio_format);
    assert.equal(started.format, format);
    const before = rc.audioPackets;
    const pcm = Int16Array.from({ length: cfg.chunk_size }, (_, i) => ((i * 37) % 2000) * 8);
    h.writeNow(h.encrypt({ type: 33, audio_data: b64encode(encodePcm(pcm, format)) }));
    assert.equal(await rc.audioCount(before + 1, 15_000), before + 1, `a ${cfg.chunk_size}-frame packet at ${cfg.rate} Hz arrives`);
    assert.equal(rc.audio.at(-1)!.length, cfg.chunk_size);
    c.core.hangUp();
    await h.nextInner(isType(34));
    await rc.next("call_ended");
  }
  const errors0 = c.errors().length;
  for (const [cfg, reason] of [
    [{ rate: MAX_PEER_RATE + 1, chunk_size: 441, audio_format: 8 }, /384001 Hz \(supported: 1,000 to 384,000 Hz\)/],
    [{ rate: 44100, chunk_size: 44101, audio_format: 8 }, /more than one second/],
    [{ rate: MAX_PEER_RATE, chunk_size: MAX_PACKET_BYTES / 2 + 1, audio_format: 8 }, /larger than a message can carry/],
  ] as const) {
    await h.sendInner({ type: 30, ...cfg });
    assert.match((await c.next("voice_call_rejected")).reason, reason);
    await h.nextInner(isType(32));
  }
  assert.equal(c.core.state().call?.phase, "idle");
  assert.deepEqual(c.errors().slice(errors0), []);
});
