// The voice-call modules on their own (src/client/call-wire-format.ts and
// src/client/calls.ts): wire forms against
// the reference vectors, format negotiation, PCM conversions for every
// PortAudio format, packetisation, and the state machine driven through a
// recording CallHost (no sockets).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CALL_CHUNK,
  PA_INT16,
  PA_INT24,
  PA_INT32,
  PA_INT8,
  PA_UINT8,
  Packetizer,
  bytesPerSample,
  callAccept,
  callDataInner,
  callInit,
  checkPeerParams,
  decodePcm,
  encodePcm,
  negotiateFormat,
  MAX_PACKET_BYTES,
  MAX_PEER_RATE,
  MIN_PEER_RATE,
} from "../src/client/call-wire-format.js";
import { PHANTOM_BYPASS_MS, STRAY_END_INTERVAL_MS, STRAY_GAP_MS, STRAY_NOTICE_INTERVAL_MS } from "../src/client/call-strays.js";
import { CallError, CallManager, type CallHost } from "../src/client/calls.js";
import { Initiator, respond } from "../src/protocol/handshake.js";
import type { AnyEventMap, AnyEventName } from "../src/client/events.js";
import { DEFAULT_MAX_FRAME, b64decodeStrict, fromUtf8, parseJsonObject, pyjson } from "../src/protocol/index.js";
import { loadFixture } from "./helpers/fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ops: any[] = loadFixture("messages.json").ops;
const innerOf = (id: string): string => ops.find((o) => o.id === id).inner_plaintext as string;

test("INIT, ACCEPT, DATA, END, REJECT are byte-exact with the reference vectors (m16–m20)", () => {
  assert.equal(pyjson(callInit()), innerOf("m16"));
  assert.equal(pyjson(callAccept()), innerOf("m17"));
  const data = innerOf("m18");
  const b64 = (JSON.parse(data) as { audio_data: string }).audio_data;
  const raw = b64decodeStrict(b64);
  assert.equal(raw.length, 882, "441 frames of 16-bit mono");
  // Decoding and re-encoding the reference packet gives the same inner plaintext.
  const pcm = decodePcm(raw, PA_INT16)!;
  assert.equal(pcm.length, CALL_CHUNK);
  assert.equal(fromUtf8(callDataInner(encodePcm(pcm, PA_INT16))), data);
  assert.equal(pyjson({ type: 34 }), innerOf("m19"));
  assert.equal(pyjson({ type: 32 }), innerOf("m20"));
});

test("format negotiation: the lower quality of the two (32 < 16 < 8 < 4 < 2)", () => {
  assert.equal(negotiateFormat(8, 8), 8);
  assert.equal(negotiateFormat(8, 2), 8);
  assert.equal(negotiateFormat(8, 4), 8);
  assert.equal(negotiateFormat(8, 16), 16);
  assert.equal(negotiateFormat(8, 32), 32);
  assert.equal(negotiateFormat(16, 32), 32);
  assert.equal(negotiateFormat(2, 4), 4);
  // WIRE-NOTES §4.6: a format outside the map (float32 = 1, anything else) counts as 16-bit.
  assert.equal(negotiateFormat(8, 1), 8);
  assert.equal(negotiateFormat(1, 2), 8);
  assert.equal(negotiateFormat(32, 1), 32);
  assert.equal(negotiateFormat(8, 12345), 8);
});

