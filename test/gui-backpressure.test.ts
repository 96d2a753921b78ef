// The GUI bridge's WebSocket broadcast has backpressure: a page that stops
// reading does not make `pqchat gui` queue events without bound — past a
// high-water mark the core stops reading from the relay (TCP backpressure
// reaches the sender) — and once the page reads again every event arrives.
// A real `pqchat gui` process, a WebSocket client standing in for the page,
// a real server and a hostile peer sending a file with large texts in between.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { join } from "../src/protocol/index.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";
import { HostilePeer } from "./helpers/hostile-peer.js";
import { MiB, rawOffer } from "./helpers/hostile-pair.js";
import { rssOf, startServer, type ServerHandle } from "./helpers/server-process.js";

let server: ServerHandle;
let gui: GuiHandle;
before(async () => {
  server = await startServer();
  gui = await startGui();
});
after(async () => {
  await gui.stop();
  gui.cleanup();
  await server.stop();
});

const TEXTS = 150;
const TEXT_CHARS = 700_000;
const RSS_GROWTH_BOUND = 64 * MiB;

interface Msg {
  t: string;
  id?: number;
  ok?: boolean;
  name?: string;
  data?: Record<string, unknown>;
}

test("gui: a page that stops reading holds the relay back instead of growing memory; then every event arrives", async () => {
  const room = `gbp${randomBytes(4).toString("hex")}`;
  const ws = new WebSocket(`ws://127.0.0.1:${gui.port}/${gui.token}/ws`, { headers: { Origin: gui.origin } });
  const got: Msg[] = [];
  let wake: (() => void) | null = null;
  ws.on("message", (d, binary) => {
    if (binary) return;
    got.push(JSON.parse(d.toString()) as Msg);
    wake?.();
  });
  const until = async (pred: () => boolean, what: string, timeoutMs = 60000): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
  };
  const event = (name: string) => () => got.some((m) => m.t === "event" && m.name === name);
  let nextId = 0;
  const command = async (cmd: Record<string, unknown>): Promise<void> => {
    const id = ++nextId;
    ws.send(JSON.stringify({ id, ...cmd }));
    await until(() => got.some((m) => m.t === "reply" && m.id === id), `reply ${id}`);
    const r = got.find((m) => m.t === "reply" && m.id === id)!;
    assert.equal(r.ok, true, JSON.stringify(r));
  };
  let h: HostilePeer | null = null;
  try {
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res());
      ws.once("error", rej);
    });
    await until(() => got.some((m) => m.t === "hello"), "hello");
    await command({ cmd: "settings", settings: { accept_files: "yes-unverified" } });
    await command({ cmd: "connect", host: server.host, port: server.port, room, nickname: "" });
    await until(event("waiting_for_peer"), "waiting_for_peer");
    h = await HostilePeer.connect(server.port, server.host);
    h.writeNow(join(room));
    await until(event("key_exchange_complete"), "key_exchange_complete");
    await h.ready();

    const o = await rawOffer("data.bin", randomBytes(8 * MiB));
    await h.sendInner(o.meta);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === o.meta.transfer_id);
    h.sendChunk(o.meta.transfer_id, 0, o.chunk(0));
    await until(event("file_progress"), "the first chunk");

    // The page stops reading.
    ws.pause();
    const baseline = rssOf(gui.proc.pid!);
    const body = "x".repeat(TEXT_CHARS - 8);
    for (let i = 0; i < TEXTS; i++) await h.sendInner({ type: 13, text: `${String(i).padStart(6, "0")}: ${body}` }, true);
    for (let i = 1; i < o.meta.total_chunks; i++) h.sendChunk(o.meta.transfer_id, i, o.chunk(i));

    let peak = baseline;
    let last = -1;
    const socket = h.socket;
    await until(() => {
      peak = Math.max(peak, rssOf(gui.proc.pid!));
      const stuck = socket.writableLength;
      const settled = stuck === last && stuck > 40 * MiB;
      last = stuck;
      return settled;
    }, "backpressure to reach the sender");
    peak = Math.max(peak, rssOf(gui.proc.pid!));
    assert.ok(peak - baseline < RSS_GROWTH_BOUND, `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`);

    ws.resume();
    try {
      await until(event("file_received"), "file_received", 120000);
    } catch (e) {
      const names = got.filter((m) => m.t === "event").map((m) => m.name + (m.name === "error" || m.name?.startsWith("file_") ? JSON.stringify(m.data).slice(0, 200) : ""));
      console.error("# events before the timeout:", names.filter((n) => n !== "message").join("\n"), "messages:", names.filter((n) => n === "message").length);
      throw e;
    }
    const msgs = got.filter((m) => m.t === "event" && m.name === "message");
    assert.equal(msgs.length, TEXTS, "every text arrived");
    msgs.forEach((m, i) => assert.ok(String(m.data!["text"]).startsWith(`${String(i).padStart(6, "0")}: `), "in order"));
    console.log(`# gui backpressure: RSS baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB while the page did not read`);
  } finally {
    h?.close();
    ws.terminate();
  }
});
