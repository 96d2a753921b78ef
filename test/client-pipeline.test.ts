// The chunk pipeline through a real `pqchat server`: file chunks are encrypted
// (on the sending thread, or on one worker thread once that thread is the
// bottleneck; both pinned here) while texts keep being queued, and everything still reaches
// the wire strictly in counter order (WIRE-NOTES §13) — checked on the raw frames a
// hostile-peer helper captures, and end to end with a real receiver (every
// chunk and every text, no replay/drop errors), with the receiver opening the
// chunks inline and on its workers. The session's worker threads end on
// disconnect, reset and emergency close.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { FrameDecoder, parseJsonObject } from "../src/protocol/index.js";
import { fileAccept } from "../src/protocol/file/index.js";
import type { WorkerPool } from "../src/io/workers/pool.js";
import type { ClientCore } from "../src/client/core.js";
import type { ClientParts } from "../src/client/parts.js";
import { SEAL_THREADS } from "../src/client/write-path.js";
import { TestClient, connectClient, newClient, pair, removeDir, startServer, tempDir, tempFilesIn, type ServerHandle } from "./helpers/client-harness.js";
import { HostilePeer } from "./helpers/hostile-peer.js";

const MiB = 1024 * 1024;
let server: ServerHandle;
let src: string;
before(async () => {
  server = await startServer(["--max-clients", "8"]);
  src = await tempDir("pqchat-pipe-src-");
});
after(async () => {
  await server.stop();
  await removeDir(src);
});

// The session's worker pools live in the write path (src/client/write-path.ts): chunk opens, and chunk seals of big transfers.
const poolOf = (c: ClientCore): WorkerPool | null => (c as unknown as { parts: ClientParts }).parts.writePath.workers;
/** Pins where the receiver opens chunks: on its workers (as when its own thread is the bottleneck, src/client/open-placement.ts) or inline. */
const opensOn = (c: ClientCore, workers: boolean): void => {
  (c as unknown as { parts: ClientParts }).parts.inbound.placement = { onWorkers: () => workers, reset: () => undefined };
};
const sealPoolOf = (c: ClientCore): WorkerPool | null => (c as unknown as { parts: ClientParts }).parts.writePath.sealWorkers;
/**
 * Scribbles over every chunk frame the sender gets back for reuse (write-path.ts), the
 * moment it gets it back, as if the next chunk were read into it at once: a frame handed
 * back before the kernel had all of it would reach the receiver damaged. Returns how many came back.
 */
const scribbleReusedFrames = (c: ClientCore): (() => number) => {
  const writePath = (c as unknown as { parts: ClientParts }).parts.writePath;
  const frames = (writePath as unknown as { chunkFrames: { give(v: Uint8Array): void } }).chunkFrames;
  const give = frames.give.bind(frames);
  let n = 0;
  frames.give = (v) => {
    new Uint8Array(v.buffer).fill(0xee);
    n++;
    give(v);
  };
  return () => n;
};
/** Pins where the sender seals chunks: on its sealing thread (as when its own thread is the bottleneck) or inline. */
const sealsOn = (c: ClientCore, workers: boolean): void => {
  (c as unknown as { parts: ClientParts }).parts.writePath.sealPlacement = { onWorkers: () => workers, reset: () => undefined };
};

test("chunks encrypted and texts queued meanwhile: strictly increasing counters on the wire", async () => {
  // Dummies off and a fast tick: many texts are encrypted while chunks are on the workers.
  const a = new TestClient("A", await tempDir("pqchat-A-"), { tickMs: 10, dummyTraffic: false });
  await connectClient(a, server);
  await a.next("server_version");
  const h = await HostilePeer.connect(server.port, server.host);
  await a.next("key_exchange_complete");
  await h.ready();
  // Capture every frame the client sends, next to the peer's own decoder.
  const seen: { counter: number; kind: "chunk" | "text" }[] = [];
  const dec = new FrameDecoder();
  h.socket.on("data", (d: Buffer) => {
    for (const f of dec.push(d)) {
      if (f[0] === 0x7b) {
        const o = parseJsonObject(f);
        if (o && o["type"] === 10) seen.push({ counter: o["counter"] as number, kind: "text" });
      } else if (f.length >= 48) {
        seen.push({ counter: new DataView(f.buffer, f.byteOffset, 4).getUint32(0, false), kind: "chunk" });
      }
    }
  });
  try {
    const p = path.join(src, "wire.bin");
    await writeFile(p, randomBytes(24 * MiB + 99));
    const off = await a.core.sendFile(p);
    await h.nextInner((m) => m["type"] === 20 && m["transfer_id"] === off.transfer_id);
    await h.sendInner(fileAccept(off.transfer_id));
    await a.next("file_accepted");
    const texts = Array.from({ length: 15 }, (_, i) => `during the transfer ${i}`);
    for (const t of texts) a.core.sendText(t);
    await a.next("file_sent", (e) => e.transfer_id === off.transfer_id, 60000);
    for (const t of texts) await h.nextInner((m) => m["type"] === 13 && m["text"] === t, 20000);
    // file_sent means "written to the socket": wait until the peer has read every chunk too.
    const t0 = Date.now();
    while (seen.filter((s) => s.kind === "chunk").length < off.total_chunks && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
    const chunks = seen.filter((s) => s.kind === "chunk");
    assert.equal(chunks.length, off.total_chunks);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.counter > seen[i - 1]!.counter, `counter ${seen[i]!.counter} after ${seen[i - 1]!.counter}`);
    // Texts really went out between chunks (encrypted while later chunks were on the workers).
    const first = chunks[0]!.counter;
    const last = chunks.at(-1)!.counter;
    assert.ok(seen.some((s) => s.kind === "text" && s.counter > first && s.counter < last), "a text between two chunks");
  } finally {
    h.close();
    await a.close();
    await removeDir(a.downloadDir);
  }
});

