// Resumable transfers (docs/PROTOCOL-EXTENSIONS.md §5, SPEC §20.2) with real
// client cores and a real `pqchat server` killed (SIGKILL) in the middle of a
// transfer and started again on the same port:
// - carried session: the sender offers the file again by itself, the receiver
//   accepts by itself with the chunks it lacks, only those are sent, the
//   whole-file hash is checked;
// - session not carried: nothing moves until both users say yes;
// - a reference-like sender that offers the same file again gets a plain
//   FILE_ACCEPT (no extension field) and sends everything;
// - a kept partial file is deleted when its time is up.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, test } from "node:test";
import { join } from "../src/protocol/index.js";
import type { ClientOptions } from "../src/client/api.js";
import { TestClient, newClient, pair, removeDir, startServer, tempDir, tempFilesIn, type ServerHandle } from "./helpers/client-harness.js";
import { MiB, rawOffer } from "./helpers/hostile-pair.js";
import { HostilePeer } from "./helpers/hostile-peer.js";

const servers: ServerHandle[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
  await Promise.all(dirs.map((d) => removeDir(d)));
});

async function relay(port?: number): Promise<ServerHandle> {
  const s = await startServer(port === undefined ? [] : ["--port", String(port)]);
  servers.push(s);
  return s;
}

async function client(label: string, opts: ClientOptions = {}): Promise<TestClient> {
  const c = await newClient(label, { continuityTimeoutMs: 3000, ...opts });
  clients.push(c);
  dirs.push(c.downloadDir);
  return c;
}

async function randomFile(size: number): Promise<{ file: string; content: Buffer }> {
  const dir = await tempDir("pqchat-resume-src-");
  dirs.push(dir);
  const content = randomBytes(size);
  // .bin: never compressed (WIRE-NOTES §8.2), so the processed stream is the file itself.
  const file = path.join(dir, "data.bin");
  await writeFile(file, content);
  return { file, content };
}

/**
 * A sends `file` to B; once B holds `atLeast` bytes, B stops reading and the
 * relay is killed; both see the end; a new relay takes the old port.
 */
async function interruptedTransfer(a: TestClient, b: TestClient, first: ServerHandle, file: string, atLeast: number): Promise<{ id: string; server: ServerHandle }> {
  const offered = await a.core.sendFile(file);
  const id = offered.transfer_id;
  await b.next("file_offer", (e) => e.transfer_id === id);
  if (!b.core.state().transfers.some((t) => t.transfer_id === id && t.status !== "offered")) b.core.acceptFile(id);
  await b.next("file_progress", (e) => e.transfer_id === id && e.bytes >= atLeast, 60_000);
  b.core.pauseInbound("test");
  const gone = Promise.all([a.next("disconnected"), b.next("disconnected", () => true, 60_000)]);
  await first.stop("SIGKILL");
  b.core.resumeInbound("test");
  await gone;
  return { id, server: await relay(first.port) };
}

const rejoin = (c: TestClient, s: ServerHandle, room: string): Promise<void> => c.core.connect({ host: s.host, port: s.port, room });

test("relay killed mid-transfer, carried reconnect: the transfer resumes by itself and sends only what is missing", async () => {
  const first = await relay();
  const room = `r${randomBytes(6).toString("hex")}`;
  const a = await client("A");
  const b = await client("B", { acceptFiles: true });
  await pair(first, a, b, { room });
  await Promise.all([a.next("verified"), b.next("verified")]);
  const { file, content } = await randomFile(48 * MiB);
  const { id, server } = await interruptedTransfer(a, b, first, file, 6 * MiB);
  const sendFailed = await a.next("file_send_failed", (e) => e.transfer_id === id);
  assert.equal(sendFailed.resumable, true);
  const recvFailed = await b.next("file_receive_failed", (e) => e.transfer_id === id);
  assert.equal(recvFailed.resumable, true);
  assert.equal((await tempFilesIn(b.downloadDir)).length > 0, true, "the partial file is kept");

  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  await rejoin(b, server, room);
  await a.next("file_offered", (e) => e.transfer_id === id && e.resumed === true);
  const offer = await b.next("file_offer", (e) => e.transfer_id === id && e.resume_from !== undefined);
  assert.equal(offer.auto, "accept");
  assert.ok(offer.resume_from !== undefined && offer.resume_from >= 6 * MiB && offer.resume_from < content.length, `resume_from ${offer.resume_from}`);
  const accepted = await a.next("file_accepted", (e) => e.transfer_id === id && e.resume_from !== undefined);
  assert.ok(accepted.resume_from !== undefined && accepted.resume_from >= offer.resume_from);
  const got = await b.next("file_received", (e) => e.transfer_id === id, 60_000);
  assert.equal(got.hash_ok, true);
  assert.equal(got.resumed_from, accepted.resume_from);
  assert.deepEqual(await readFile(got.path), content);
  await a.next("file_complete", (e) => e.transfer_id === id);
  // Only the missing part was sent: A's progress in this session starts where B stood.
  const progress = a.log.filter((e) => e.name === "file_progress" && (e.payload as { transfer_id: string }).transfer_id === id);
  const afterResume = progress.map((e) => (e.payload as { bytes: number }).bytes).filter((n) => n >= (accepted.resume_from ?? 0));
  assert.ok(afterResume.length > 0);
  assert.deepEqual(await tempFilesIn(b.downloadDir), []);
});

