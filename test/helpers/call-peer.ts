// A call-capable pqchat client in its own process, for tests that need a peer
// that can be killed mid-call (and for the call benchmark's far end):
//
//   node dist/test/helpers/call-peer.js HOST PORT ROOM [--echo] [--tone HZ]
//
// It verifies automatically, accepts the first incoming call, and then either
// streams a tone (default 1 kHz) at 100 packets per second or, with --echo,
// sends every received packet straight back. One JSON line per event on
// stdout: {"event": "call_started" | "call_ended" | "audio", ...}.
import { ClientCore } from "../../src/client/core.js";
import { Tone, pace } from "./call-harness.js";

const [host, portText, room, ...rest] = process.argv.slice(2);
const echo = rest.includes("--echo");
const toneIdx = rest.indexOf("--tone");
const freq = toneIdx >= 0 ? Number(rest[toneIdx + 1]) : 1000;

const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + "\n");

const core = new ClientCore({ voiceCalls: true, autoVerify: true, downloadDir: process.cwd() });
let streaming = false;
let received = 0;
core.on("key_exchange_complete", () => out({ event: "key_exchange_complete" }));
core.on("peer_verified", () => out({ event: "peer_verified" }));
core.on("error", (e) => out({ event: "error", kind: e.kind, text: e.text }));
core.on("disconnected", () => {
  out({ event: "disconnected" });
  process.exit(0);
});
core.onCall("call_incoming", () => core.answerCall(true));
core.onCall("call_started", (e) => {
  out({ event: "call_started", format: e.format });
  if (echo) return;
  streaming = true;
  const tone = new Tone(freq);
  void pace(10, 3_600_000, () => void core.sendAudio(tone.packet()), () => !streaming);
});
core.onCall("call_audio", (e) => {
  received++;
  if (echo) core.sendAudio(e.pcm);
  if (received % 50 === 0) out({ event: "audio", received });
});
core.onCall("call_ended", (e) => {
  streaming = false;
  out({ event: "call_ended", reason: e.reason });
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
await core.connect({ host: host ?? "127.0.0.1", port: Number(portText), room: room ?? null });
out({ event: "connected" });