for (const where of ["inline", "on the workers"] as const) {
  test(`real receiver, chunks opened ${where}: every chunk and every text arrives, no replay or drop errors, hash verified`, async () => {
  // A fast tick without dummies: texts interleave with the chunks (both sides are in bypass, WIRE-NOTES §12.2, during the transfer).
  const a = await newClient("A", { tickMs: 10, dummyTraffic: false });
  const b = await newClient("B", { acceptFiles: true, tickMs: 10, dummyTraffic: false });
  await pair(server, a, b, { room: `pipe-e2e-${where === "inline" ? "i" : "w"}` });
  opensOn(b.core, where !== "inline");
  sealsOn(a.core, false);
  const framesBack = scribbleReusedFrames(a.core);
  try {
    const p = path.join(src, `e2e-${where === "inline" ? "i" : "w"}.bin`);
    await writeFile(p, randomBytes(48 * MiB + 5));
    const off = await a.core.sendFile(p);
    await a.next("file_accepted");
    const texts = Array.from({ length: 15 }, (_, i) => `text ${i}`);
    for (const t of texts) a.core.sendText(t);
    // And the receiver talks back meanwhile (its frames interleave with the sender's chunks on the other direction).
    for (let i = 0; i < 5; i++) b.core.sendText(`back ${i}`);
    const got = await b.next("file_received", (e) => e.transfer_id === off.transfer_id, 60000);
    assert.equal(got.hash_ok, true);
    for (const t of texts) await b.next("message", (m) => m.text === t, 20000);
    for (let i = 0; i < 5; i++) await a.next("message", (m) => m.text === `back ${i}`, 20000);
    await a.next("file_complete");
    assert.equal(sealPoolOf(a.core), null, "sealing inline starts no thread");
    const order = b.log.filter((e) => e.name === "message").map((e) => (e.payload as { text: string }).text);
    assert.deepEqual(order, texts, "texts in order");
    assert.deepEqual(b.errors(), []);
    assert.deepEqual(a.errors(), []);
    assert.deepEqual(await tempFilesIn(b.downloadDir), []);
    if (where === "inline") assert.equal(poolOf(b.core)?.started ?? 0, 0, "the receiver started no worker");
    else assert.ok((poolOf(b.core)?.started ?? 0) > 0, "the receiver's workers opened the chunks");
    const conn = (b.core as unknown as { parts: ClientParts }).parts.ctx.conn!;
    assert.ok(conn.reusedBuffers > 0, "chunk frames were read into the buffers of chunks already written (frame-buffers.ts)");
    assert.ok(framesBack() > 0, "the sender got chunk frames back once written");
    assert.ok((a.core as unknown as { parts: ClientParts }).parts.writePath.reusedChunkFrames > 0, "and read later chunks into them");
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
  }
});
}

test("chunks sealed on the sealing thread (one, started once): the real receiver verifies the hash", async () => {
  const a = await newClient("A", { dummyTraffic: false });
  const b = await newClient("B", { acceptFiles: true, dummyTraffic: false });
  await pair(server, a, b, { room: "pipe-big" });
  sealsOn(a.core, true);
  try {
    const p = path.join(src, "big.bin");
    await writeFile(p, randomBytes(24 * MiB + 77));
    const off = await a.core.sendFile(p);
    const got = await b.next("file_received", (e) => e.transfer_id === off.transfer_id, 120000);
    assert.equal(got.hash_ok, true);
    const seal = sealPoolOf(a.core);
    assert.ok(seal, "the sender's sealing thread was started");
    assert.equal(seal.started, SEAL_THREADS);
    assert.equal(seal.size, 1);
    assert.equal(poolOf(a.core), null, "the sender opened nothing on workers");
    assert.deepEqual(b.errors(), []);
    assert.deepEqual(a.errors(), []);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
  }
});