test("no carried verification: nothing resumes by itself; the sender's user and the receiver's user both say yes", async () => {
  const first = await relay();
  const room = `u${randomBytes(6).toString("hex")}`;
  const a = await client("A");
  const b = await client("B");
  await pair(first, a, b, { room, verify: false });
  const { file, content } = await randomFile(32 * MiB);
  const { id, server } = await interruptedTransfer(a, b, first, file, 4 * MiB);
  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  await rejoin(b, server, room);
  const ask = await a.next("file_resumable", (e) => e.transfer_id === id);
  assert.equal(ask.direction, "out");
  assert.equal(a.count("file_offered"), 1, "not offered again by itself");
  a.core.resumeFile(id, true);
  const offer = await b.next("file_offer", (e) => e.transfer_id === id && e.resume_from !== undefined);
  assert.equal(offer.auto, null, "the receiver's user is asked");
  assert.ok(offer.resume_from !== undefined && offer.resume_from >= 4 * MiB);
  b.core.acceptFile(id);
  const got = await b.next("file_received", (e) => e.transfer_id === id, 60_000);
  assert.equal(got.hash_ok, true);
  assert.ok(got.resumed_from !== undefined && got.resumed_from >= 4 * MiB);
  assert.deepEqual(await readFile(got.path), content);
  assert.throws(() => a.core.resumeFile(id, true), /No interrupted file transfer/);
});

test("a reference-like sender offering the same file again gets a plain accept and a full transfer; held chunks are skipped", async () => {
  const first = await relay();
  const room = `h${randomBytes(6).toString("hex")}`;
  const b = await client("B", { acceptFiles: "yes-unverified" });
  await b.core.connect({ host: first.host, port: first.port, room });
  await b.next("waiting_for_peer");
  const h1 = await HostilePeer.connect(first.port, first.host);
  h1.writeNow(join(room));
  await b.next("key_exchange_complete");
  await h1.ready();
  const o = await rawOffer("ref.bin", randomBytes(6 * MiB));
  await h1.sendInner(o.meta);
  await h1.nextInner((m) => m["type"] === 21);
  for (let i = 0; i < 3; i++) h1.sendChunk(o.meta.transfer_id, i, o.chunk(i));
  // Frames are handled in order: once this text is shown, the three chunks were taken.
  await h1.sendInner({ type: 13, text: "after the chunks" });
  await b.next("message");
  const gone = b.next("disconnected");
  await first.stop("SIGKILL");
  h1.close();
  await gone;
  const server = await relay(first.port);
  await b.core.connect({ host: server.host, port: server.port, room });
  await b.next("waiting_for_peer");
  const h2 = await HostilePeer.connect(server.port, server.host);
  h2.writeNow(join(room));
  await b.next("key_exchange_complete");
  await h2.ready();
  try {
    await h2.sendInner(o.meta);
    const offer = await b.next("file_offer", (e) => e.transfer_id === o.meta.transfer_id && e.resume_from !== undefined);
    assert.equal(offer.auto, null, "never resumed by itself for a peer that proved nothing");
    assert.equal(offer.resume_from, 3 * MiB);
    b.core.acceptFile(o.meta.transfer_id);
    const accept = await h2.nextInner((m) => m["type"] === 21);
    assert.deepEqual(Object.keys(accept).sort(), ["transfer_id", "type"], "no extension field for a peer that is not pqchat");
    for (let i = 0; i < o.meta.total_chunks; i++) h2.sendChunk(o.meta.transfer_id, i, o.chunk(i));
    const got = await b.next("file_received", (e) => e.transfer_id === o.meta.transfer_id);
    assert.equal(got.hash_ok, true);
    assert.equal(got.resumed_from, 3 * MiB);
    assert.deepEqual(await readFile(got.path), o.processed);
    assert.equal(b.errors("chunk_rejected").length, 0, "the chunks held already were skipped quietly");
  } finally {
    h2.close();
  }
});

test("a kept partial file is deleted when its time is up", async () => {
  const first = await relay();
  const room = `k${randomBytes(6).toString("hex")}`;
  const a = await client("A", { resumeKeepMs: 4000 });
  const b = await client("B", { acceptFiles: true, resumeKeepMs: 4000 });
  await pair(first, a, b, { room });
  const { file } = await randomFile(32 * MiB);
  const offered = await a.core.sendFile(file);
  await b.next("file_progress", (e) => e.transfer_id === offered.transfer_id && e.bytes >= 4 * MiB, 60_000);
  b.core.pauseInbound("test");
  const kept = b.next("file_receive_failed", (e) => e.resumable === true, 60_000);
  await first.stop("SIGKILL");
  b.core.resumeInbound("test");
  await kept;
  const t0 = performance.now();
  assert.ok((await tempFilesIn(b.downloadDir)).length > 0, "kept at first");
  while ((await tempFilesIn(b.downloadDir)).length > 0) {
    assert.ok(performance.now() - t0 < 30_000, "the kept partial file was not removed");
    await new Promise((r) => setTimeout(r, 200));
  }
});