test("PCM conversions for every format: little-endian layout and round trips", () => {
  const s = Int16Array.from([0, 1, -1, 256, -256, 32767, -32768, 0x1234]);
  // 16-bit LE
  assert.deepEqual([...encodePcm(Int16Array.from([0x1234, -2]), PA_INT16)], [0x34, 0x12, 0xfe, 0xff]);
  assert.deepEqual([...decodePcm(encodePcm(s, PA_INT16), PA_INT16)!], [...s]);
  // 24-bit LE: the sample in the top two bytes
  assert.deepEqual([...encodePcm(Int16Array.from([0x1234]), PA_INT24)], [0, 0x34, 0x12]);
  assert.deepEqual([...decodePcm(encodePcm(s, PA_INT24), PA_INT24)!], [...s]);
  assert.deepEqual([...decodePcm(Uint8Array.from([0xff, 0xff, 0x7f]), PA_INT24)!], [32767]);
  // 32-bit LE
  assert.deepEqual([...encodePcm(Int16Array.from([-2]), PA_INT32)], [0, 0, 0xfe, 0xff]);
  assert.deepEqual([...decodePcm(encodePcm(s, PA_INT32), PA_INT32)!], [...s]);
  assert.deepEqual([...decodePcm(Uint8Array.from([0, 0, 0, 0x80]), PA_INT32)!], [-32768]);
  // 8-bit signed and unsigned keep the top byte
  assert.deepEqual([...encodePcm(Int16Array.from([32767, -32768, 0, 256]), PA_INT8)], [0x7f, 0x80, 0, 1]);
  assert.deepEqual([...decodePcm(Uint8Array.from([0x7f, 0x80, 0, 1]), PA_INT8)!], [0x7f00, -32768, 0, 256]);
  assert.deepEqual([...encodePcm(Int16Array.from([32767, -32768, 0]), PA_UINT8)], [255, 0, 128]);
  assert.deepEqual([...decodePcm(Uint8Array.from([255, 0, 128]), PA_UINT8)!], [0x7f00, -32768, 0]);
  for (const f of [PA_INT8, PA_UINT8, PA_INT16, PA_INT24, PA_INT32]) {
    assert.equal(encodePcm(new Int16Array(CALL_CHUNK), f).length, CALL_CHUNK * bytesPerSample(f));
  }
  assert.equal(decodePcm(new Uint8Array(3), PA_INT16), null, "odd byte count for 16-bit");
  assert.equal(decodePcm(new Uint8Array(5), PA_INT24), null);
});

test("the packetizer cuts any input into 441-frame packets, in order", () => {
  const p = new Packetizer(CALL_CHUNK);
  const out: number[][] = [];
  const src = Int16Array.from({ length: 441 * 3 + 100 }, (_, i) => i % 30000);
  // Odd pieces: 128-frame render quanta, then a large one.
  for (let i = 0; i < 441 * 2; i += 128) p.push(src.subarray(i, Math.min(i + 128, 441 * 2)), (k) => out.push([...k]));
  p.push(src.subarray(441 * 2), (k) => out.push([...k]));
  assert.equal(out.length, 3);
  assert.deepEqual(out.flat(), [...src.subarray(0, 441 * 3)]);
});

// ------------------------------------------------------------------ the state machine

interface Sent {
  how: "queue" | "now";
  inner: string;
}

class FakeHost implements CallHost {
  sent: Sent[] = [];
  events: { name: string; payload: unknown }[] = [];
  errors: { kind: string; text: string }[] = [];
  paused = false;
  isSecure = true;
  nowOk = true;
  private pendingOnSent: (() => void)[] = [];

  secure(): boolean {
    return this.isSecure;
  }
  queue(inner: Uint8Array, opts?: { onSent?: () => void }): boolean {
    this.sent.push({ how: "queue", inner: fromUtf8(inner) });
    if (opts?.onSent) this.pendingOnSent.push(opts.onSent);
    return true;
  }
  /** The 250 ms tick took the queued items. */
  tick(): void {
    const f = this.pendingOnSent;
    this.pendingOnSent = [];
    for (const x of f) x();
  }
  sendNow(inner: Uint8Array): boolean {
    if (!this.nowOk) return false;
    this.sent.push({ how: "now", inner: fromUtf8(inner) });
    return true;
  }
  emit<K extends AnyEventName>(name: K, payload: AnyEventMap[K]): void {
    this.events.push({ name, payload });
  }
  error(kind: string, text: string): void {
    this.errors.push({ kind, text });
  }
  pauseDummies(paused: boolean): void {
    this.paused = paused;
  }
  names(): string[] {
    return this.events.map((e) => e.name);
  }
  last(name: string): unknown {
    return [...this.events].reverse().find((e) => e.name === name)?.payload;
  }
}

const tone = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 44100)));
const dataMsg = (bytes: Uint8Array) => JSON.parse(fromUtf8(callDataInner(bytes))) as Record<string, never>;

