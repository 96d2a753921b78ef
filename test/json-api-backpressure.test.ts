// `pqchat chat --json` with a consumer that stops reading stdout: the event
// backlog stays bounded because the client stops reading from the relay (TCP
// backpressure reaches the sender), and once stdout is read again every event
// arrives, in order, none dropped. A real json process, a real server and a
// hostile peer that sends a file with large texts in between (allowed: a
// transfer is in progress).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { join } from "../src/protocol/index.js";
import { HostilePeer } from "./helpers/hostile-peer.js";
import { rawOffer, MiB } from "./helpers/hostile-pair.js";
import { MAIN_JS, rssOf, startServer, type ServerHandle } from "./helpers/server-process.js";
import { tempDir } from "./helpers/cli-proc.js";

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const TEXTS = 150;
const TEXT_CHARS = 700_000;
/** How much the client may grow while its stdout is not read (the old, unbounded queue grew by the whole ~105 MB). */
const RSS_GROWTH_BOUND = 64 * MiB;

type Ev = Record<string, unknown> & { event: string; seq: number };

test("chat --json: stdout not read while the peer sends 150 texts of 700 kB and a file; bounded memory, then every event", async () => {
  const dl = tempDir();
  const room = `bp${randomBytes(4).toString("hex")}`;
  const proc = spawn(process.execPath, [MAIN_JS, "chat", "--json", `127.0.0.1:${server.port}`, "--room", room, "--accept-files", "yes-unverified", "--download-dir", dl.path], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const events: Ev[] = [];
  let buf = "";
  let waiter: (() => void) | null = null;
  const onData = (d: Buffer): void => {
    buf += d.toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)) as Ev);
      buf = buf.slice(i + 1);
    }
    waiter?.();
  };
  const until = async (pred: () => boolean, what: string, timeoutMs = 60000): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!pred()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 200);
      });
    }
  };
  let h: HostilePeer | null = null;
  try {
    proc.stdout.on("data", onData);
    await until(() => events.some((e) => e.event === "waiting_for_peer"), "waiting_for_peer");
    h = await HostilePeer.connect(server.port, server.host);
    h.writeNow(join(room));
    await until(() => events.some((e) => e.event === "key_exchange_complete"), "key_exchange_complete");
    await h.ready();

    const content = randomBytes(8 * MiB);
    const o = await rawOffer("data.bin", content);
    await h.sendInner(o.meta);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === o.meta.transfer_id);
    h.sendChunk(o.meta.transfer_id, 0, o.chunk(0));
    await until(() => events.some((e) => e.event === "file_progress"), "the first chunk");

    // From here on nobody reads the client's stdout.
    proc.stdout.off("data", onData);
    proc.stdout.pause();
    const baseline = rssOf(proc.pid!);
    const body = "x".repeat(TEXT_CHARS - 8);
    for (let i = 0; i < TEXTS; i++) await h.sendInner({ type: 13, text: `${String(i).padStart(6, "0")}: ${body}` }, true);
    for (let i = 1; i < o.meta.total_chunks; i++) h.sendChunk(o.meta.transfer_id, i, o.chunk(i));

    // The client stops reading: most of what the peer wrote stays in the peer's own socket buffer.
    let peak = baseline;
    const socket = h.socket;
    let last = -1;
    await until(() => {
      peak = Math.max(peak, rssOf(proc.pid!));
      const stuck = socket.writableLength;
      const settled = stuck === last && stuck > 40 * MiB;
      last = stuck;
      return settled;
    }, "backpressure to reach the sender");
    peak = Math.max(peak, rssOf(proc.pid!));
    assert.ok(peak - baseline < RSS_GROWTH_BOUND, `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`);

    // Read again: everything arrives.
    proc.stdout.on("data", onData);
    proc.stdout.resume();
    await until(() => events.some((e) => e.event === "file_received"), "file_received", 120000);
    const msgs = events.filter((e) => e.event === "message");
    assert.equal(msgs.length, TEXTS, "every text arrived");
    msgs.forEach((m, i) => {
      const t = m["text"] as string;
      assert.equal(t.length, TEXT_CHARS);
      assert.ok(t.startsWith(`${String(i).padStart(6, "0")}: `), "in order");
    });
    assert.equal(events.find((e) => e.event === "file_received")!["hash_ok"], true);
    events.forEach((e, i) => assert.equal(e.seq, i + 1, "no event missing"));
    // Nothing the peer sent was dropped. (150 texts at once overflow our own cap on queued
    // delivery confirmations, which is reported and allowed here.)
    const errors = events.filter((e) => e.event === "error" && !/automatic replies/.test(String(e["text"])));
    assert.deepEqual(errors.map((e) => `${String(e["kind"])}: ${String(e["text"])} (${String(e["count"])})`), []);
    console.log(`# json backpressure: RSS baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB while stdout was not read`);
  } finally {
    h?.close();
    proc.stdin.end();
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    dl.remove();
  }
});
