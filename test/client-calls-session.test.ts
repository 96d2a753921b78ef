// Voice calls between client cores through a real `pqchat server` process:
// a 3-second two-way tone exchange with texts during the call
// (counter order: no replay / decrypt errors), dummies paused during the call
// and resumed after it; rejection (by the user, and by a `pqchat chat --json`
// terminal client); and a call that ends because the peer dropped, left or
// sent an emergency close.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { CallRecorder, Tone, pace, zeroCrossingHz } from "./helpers/call-harness.js";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { newClient, pair, startServer, type ServerHandle, type TestClient } from "./helpers/client-harness.js";

let server: ServerHandle;
const clients: TestClient[] = [];

before(async () => {
  server = await startServer(["--max-clients", "16"]);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
});

async function callPair(room: string): Promise<{ a: TestClient; b: TestClient; ra: CallRecorder; rb: CallRecorder }> {
  const a = await newClient(`A-${room}`, { voiceCalls: true });
  const b = await newClient(`B-${room}`, { voiceCalls: true });
  clients.push(a, b);
  const ra = new CallRecorder("A", a.core);
  const rb = new CallRecorder("B", b.core);
  await pair(server, a, b, { room });
  return { a, b, ra, rb };
}

async function connectCall(caller: TestClient, rc: CallRecorder, callee: TestClient, re: CallRecorder): Promise<void> {
  caller.core.call();
  await rc.next("call_ringing");
  await re.next("call_incoming", (e) => e.audio_format === 8 && e.rate === 44100 && e.chunk_size === 441);
  callee.core.answerCall(true);
  await Promise.all([rc.next("call_started", (e) => e.direction === "out" && e.format === 8), re.next("call_started", (e) => e.direction === "in" && e.format === 8)]);
}

const BAD_KINDS = new Set(["replay", "decrypt_failed", "out_of_window", "hmac_failed", "rate_limited", "oversize", "malformed", "not_allowed", "protocol_violation"]);

test("a 3-second two-way call: 440 Hz one way, 1 kHz the other, ≥ 95 % of packets, texts in counter order, dummies paused", async () => {
  const { a, b, ra, rb } = await callPair("tones");
  await connectCall(a, ra, b, rb);
  assert.equal(a.core.state().call?.phase, "active");
  assert.equal(b.core.state().call?.phase, "active");
  const counterAtStart = a.core.state().message_counter;

  const toneA = new Tone(440);
  const toneB = new Tone(1000);
  const TEXTS = 6;
  let sentA = 0;
  let sentB = 0;
  // 3 s of audio both ways at 100 packets per second; a text from each side every 500 ms.
  const ticks = await pace(10, 3000, (k) => {
    if (a.core.sendAudio(toneA.packet())) sentA++;
    if (b.core.sendAudio(toneB.packet())) sentB++;
    if (k % 50 === 25) {
      a.core.sendText(`from A during the call ${k}`);
      b.core.sendText(`from B during the call ${k}`);
    }
  });
  assert.equal(ticks, 300);
  assert.ok(sentA >= 295 && sentB >= 295, `packets sent: A ${sentA}, B ${sentB}`);
  // Bounded wait for the packets still in flight.
  const gotB = await rb.audioCount(sentA, 3000);
  const gotA = await ra.audioCount(sentB, 3000);
  assert.ok(gotB >= 0.95 * 300, `B received ${gotB} of A's ${sentA} packets`);
  assert.ok(gotA >= 0.95 * 300, `A received ${gotA} of B's ${sentB} packets`);

  const fB = zeroCrossingHz(rb.samples());
  const fA = zeroCrossingHz(ra.samples());
  assert.ok(Math.abs(fB - 440) < 440 * 0.02, `B hears ${fB.toFixed(1)} Hz, expected 440 Hz`);
  assert.ok(Math.abs(fA - 1000) < 1000 * 0.02, `A hears ${fA.toFixed(1)} Hz, expected 1000 Hz`);

  // The texts arrive and are confirmed (the receipts go through the same ordered path).
  for (let i = 0; i < TEXTS; i++) {
    await b.next("message", (m) => m.text.startsWith("from A during the call"));
    await a.next("message", (m) => m.text.startsWith("from B during the call"));
  }
  for (let i = 0; i < TEXTS; i++) {
    await a.next("delivered");
    await b.next("delivered");
  }
  // Dummies were paused: A's counter moved by exactly its packets, its texts and its receipts.
  const st = a.core.state();
  assert.equal(st.call?.packets_sent, sentA);
  assert.equal(st.message_counter - counterAtStart, sentA + TEXTS + TEXTS, "no DUMMY_MESSAGE during the call");

  for (const c of [a, b]) {
    const bad = c.errors().filter((e) => BAD_KINDS.has(e.kind));
    assert.deepEqual(bad, [], `${c.label}: no replay / decrypt / limiter errors`);
  }

  a.core.hangUp();
  assert.equal((await ra.next("call_ended")).reason, "hung_up");
  const endB = await rb.next("call_ended");
  assert.equal(endB.reason, "peer_hung_up");
  assert.ok(endB.duration_ms !== null && endB.duration_ms >= 3000);
  assert.equal(b.core.state().call?.phase, "idle");

  // Dummies resume after the call: the counter moves with nothing queued.
  const c0 = a.core.state().message_counter;
  await new Promise((r) => setTimeout(r, 800)); // bounded measurement window: ~3 ticks
  assert.ok(a.core.state().message_counter > c0, "dummy traffic resumed after the call");
});