test("outgoing call: ringing, ACCEPT from a 32-bit peer negotiates 16-bit, audio goes out at once, END on hang-up", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.call();
  assert.deepEqual(h.sent, [{ how: "queue", inner: '{"type": 30, "rate": 44100, "chunk_size": 441, "audio_format": 8}' }]);
  assert.equal(m.state.phase, "ringing_out");
  assert.ok(m.bypass, "bypass while ringing at the peer");
  assert.throws(() => m.call(), (e: unknown) => e instanceof CallError && e.kind === "call_in_progress");
  assert.equal(m.sendAudio(tone(441)), false, "no audio before ACCEPT");
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 2 });
  assert.equal(m.state.phase, "active");
  assert.equal(m.state.format, PA_INT16);
  assert.ok(h.paused, "dummies paused during the call");
  assert.deepEqual(h.last("call_started"), { direction: "out", format: 8, format_name: "int16", rate: 44100, chunk_size: 441, peer_rate: 44100, peer_chunk_size: 441 });
  h.sent = [];
  assert.equal(m.sendAudio(tone(441 * 2 + 10)), true);
  assert.equal(h.sent.length, 2, "two whole packets; 10 frames wait");
  assert.ok(h.sent.every((s) => s.how === "now" && s.inner.startsWith('{"type": 33, "audio_data": "')));
  assert.equal(m.state.packets_sent, 2);
  m.setMuted(true);
  assert.equal(m.sendAudio(tone(441)), false, "muted: nothing goes out");
  m.setMuted(false);
  m.hangUp();
  assert.equal(h.sent.at(-1)!.inner, '{"type": 34}');
  assert.equal(h.sent.at(-1)!.how, "queue");
  assert.equal(m.state.phase, "idle");
  assert.equal(h.paused, false, "dummies resumed");
  assert.equal((h.last("call_ended") as { reason: string }).reason, "hung_up");
  assert.equal(m.sendAudio(tone(441)), false);
});

test("incoming call from an 8-bit peer: accept, stream only once ACCEPT is in line, decode its packets", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 16 });
  assert.deepEqual(h.last("call_incoming"), { rate: 44100, chunk_size: 441, audio_format: 16 });
  assert.equal(m.state.phase, "ringing_in");
  assert.equal(m.bypass, false);
  m.answer(true);
  assert.equal(h.sent.at(-1)!.inner, '{"type": 31, "rate": 44100, "chunk_size": 441, "audio_format": 8}');
  assert.equal(m.state.phase, "active");
  assert.ok(m.bypass);
  assert.equal(m.state.format, PA_INT8);
  assert.equal(m.sendAudio(tone(441)), false, "ACCEPT not sent yet");
  assert.ok(!h.names().includes("call_started"));
  h.tick();
  assert.ok(h.names().includes("call_started"));
  h.sent = [];
  assert.equal(m.sendAudio(tone(441)), true);
  const wire = b64decodeStrict((JSON.parse(h.sent[0]!.inner) as { audio_data: string }).audio_data);
  assert.equal(wire.length, 441, "8-bit on the wire");
  // The peer's 8-bit packet decodes to 16-bit.
  m.onMessage(33, dataMsg(encodePcm(tone(441), PA_INT8)));
  const a = h.last("call_audio") as { pcm: Int16Array; seq: number };
  assert.equal(a.pcm.length, 441);
  assert.equal(a.seq, 1);
  assert.ok(Math.abs(a.pcm[10]! - tone(441)[10]!) < 256);
  m.onMessage(34, { type: 34 });
  assert.equal((h.last("call_ended") as { reason: string }).reason, "peer_hung_up");
  assert.equal(h.errors.length, 0);
});

test("invalid or misplaced voice data is dropped with an error event", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true, { graceMs: 0 });
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(h.errors.at(-1)!.kind, "not_allowed", "outside a call");
  m.call();
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(h.errors.length, 1, "early packets while ringing at the peer are quiet");
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 });
  m.onMessage(33, { type: 33, audio_data: "not base64!" } as never);
  assert.equal(h.errors.at(-1)!.kind, "malformed");
  m.onMessage(33, { type: 33, audio_data: 42 } as never);
  assert.equal(h.errors.at(-1)!.kind, "malformed");
  m.onMessage(33, { type: 33, audio_data: "A".repeat(Math.ceil(MAX_PACKET_BYTES / 3) * 4 + 4) } as never);
  assert.equal(h.errors.at(-1)!.kind, "malformed", "too large");
  m.onMessage(33, dataMsg(new Uint8Array(881)));
  assert.equal(h.errors.at(-1)!.kind, "malformed", "odd bytes at 16-bit");
  assert.equal(h.errors.length, 5);
  assert.equal(m.state.packets_received, 0);
  assert.equal(m.state.packets_dropped, 4, "counters restart with each call");
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(m.state.packets_received, 1);
});

