// Voice-call benchmark (`npm run bench:call`): the mouth-to-ear
// latency that pqchat adds (capture to playback, devices excluded) and the CPU
// of the Node process during a call, over loopback.
//
// A real `pqchat server`, this process's ClientCore (the measured side) and a
// peer ClientCore in a child process (test/helpers/call-peer.ts --echo) that
// sends every packet it receives straight back. This side streams 441-frame
// packets at 100 per second for CALL_SECONDS (default 10) with a sequence
// number in the first samples, plus one text per second; each echoed packet
// gives a round trip from sendAudio() to the call_audio event, and half of it
// is the one-way core-to-core time (encrypt, ordered write, relay, decrypt,
// decode). The pqchat part of mouth-to-ear is then:
//
//   packetisation (441 frames = 10 ms) + page→bridge WebSocket hop
//   + core one-way + bridge→page WebSocket hop + jitter buffer target (80 ms)
//   + one 128-frame render quantum (2.9 ms)
//
// with the WebSocket hop measured here on loopback with 882-byte binary
// messages (the bridge's audio messages). CPU: process.cpuUsage() of this
// process over the streaming window (it encrypts 100 packets/s and decrypts
// the 100 echoed ones: both directions of a call), and the peer's from /proc.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";
import { ClientCore } from "../src/client/core.js";
import { Tone, pace } from "../test/helpers/call-harness.js";
import { startServer } from "../test/helpers/server-process.js";
import { printTable } from "./util.js";

const CALL_SECONDS = Number(process.env["CALL_SECONDS"] ?? 10);
const JITTER_TARGET_MS = 80;
const PACKET_MS = 10;
const QUANTUM_MS = (128 / 44100) * 1000;
const PEER_JS = fileURLToPath(new URL("../test/helpers/call-peer.js", import.meta.url));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One-way latency of 882-byte binary WebSocket messages on loopback (half the round trip), 100 per second. */
async function wsHop(count: number): Promise<number[]> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  wss.on("connection", (s) => s.on("message", (d, bin) => s.send(d as Buffer, { binary: bin })));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  await new Promise<void>((r) => ws.once("open", () => r()));
  const sentAt = new Map<number, number>();
  const out: number[] = [];
  ws.on("message", (d: Buffer) => {
    const seq = d.readUInt32LE(0);
    const t = sentAt.get(seq);
    if (t !== undefined) out.push((performance.now() - t) / 2);
  });
  await pace(PACKET_MS, count * PACKET_MS, (k) => {
    const b = Buffer.alloc(882);
    b.writeUInt32LE(k, 0);
    sentAt.set(k, performance.now());
    ws.send(b);
  });
  await new Promise((r) => setTimeout(r, 100));
  ws.close();
  await new Promise<void>((r) => wss.close(() => r()));
  return out;
}

const server = await startServer();
const core = new ClientCore({ voiceCalls: true, autoVerify: true, downloadDir: os.tmpdir() });
const peer = spawn(process.execPath, [PEER_JS, server.host, String(server.port), "bench", "--echo"], { stdio: ["pipe", "pipe", "inherit"] });
const peerEvents = createInterface({ input: peer.stdout! });
const peerLines: string[] = [];
peerEvents.on("line", (l) => peerLines.push(l));

const errors: string[] = [];
core.on("error", (e) => errors.push(e.kind));
const once = <T>(f: (resolve: (v: T) => void) => void): Promise<T> => new Promise<T>(f);

try {
  const complete = once<void>((r) => core.once("key_exchange_complete", () => r()));
  const verified = once<void>((r) => core.once("peer_verified", () => r()));
  await core.connect({ host: server.host, port: server.port, room: "bench" });
  await complete;
  await verified;
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s quiet after COMPLETE (WIRE-NOTES §13)

  const started = once<void>((r) => core.onCall("call_started", () => r()));
  core.call();
  await started;

  // Sequence numbers ride in the first two samples; the peer echoes the PCM unchanged (16-bit both ways).
  const sentAt = new Map<number, number>();
  const oneWay: number[] = [];
  core.onCall("call_audio", (e) => {
    const seq = (e.pcm[0]! & 0xffff) | ((e.pcm[1]! & 0xffff) << 16);
    const t = sentAt.get(seq);
    if (t === undefined) return;
    sentAt.delete(seq);
    oneWay.push((performance.now() - t) / 2);
  });
  const tone = new Tone(440);
  let seq = 1;
  const cpu0 = process.cpuUsage();
  const peerCpu0 = cpuSeconds(peer.pid!);
  const t0 = performance.now();
  let sent = 0;
  await pace(PACKET_MS, CALL_SECONDS * 1000, (k) => {
    const p = tone.packet();
    p[0] = seq & 0xffff;
    p[1] = (seq >>> 16) & 0xffff;
    sentAt.set(seq, performance.now());
    seq++;
    if (core.sendAudio(p)) sent++;
    if (k % 100 === 50) core.sendText(`a text during the call ${k}`);
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const peerCpu = cpuSeconds(peer.pid!) - peerCpu0;
  await new Promise((r) => setTimeout(r, 300)); // the last echoes
  core.hangUp();

  const hop = await wsHop(Math.min(1000, CALL_SECONDS * 100));
  // Per packet: the core's one-way plus two WebSocket hops (sender's page → bridge, bridge → receiver's page).
  const total = oneWay.map((o, i) => PACKET_MS + hop[i % hop.length]! + o + hop[(i * 7 + 3) % hop.length]! + JITTER_TARGET_MS + QUANTUM_MS);
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / wall) * 100;

  printTable(`pqchat voice call, ${CALL_SECONDS} s over loopback (${sent} packets sent, ${oneWay.length} echoed back; one text per second)`, [
    { name: "core one-way (sendAudio -> call_audio), p50", value: ms(pct(oneWay, 50)), reference: "half the echo round trip" },
    { name: "core one-way, p99", value: ms(pct(oneWay, 99)), reference: `max ${ms(Math.max(...oneWay))}` },
    { name: "page <-> bridge WebSocket hop, p50", value: ms(pct(hop, 50)), reference: `p99 ${ms(pct(hop, 99))}` },
    { name: "mouth-to-ear added by pqchat, p50", value: ms(pct(total, 50)), reference: `= ${PACKET_MS} ms packet + 2 hops + one-way + ${JITTER_TARGET_MS} ms jitter target + ${QUANTUM_MS.toFixed(1)} ms quantum` },
    { name: "mouth-to-ear added by pqchat, p99", value: ms(pct(total, 99)), target: "< 150 ms" },
    { name: "CPU of this Node process during the call", value: `${cpuPct.toFixed(1)} %`, reference: `of one core (user ${(cpu.user / 1e3).toFixed(0)} ms, system ${(cpu.system / 1e3).toFixed(0)} ms in ${wall.toFixed(1)} s)` },
    { name: "CPU of the echoing peer process", value: `${((peerCpu / wall) * 100).toFixed(1)} %`, reference: "from /proc (10 ms ticks)" },
    { name: "packets lost (sent - echoed)", value: String(sent - oneWay.length), reference: `${((oneWay.length / Math.max(1, sent)) * 100).toFixed(1)} % arrived` },
  ]);
  const bad = errors.filter((k) => k !== "rate_limited");
  process.stdout.write(`(errors during the run: ${errors.length === 0 ? "none" : errors.join(", ")})\n`);
  if (bad.length > 0 || pct(total, 99) >= 150) process.exitCode = 1;
} finally {
  peer.kill("SIGTERM");
  await core.disconnect().catch(() => undefined);
  await server.stop();
}