async function midTransfer(room: string): Promise<{ a: TestClient; b: TestClient; poolA: WorkerPool; poolB: WorkerPool }> {
  const a = await newClient("A");
  const b = await newClient("B", { acceptFiles: true });
  await pair(server, a, b, { room });
  opensOn(b.core, true);
  sealsOn(a.core, true);
  const p = path.join(src, `${room}.bin`);
  await writeFile(p, randomBytes(48 * MiB));
  const o = await a.core.sendFile(p);
  await b.next("file_progress", (e) => e.transfer_id === o.transfer_id && e.bytes > 0);
  const poolA = sealPoolOf(a.core);
  const poolB = poolOf(b.core);
  assert.ok(poolA && poolA.threads > 0, "the sender's workers run");
  assert.ok(poolB && poolB.threads > 0, "the receiver's workers run");
  return { a, b, poolA, poolB };
}

test("worker threads end on disconnect, reset and emergency close; temp files go (a partial kept for a resume once its own user leaves)", async () => {
  // Disconnect of the sender: its threads end; the receiver gets a reset, and its threads end too.
  {
    const { a, b, poolA, poolB } = await midTransfer("pipe-disc");
    await a.close();
    await b.next("reset");
    await b.next("file_receive_failed");
    await a.next("file_send_failed");
    assert.equal(poolA.isClosed, true);
    assert.equal(poolA.threads, 0);
    assert.equal(poolB.isClosed, true);
    assert.equal(poolB.threads, 0);
    assert.equal(sealPoolOf(a.core), null);
    assert.equal(poolOf(b.core), null);
    // The peer may come back: the partial file is kept for a resume (docs/PROTOCOL-EXTENSIONS.md §5) until B leaves.
    await b.close();
    assert.deepEqual(await tempFilesIn(b.downloadDir), []);
    await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
  }
  // Emergency close by the receiver while chunks stream in.
  {
    const { a, b, poolA, poolB } = await midTransfer("pipe-emerg");
    b.core.emergencyClose();
    await a.next("emergency_close");
    await Promise.all([a.next("disconnected"), b.next("disconnected")]);
    await a.next("file_send_failed");
    assert.equal(poolA.threads, 0);
    assert.equal(poolB.threads, 0);
    // The abandoned download's temp file goes once its pending disk writes have
    // settled; on a loaded machine that can take a while (a wait, not an assertion).
    for (let i = 0; i < 200 && (await tempFilesIn(b.downloadDir)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await tempFilesIn(b.downloadDir), []);
    await Promise.all([a.close(), b.close()]);
    await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
  }
});

test("no thread outlives the core: a process that transfers and disconnects exits on its own", async () => {
  const { spawn } = await import("node:child_process");
  const script = `
    import { ClientCore } from ${JSON.stringify(new URL("../src/client/core.js", import.meta.url).href)};
    import { writeFileSync, mkdtempSync } from "node:fs";
    import { randomBytes } from "node:crypto";
    import { tmpdir } from "node:os";
    import { join } from "node:path";
    const dir = mkdtempSync(join(tmpdir(), "pqchat-exit-"));
    const file = join(dir, "f.bin");
    writeFileSync(file, randomBytes(6 * 1024 * 1024));
    const a = new ClientCore({ downloadDir: dir, autoVerify: true });
    const b = new ClientCore({ downloadDir: dir, autoVerify: true, acceptFiles: true });
    const got = new Promise((r) => b.on("file_received", r));
    const verified = new Promise((r) => a.once("peer_verified", r));
    await a.connect({ host: "127.0.0.1", port: ${server.port}, room: "pipe-exit" });
    await new Promise((r) => setTimeout(r, 200));
    await b.connect({ host: "127.0.0.1", port: ${server.port}, room: "pipe-exit" });
    await verified;
    await a.sendFile(file);
    await got;
    await a.disconnect();
    await b.disconnect();
    process.stdout.write("done\\n");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill();
      reject(new Error("the process did not exit within 30 s"));
    }, 30000);
    child.once("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(out.trim(), "done");
  assert.equal(code, 0);
});

test("--gzip-level reaches the file pipeline: level 0 never shrinks (sent uncompressed), level 1 compresses", async () => {
  const { parseChatArgs } = await import("../src/commands/chat.js");
  const text = Buffer.from("gzip level wiring check, a compressible line of text\n".repeat(40000));
  const p = path.join(src, "level.txt");
  await writeFile(p, text);
  for (const [level, compressed] of [["0", false], ["1", true]] as const) {
    const dl = await tempDir("pqchat-lvl-");
    const args = parseChatArgs(["--json", "--gzip-level", level, "--download-dir", dl]);
    assert.ok(args);
    assert.equal(args.options.gzipLevel, Number(level));
    const a = new TestClient("A", dl, { ...args.options, dummyTraffic: false });
    const b = await newClient("B", { acceptFiles: true });
    await pair(server, a, b, { room: `pipe-level-${level}` });
    try {
      const off = await a.core.sendFile(p);
      assert.equal(off.compressed, compressed);
      const got = await b.next("file_received", (e) => e.transfer_id === off.transfer_id);
      assert.equal(got.hash_ok, true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([removeDir(dl), removeDir(b.downloadDir)]);
    }
  }
});