test("rejections: declined, rejected by the peer, busy, unsupported rate, calls turned off", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.call();
  m.onMessage(32, { type: 32 });
  assert.equal((h.last("call_ended") as { reason: string }).reason, "rejected");

  m.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  m.answer(false);
  assert.equal(h.sent.at(-1)!.inner, '{"type": 32}');
  assert.equal((h.last("call_ended") as { reason: string }).reason, "declined");
  assert.throws(() => m.answer(true), (e: unknown) => e instanceof CallError && e.kind === "no_incoming_call");
  assert.throws(() => m.hangUp(), (e: unknown) => e instanceof CallError && e.kind === "no_call");

  // Busy: a second INIT during a call is declined, the call goes on.
  m.call();
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 });
  m.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  assert.equal(h.sent.at(-1)!.inner, '{"type": 32}');
  assert.equal(m.state.phase, "active");
  m.hangUp();

  m.onMessage(30, { type: 30, rate: 400_000, chunk_size: 4000, audio_format: 8 });
  assert.equal(h.sent.at(-1)!.inner, '{"type": 32}');
  assert.equal(m.state.phase, "idle");
  assert.match((h.last("voice_call_rejected") as { reason: string }).reason, /400000 Hz \(supported: 1,000 to 384,000 Hz\)/);

  const off = new FakeHost();
  const t = new CallManager(off, false);
  t.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  assert.deepEqual(off.sent, [{ how: "queue", inner: '{"type": 32}' }]);
  assert.deepEqual(off.names(), ["voice_call_rejected"]);
  assert.throws(() => t.call(), (e: unknown) => e instanceof CallError && e.kind === "calls_off");
});

test("ringing timeouts: the caller sends END, an unanswered callee sends REJECT", async () => {
  const h = new FakeHost();
  const m = new CallManager(h, true, { ringTimeoutMs: 30 });
  m.call();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.sent.at(-1)!.inner, '{"type": 34}');
  assert.equal((h.last("call_ended") as { reason: string }).reason, "no_answer");

  const h2 = new FakeHost();
  const m2 = new CallManager(h2, true, { incomingTimeoutMs: 30 });
  m2.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h2.sent.at(-1)!.inner, '{"type": 32}');
  assert.equal((h2.last("call_ended") as { reason: string }).reason, "missed");
});

test("reset, disconnect and emergency close end the call without sending; stray messages in the grace are quiet", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.call();
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 });
  const before = h.sent.length;
  m.reset("reset");
  assert.equal(h.sent.length, before);
  assert.equal((h.last("call_ended") as { reason: string }).reason, "reset");
  assert.equal(h.paused, false);
  // Late packets and a late ACCEPT right after: no errors.
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 });
  assert.equal(h.errors.length, 0);
  assert.ok(m.bypass, "grace: the peer's packets in flight are not rate-limited");

  m.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  m.hangUpNow("disconnected");
  assert.deepEqual(h.sent.at(-1), { how: "now", inner: '{"type": 32}' });
  assert.equal((h.last("call_ended") as { reason: string }).reason, "disconnected");
  m.reset("emergency_close");
  assert.equal(h.names().filter((n) => n === "call_ended").length, 2, "no second end for an idle call");
});

test("congestion: packets that cannot be sent now are counted as dropped, never queued", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.call();
  m.onMessage(31, { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 });
  h.nowOk = false;
  assert.equal(m.sendAudio(tone(441 * 3)), false);
  assert.equal(m.state.packets_dropped, 3);
  assert.equal(m.state.packets_sent, 0);
});

// ------------------------------------------------------------------ the reference's settings (WIRE-NOTES §4.6)