test("a rekey during a call: audio keeps flowing across the key switch, no decryption errors", async () => {
  const { a, b, ra, rb } = await callPair("rekey");
  await connectCall(a, ra, b, rb);
  const toneA = new Tone(440);
  const toneB = new Tone(1000);
  const done = Promise.all([a.next("rekey_done"), b.next("rekey_done")]);
  let stop = false;
  const streaming = pace(
    10,
    10_000,
    (k) => {
      a.core.sendAudio(toneA.packet());
      b.core.sendAudio(toneB.packet());
      if (k === 30) a.core.rekey();
    },
    () => stop,
  );
  await done;
  // Half a second of audio both ways with the new keys.
  const c0 = [ra.audioPackets, rb.audioPackets] as const;
  await Promise.all([ra.audioCount(c0[0] + 50, 3000), rb.audioCount(c0[1] + 50, 3000)]);
  stop = true;
  await streaming;
  assert.ok(ra.audioPackets >= c0[0] + 50 && rb.audioPackets >= c0[1] + 50, `audio flows on with the new keys (${ra.audioPackets - c0[0]}, ${rb.audioPackets - c0[1]})`);
  for (const c of [a, b]) {
    const bad = c.errors().filter((e) => BAD_KINDS.has(e.kind));
    assert.deepEqual(bad, [], `${c.label}: no replay / decrypt errors across the rekey`);
  }
  a.core.hangUp();
  await rb.next("call_ended");
});

test("rejections: the callee declines; a busy callee; a pqchat chat --json terminal client declines politely", async () => {
  const { a, b, ra, rb } = await callPair("reject");
  a.core.call();
  await rb.next("call_incoming");
  b.core.answerCall(false);
  assert.equal((await rb.next("call_ended")).reason, "declined");
  assert.equal((await ra.next("call_ended")).reason, "rejected");
  assert.equal(a.core.state().call?.phase, "idle");
  assert.throws(() => b.core.answerCall(true), /No incoming call/);

  // Calls are refused without a peer and when one is already in progress.
  a.core.call();
  await rb.next("call_incoming");
  assert.throws(() => a.core.call(), /already in progress/);
  b.core.hangUp(); // hanging up while it rings = declining
  assert.equal((await ra.next("call_ended")).reason, "rejected");

  // The terminal client (calls off by default) answers VOICE_CALL_REJECT {"type": 32}.
  const c = await newClient("C-term", { voiceCalls: true });
  clients.push(c);
  const rc = new CallRecorder("C", c.core);
  await c.core.connect({ host: server.host, port: server.port, room: "terminal" });
  await c.next("server_version");
  const term = new JsonChat([`127.0.0.1:${server.port}`, "--room", "terminal"]);
  try {
    await Promise.all([c.next("key_exchange_complete"), term.next("key_exchange_complete")]);
    c.core.verify(true);
    await term.ok("verify", { answer: true });
    await Promise.all([c.next("peer_verified"), term.next("peer_verified")]);
    c.core.call();
    await rc.next("call_ringing");
    const end = await rc.next("call_ended");
    assert.equal(end.reason, "rejected");
    const ev = await term.next("voice_call_rejected");
    assert.match(String(ev["reason"]), /not supported/);
  } finally {
    await quitAll(term);
  }
});

test("a call ends cleanly when the peer drops (killed), leaves (disconnect) or sends an emergency close", async () => {
  // 1. A peer process killed mid-call: the server's RESET ends the call.
  const a = await newClient("A-drop", { voiceCalls: true });
  clients.push(a);
  const ra = new CallRecorder("A", a.core);
  await a.core.connect({ host: server.host, port: server.port, room: "drop" });
  await a.next("server_version");
  const peer = spawn(process.execPath, [fileURLToPath(new URL("./helpers/call-peer.js", import.meta.url)), server.host, String(server.port), "drop"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    await a.next("key_exchange_complete");
    a.core.verify(true);
    await a.next("peer_verified");
    a.core.call();
    await ra.next("call_started");
    await ra.audioCount(20, 5000);
    assert.ok(ra.audioPackets >= 20, "the peer's tone arrives");
    peer.kill("SIGKILL");
    const end = await ra.next("call_ended");
    assert.equal(end.reason, "reset");
    await a.next("reset");
    assert.equal(a.core.state().call?.phase, "idle");
  } finally {
    peer.kill("SIGKILL");
  }

  // 2. The peer disconnects mid-call: it sends END first.
  {
    const { a: x, b: y, ra: rx, rb: ry } = await callPair("leave");
    await connectCall(x, rx, y, ry);
    await y.core.disconnect();
    assert.equal((await ry.next("call_ended")).reason, "disconnected");
    assert.equal((await rx.next("call_ended")).reason, "peer_hung_up");
  }

  // 3. Emergency close mid-call, both sides.
  {
    const { a: x, b: y, ra: rx, rb: ry } = await callPair("panic");
    await connectCall(y, ry, x, rx);
    x.core.emergencyClose();
    assert.equal((await rx.next("call_ended")).reason, "emergency_close");
    assert.equal((await ry.next("call_ended")).reason, "emergency_close");
    await y.next("emergency_close");
  }
});
