// File transfers between two ClientCores through a real `pqchat server`:
// 10 MiB compressible and random files both ways with hash check, an empty
// file, the reject flow and the accept policies; no temp files left behind.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { fileHashHex } from "../src/protocol/file/index.js";
import { CommandError } from "../src/client/api.js";
import { expectNone, newClient, pair, removeDir, startServer, tempDir, tempFilesIn, type ServerHandle, type TestClient } from "./helpers/client-harness.js";

const MiB = 1024 * 1024;
let server: ServerHandle;
let src: string;
before(async () => {
  server = await startServer(["--max-clients", "6"]);
  src = await tempDir("pqchat-src-");
});
after(async () => {
  await server.stop();
  await removeDir(src);
});

function textContent(bytes: number): Buffer {
  const line = "The quick brown fox jumps over the lazy dog 0123456789 — ünïcödé line\n";
  return Buffer.from(line.repeat(Math.ceil(bytes / Buffer.byteLength(line)))).subarray(0, bytes);
}

async function sendAndCheck(from: TestClient, to: TestClient, name: string, content: Buffer, compress = true): Promise<void> {
  const p = path.join(src, name);
  await writeFile(p, content);
  const offered = await from.core.sendFile(p, { compress });
  assert.equal(offered.file_size, content.length);
  assert.equal(offered.file_hash, await fileHashHex(content));
  const offer = await to.next("file_offer", (o) => o.transfer_id === offered.transfer_id);
  assert.equal(offer.filename, name);
  await from.next("file_accepted", (e) => e.transfer_id === offered.transfer_id);
  await from.next("file_sent", (e) => e.transfer_id === offered.transfer_id);
  const got = await to.next("file_received", (e) => e.transfer_id === offered.transfer_id);
  assert.equal(got.hash_ok, true);
  assert.equal(got.size, content.length);
  assert.equal(got.blake2b, offered.file_hash);
  assert.equal(path.dirname(got.path), to.downloadDir);
  assert.ok(path.isAbsolute(got.path));
  assert.ok((await readFile(got.path)).equals(content));
  await from.next("file_complete", (e) => e.transfer_id === offered.transfer_id);
  const prog = to.log.filter((e) => e.name === "file_progress" && (e.payload as { transfer_id: string }).transfer_id === offered.transfer_id);
  assert.ok(prog.length >= 1 && prog.length <= Math.max(2, offered.total_chunks + 1));
  // The sender reports the final byte count exactly once.
  const sent = from.log.filter((e) => e.name === "file_progress" && (e.payload as { transfer_id: string; bytes: number }).transfer_id === offered.transfer_id);
  const finals = sent.filter((e) => (e.payload as { bytes: number }).bytes === offered.processed_size);
  assert.equal(finals.length, 1);
  assert.deepEqual(await tempFilesIn(to.downloadDir), []);
}

test("10 MiB compressible and random files both ways, an empty file, with hash check", async () => {
  const a = await newClient("A", { acceptFiles: true });
  const b = await newClient("B", { acceptFiles: true });
  await pair(server, a, b, { room: "files-1" });
  const t0 = Date.now();
  await Promise.all([
    sendAndCheck(a, b, "a-text.txt", textContent(10 * MiB)),
    sendAndCheck(b, a, "b-random.dat", randomBytes(10 * MiB)),
  ]);
  await Promise.all([
    sendAndCheck(a, b, "a-random.bin", randomBytes(10 * MiB + 12345)), // .bin: sent uncompressed
    sendAndCheck(b, a, "b-text.txt", textContent(10 * MiB), false),
  ]);
  await sendAndCheck(a, b, "empty.txt", Buffer.alloc(0));
  await sendAndCheck(b, a, "empty.bin", Buffer.alloc(0), false);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 60000, `transfers took ${elapsed} ms`);
  // Dummies resumed after the transfers on both sides (unlike the reference receiver, WIRE-NOTES §15.22).
  const before = b.core.state().peer_counter;
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(b.core.state().peer_counter > before, "A sends dummies again after its transfers");
  assert.deepEqual(a.errors(), []);
  assert.deepEqual(b.errors(), []);
  await Promise.all([a.close(), b.close()]);
  await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
});

test("reject flow and accept policies", async () => {
  const a = await newClient("A");
  const b = await newClient("B", { acceptFiles: "ask" });
  await pair(server, a, b, { room: "files-2" });
  const p = path.join(src, "policy.txt");
  await writeFile(p, "some content\n");

  // "ask": the user rejects.
  const o1 = await a.core.sendFile(p);
  const offer = await b.next("file_offer");
  assert.equal(offer.transfer_id, o1.transfer_id);
  assert.equal(b.core.state().transfers.length, 1);
  b.core.rejectFile(offer.transfer_id);
  assert.equal((await a.next("file_rejected")).reason, "User declined");
  assert.equal((await b.next("file_rejected")).direction, "in");
  assert.throws(() => b.core.acceptFile(offer.transfer_id), CommandError);

  // Policy false: auto-reject with the reference's reason.
  b.core.setAcceptFiles(false);
  await a.core.sendFile(p);
  await b.next("file_offer");
  assert.equal((await a.next("file_rejected")).reason, "User disabled file transfers");

  // Policy true: auto-accept.
  b.core.setAcceptFiles(true);
  const o3 = await a.core.sendFile(p);
  await b.next("file_offer");
  const r = await b.next("file_received");
  assert.equal(r.transfer_id, o3.transfer_id);
  assert.equal(await readFile(r.path, "utf8"), "some content\n");
  await a.next("file_complete");

  // "ask" then accept, twice the same name: the second gets a new name, nothing is overwritten.
  b.core.setAcceptFiles("ask");
  await a.core.sendFile(p);
  const off2 = await b.next("file_offer");
  b.core.acceptFile(off2.transfer_id);
  const r2 = await b.next("file_received");
  assert.notEqual(r2.path, r.path);
  assert.equal(path.dirname(r2.path), b.downloadDir);
  await a.next("file_complete");
  await expectNone(a, "error", 200);
  assert.deepEqual(b.errors(), []);
  assert.deepEqual(await tempFilesIn(b.downloadDir), []);
  await Promise.all([a.close(), b.close()]);
  await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
});

test("a disconnect in the middle of a transfer fails it on both sides; the receiver's partial file is kept for a resume until its own user leaves", async () => {
  const a = await newClient("A");
  const b = await newClient("B", { acceptFiles: true });
  await pair(server, a, b, { room: "files-3" });
  const p = path.join(src, "big.bin");
  await writeFile(p, randomBytes(24 * MiB));
  const o = await a.core.sendFile(p);
  await b.next("file_progress", (e) => e.transfer_id === o.transfer_id && e.bytes > 0);
  await a.close();
  const f = await b.next("file_receive_failed");
  assert.equal(f.kind, "connection_error");
  // B cannot tell a peer that left on purpose from one whose network failed (docs/PROTOCOL-EXTENSIONS.md §5).
  assert.equal(f.resumable, true);
  await b.next("reset");
  const sf = await a.next("file_send_failed");
  assert.equal(sf.resumable, undefined, "A left on purpose: nothing is kept on its side");
  assert.equal((await tempFilesIn(b.downloadDir)).length, 1);
  await b.close();
  assert.deepEqual(await tempFilesIn(b.downloadDir), []);
  await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
});