test("every INIT / ACCEPT the reference GUI can produce with its own settings is accepted", () => {
  // configs.py: any rate the sound card takes, 1–1000 packets/s (chunk_size = int(rate / frequency)), formats 32, 16, 8, 4, 2, 1.
  const rates = [MIN_PEER_RATE, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000];
  let n = 0;
  for (const rate of rates) {
    for (const freq of [1, 2, 10, 50, 100, 441, 1000]) {
      const chunk = Math.floor(rate / freq);
      for (const format of [32, 16, 8, 4, 2, 1]) {
        const p = checkPeerParams({ type: 30, rate, chunk_size: chunk, audio_format: format });
        assert.equal(typeof p, "object", `rate ${rate}, ${freq}/s, format ${format}: ${String(p)}`);
        n++;
      }
    }
  }
  assert.equal(n, rates.length * 7 * 6);
  // The boundaries themselves.
  for (const [rate, chunk] of [
    [MIN_PEER_RATE, 1],
    [MIN_PEER_RATE, MIN_PEER_RATE],
    [MAX_PEER_RATE, MAX_PEER_RATE / 1000],
    [MAX_PEER_RATE, Math.floor(MAX_PACKET_BYTES / 2)],
    [44100, 44100],
  ] as const) {
    assert.equal(typeof checkPeerParams({ type: 31, rate, chunk_size: chunk, audio_format: 8 }), "object", `${rate} Hz, ${chunk} frames`);
  }
  // An 8-bit peer at the top: one byte per frame.
  assert.equal(typeof checkPeerParams({ type: 31, rate: MAX_PEER_RATE, chunk_size: MAX_PEER_RATE, audio_format: 16 }), "object");
});

test("settings out of range are refused with a reason that says which and why", () => {
  const reason = (o: Record<string, unknown>): string => {
    const p = checkPeerParams({ type: 30, rate: 44100, chunk_size: 441, audio_format: 8, ...o } as never);
    assert.equal(typeof p, "string", JSON.stringify(o));
    return p as string;
  };
  assert.match(reason({ rate: MIN_PEER_RATE - 1 }), /sample rate of 999 Hz \(supported: 1,000 to 384,000 Hz\)/);
  assert.match(reason({ rate: MAX_PEER_RATE + 1 }), /384001 Hz/);
  assert.match(reason({ rate: 44100.5 }), /44100\.5 Hz/);
  assert.match(reason({ rate: "44100" }), /not a number/);
  assert.match(reason({ audio_format: "8" }), /sample format that is not a number/);
  assert.match(reason({ chunk_size: 0 }), /not a positive whole number/);
  assert.match(reason({ chunk_size: 2.5 }), /not a positive whole number/);
  assert.match(reason({ chunk_size: 44101 }), /more than one second of audio at 44100 Hz/);
  // 1 packet/s at 384 kHz in 16-bit: 768,000 bytes, more than a frame carries.
  assert.match(reason({ rate: MAX_PEER_RATE, chunk_size: MAX_PEER_RATE }), /packets of 384000 frames \(768000 bytes\), larger than a message can carry/);
  assert.match(reason({ rate: MAX_PEER_RATE, chunk_size: Math.floor(MAX_PACKET_BYTES / 2) + 1 }), /larger than a message can carry/);
});

test("a packet of MAX_PACKET_BYTES encrypted as VOICE_CALL_DATA fits a frame; the receiver decodes it", () => {
  const initiator = new Initiator();
  const { response, session: b } = respond(parseJsonObject(initiator.initMessage)!);
  const a = initiator.finish(parseJsonObject(response)!);
  const pcm = new Uint8Array(MAX_PACKET_BYTES).map((_, i) => i * 7);
  const { wire } = a.encrypt(callDataInner(pcm));
  assert.ok(wire.length <= DEFAULT_MAX_FRAME, `frame of ${wire.length} bytes, limit ${DEFAULT_MAX_FRAME}`);
  assert.ok(wire.length > DEFAULT_MAX_FRAME - 64 * 1024, "the bound is not far below what a frame carries");
  const inner = parseJsonObject(b.decrypt(parseJsonObject(wire)!).plaintext)!;
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.call();
  m.onMessage(31, { type: 31, rate: MAX_PEER_RATE, chunk_size: MAX_PACKET_BYTES / 2, audio_format: 8 });
  m.onMessage(33, inner);
  assert.equal((h.last("call_audio") as { pcm: Int16Array }).pcm.length, MAX_PACKET_BYTES / 2);
  assert.deepEqual(h.errors, []);
});

test("a 22,050 Hz 8-bit peer: the call starts with its rate for playback, its packets decode to 16-bit", () => {
  const h = new FakeHost();
  const m = new CallManager(h, true);
  m.onMessage(30, { type: 30, rate: 22050, chunk_size: 220, audio_format: 16 });
  m.answer(true);
  h.tick();
  assert.deepEqual(h.last("call_started"), { direction: "in", format: 16, format_name: "int8", rate: 44100, chunk_size: 441, peer_rate: 22050, peer_chunk_size: 220 });
  m.onMessage(33, dataMsg(encodePcm(tone(220), PA_INT8)));
  assert.equal((h.last("call_audio") as { pcm: Int16Array }).pcm.length, 220);
  // A float32 (format 1) caller counts as 16-bit.
  const h2 = new FakeHost();
  const m2 = new CallManager(h2, true);
  m2.call();
  m2.onMessage(31, { type: 31, rate: 48000, chunk_size: 480, audio_format: 1 });
  assert.equal(m2.state.format, PA_INT16);
  assert.equal((h2.last("call_started") as { peer_rate: number }).peer_rate, 48000);
});

// ------------------------------------------------------------------ stray call messages (phantom calls)

const ACCEPT = { type: 31, rate: 44100, chunk_size: 441, audio_format: 8 };

test("a late ACCEPT and its audio after we cancelled: one END per interval, no event per packet, the limiter lifted for a bounded time", () => {
  let t = 1000;
  const h = new FakeHost();
  const m = new CallManager(h, true, { now: () => t, graceMs: 3000 });
  m.call();
  m.hangUp(); // cancelled while ringing: END
  assert.equal(h.sent.at(-1)!.inner, '{"type": 34}');
  t += 20_000; // the reference user presses Accept 20 s later (its dialog still rings)
  h.sent = [];
  assert.equal(m.bypass, false);
  m.onMessage(33, dataMsg(new Uint8Array(882))); // its first packets arrive before its ACCEPT
  m.onMessage(31, ACCEPT);
  assert.deepEqual(h.sent, [{ how: "queue", inner: '{"type": 34}' }], "END once");
  for (let i = 0; i < 150; i++) {
    t += 10;
    m.onMessage(33, dataMsg(new Uint8Array(882)));
    assert.ok(m.bypass, "the phantom stream does not starve texts");
  }
  // 1.5 s later: still one END (interval 2 s); then one more.
  assert.equal(h.sent.length, 1);
  t += 600;
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(h.sent.length, 2);
  assert.deepEqual(h.errors, [], "quiet: it is the echo of our own call");
  assert.ok(!h.names().includes("call_audio"));
  assert.equal(m.state.phase, "idle");
  // The bypass is bounded: a stream that goes on past PHANTOM_BYPASS_MS meets the limiter.
  for (let k = 0; t - 21_000 < PHANTOM_BYPASS_MS + 500; k++) {
    t += 10;
    m.onMessage(33, dataMsg(new Uint8Array(882)));
  }
  assert.equal(m.bypass, false);
  assert.ok(h.sent.length <= Math.ceil(PHANTOM_BYPASS_MS / STRAY_END_INTERVAL_MS) + 2, `${h.sent.length} ENDs`);
  // Packets stop: after the gap the bypass is off; the reference's own REJECT (its dialog timing out) is quiet too.
  t += STRAY_GAP_MS;
  assert.equal(m.bypass, false);
  m.onMessage(32, { type: 32 });
  assert.deepEqual(h.errors, []);
  // A later call works normally.
  m.call();
  m.onMessage(31, ACCEPT);
  assert.equal(m.state.phase, "active");
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(m.state.packets_received, 1);
});

test("stray call messages from a peer we never called: END once, one coalesced notice with a count, no bypass", () => {
  let t = 1000;
  const h = new FakeHost();
  const m = new CallManager(h, true, { now: () => t });
  m.onMessage(31, ACCEPT);
  for (let i = 0; i < 80; i++) {
    t += 10;
    m.onMessage(33, dataMsg(new Uint8Array(882)));
  }
  assert.equal(m.bypass, false, "no call of ours: the limiter stays");
  assert.equal(h.sent.filter((s) => s.inner === '{"type": 34}').length, 1);
  assert.equal(h.errors.length, 1, "one notice, not one per packet");
  assert.equal(h.errors[0]!.kind, "not_allowed");
  assert.match(h.errors[0]!.text, /no call\. Told the peer there is no call\./);
  t += STRAY_NOTICE_INTERVAL_MS;
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.equal(h.errors.length, 2);
  assert.match(h.errors[1]!.text, /Ignored 81 call messages that belong to no call/);
  // While an incoming call rings, stray audio never answers END (that would cancel the call).
  m.onMessage(30, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  h.sent = [];
  t += STRAY_END_INTERVAL_MS;
  m.onMessage(33, dataMsg(new Uint8Array(882)));
  assert.deepEqual(h.sent, []);
  assert.equal(m.state.phase, "ringing_in");
});
