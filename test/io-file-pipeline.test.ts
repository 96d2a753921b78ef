// The file pipeline in src/io/file: multi-member gzip compressed on worker threads
// (and accepted whole by IncomingTransfer), the sample-based compression skip,
// the in-order streaming receive (hash and gunzip as chunks arrive) with its
// fall-back for chunks out of order, and temp-file cleanup on every failure.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { CHUNK_SIZE, FileTransferError, chunkCount, describeFile, fileHashHex, type FileMetadata } from "../src/protocol/file/index.js";
import { IncomingTransfer, prepareOutgoingFile, type OutgoingFile } from "../src/io/file/index.js";
import { WorkerPool } from "../src/io/workers/pool.js";

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pqchat-fpipe-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function dir(label: string): Promise<string> {
  const d = path.join(root, `${label}-${n++}`);
  await mkdir(d);
  return d;
}

async function source(name: string, data: Uint8Array): Promise<string> {
  const p = path.join(await dir("src"), name);
  await writeFile(p, data);
  return p;
}

async function collect(out: OutgoingFile): Promise<Buffer[]> {
  const res: Buffer[] = [];
  for await (const c of out.chunks()) res.push(Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length));
  return res;
}

function logText(bytes: number): Buffer {
  const lines: string[] = [];
  let len = 0;
  for (let i = 0; len < bytes; i++) {
    const l = `${String(i).padStart(8, "0")} INFO request ${(i * 7919) % 100003} took ${(i * 31) % 997} ms\n`;
    lines.push(l);
    len += l.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

/** Gzip members in a stream: header bytes as Node's zlib writes them (mtime 0, XFL 0, OS 3). */
function countMembers(stream: Uint8Array): number {
  const hdr = Buffer.from("1f8b08000000000000", "hex");
  let count = 0;
  for (let i = Buffer.from(stream).indexOf(hdr); i >= 0; i = Buffer.from(stream).indexOf(hdr, i + 1)) count++;
  return count;
}

async function receiveAll(meta: FileMetadata, chunks: Uint8Array[], dl: string, order?: number[]) {
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  const inOrder: boolean[] = [];
  for (const i of order ?? chunks.map((_, k) => k)) {
    assert.equal(await inc.writeChunk(i, chunks[i]!), true);
    inOrder.push(inc.streamingInOrder);
  }
  const res = await inc.finish();
  return { inc, res, inOrder };
}

test("multi-member gzip from the worker pool: valid gzip, accepted whole by IncomingTransfer, same hash", async () => {
  const data = logText(3 * CHUNK_SIZE + 12345);
  const src = await source("log.txt", data);
  const tmp = await dir("tmp");
  const blockSize = 256 * 1024;
  const out = await prepareOutgoingFile(src, { compress: true, tmpDir: tmp, blockSize, gzipLevel: 6 });
  try {
    const m = out.metadata;
    assert.equal(m.compressed, true);
    assert.equal(m.file_hash, await fileHashHex(data));
    const chunks = await collect(out);
    const stream = Buffer.concat(chunks);
    assert.equal(stream.length, m.processed_size);
    assert.equal(m.total_chunks, chunkCount(stream.length));
    assert.equal(countMembers(stream), Math.ceil(data.length / blockSize), "one member per block");
    assert.equal(Buffer.compare(gunzipSync(stream), data), 0, "zlib reads all members");
    // Close to what one member would give (the 32 KiB window restarts per member).
    assert.ok(stream.length < gzipSync(data, { level: 6 }).length * 1.1);
    const dl = await dir("dl");
    const { res, inOrder } = await receiveAll(m, chunks, dl);
    assert.equal(res.blake2b, m.file_hash);
    assert.ok(inOrder.every(Boolean), "streamed in order");
    assert.equal(Buffer.compare(await readFile(res.path), data), 0);
    assert.deepEqual(await readdir(dl), ["log.txt"]);
  } finally {
    await out.cleanup();
  }
  assert.deepEqual(await readdir(tmp), []);
});

test("a lent pool is used and left running; a private one is ended", async () => {
  const pool = new WorkerPool(2);
  try {
    const data = logText(2 * CHUNK_SIZE);
    const out = await prepareOutgoingFile(await source("a.txt", data), { compress: true, tmpDir: await dir("tmp"), blockSize: 512 * 1024, pool });
    assert.ok(pool.started >= 1, "the lent pool compressed the members");
    assert.equal(pool.isClosed, false);
    assert.equal(Buffer.compare(gunzipSync(Buffer.concat(await collect(out))), data), 0);
    await out.cleanup();
  } finally {
    await pool.terminate();
  }
});

test("sample check: random data is sent uncompressed even as .txt; text is compressed; sampleCheck:false forces gzip", async () => {
  for (const size of [5000, 3 * CHUNK_SIZE + 7]) {
    const rnd = randomBytes(size);
    const r = await prepareOutgoingFile(await source("noise.txt", rnd), { compress: true, tmpDir: await dir("tmp") });
    assert.equal(r.metadata.compressed, false, `random ${size}`);
    assert.equal(r.metadata.processed_size, size);
    assert.equal(r.processedPath.endsWith("noise.txt"), true, "no temp copy");
    await r.cleanup();
    const forced = await prepareOutgoingFile(await source("noise.txt", rnd), { compress: true, sampleCheck: false, tmpDir: await dir("tmp") });
    assert.equal(forced.metadata.compressed, true);
    await forced.cleanup();
    const txt = logText(size);
    const t = await prepareOutgoingFile(await source("log.txt", txt), { compress: true, tmpDir: await dir("tmp") });
    assert.equal(t.metadata.compressed, true, `text ${size}`);
    assert.ok(t.metadata.processed_size < size * 0.9);
    await t.cleanup();
  }
  // Random with a small compressible header: the spread-out samples see the random part.
  const mixed = Buffer.concat([Buffer.alloc(40 * 1024, "a"), randomBytes(4 * CHUNK_SIZE)]);
  const m = await prepareOutgoingFile(await source("mixed.dat", mixed), { compress: true, tmpDir: await dir("tmp") });
  assert.equal(m.metadata.compressed, false);
  await m.cleanup();
  // The level matters: level 0 (stored) never shrinks anything, so nothing is compressed.
  const l0 = await prepareOutgoingFile(await source("log.txt", logText(100_000)), { compress: true, gzipLevel: 0, tmpDir: await dir("tmp") });
  assert.equal(l0.metadata.compressed, false);
  await l0.cleanup();
});

test("streaming receive: compressed chunks out of order fall back to the finish-time pass; duplicates are ignored", async () => {
  const data = logText(6 * CHUNK_SIZE);
  const stream = gzipSync(data, { level: 0 }); // stored: many chunks
  const hash = await fileHashHex(data);
  const meta = describeFile({ filename: "o.txt", fileSize: data.length, fileHash: hash, processedSize: stream.length, compressed: true });
  const chunks: Buffer[] = [];
  for (let o = 0; o < stream.length; o += CHUNK_SIZE) chunks.push(Buffer.from(stream.subarray(o, o + CHUNK_SIZE)));
  const order = chunks.map((_, i) => i);
  [order[2], order[3]] = [order[3]!, order[2]!];
  const dl = await dir("dl");
  const { res, inOrder } = await receiveAll(meta, chunks, dl, order);
  assert.deepEqual(inOrder.slice(0, 2), [true, true]);
  assert.ok(inOrder.slice(2).every((x) => !x), "the stream is abandoned at the first chunk out of order");
  assert.equal(res.blake2b, hash);
  assert.equal(Buffer.compare(await readFile(res.path), data), 0);
  assert.deepEqual(await readdir(dl), ["o.txt"], "the abandoned stream's temp file is gone");

  // In order with a duplicate in between: the stream survives, the duplicate is ignored.
  const dl2 = await dir("dl");
  const inc = new IncomingTransfer(meta, dl2);
  await inc.accept();
  for (let i = 0; i < chunks.length; i++) {
    assert.equal(await inc.writeChunk(i, chunks[i]!), true);
    if (i === 1) assert.equal(await inc.writeChunk(0, chunks[0]!), false);
  }
  assert.equal(inc.streamingInOrder, true);
  assert.equal((await inc.finish()).blake2b, hash);
});

test("streaming receive: the bomb guard stops the in-order stream during the chunk writes", async () => {
  // A zero bomb in the first member, then enough stored data for several chunks: the
  // announced sizes look plausible, but the output passes file_size within the first chunk.
  const stream = Buffer.concat([gzipSync(Buffer.alloc(64 * CHUNK_SIZE), { level: 9 }), gzipSync(randomBytes(3 * CHUNK_SIZE), { level: 0 })]);
  const claimed = randomBytes(3 * CHUNK_SIZE + 4096);
  const hash = await fileHashHex(claimed);
  const meta = describeFile({ filename: "b.txt", fileSize: claimed.length, fileHash: hash, processedSize: stream.length, compressed: true });
  const dl = await dir("dl");
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  let failedAt = -1;
  for (let i = 0; i < meta.total_chunks; i++) {
    try {
      await inc.writeChunk(i, stream.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE));
    } catch (err) {
      assert.ok(err instanceof FileTransferError && err.kind === "file_too_large", String(err));
      failedAt = i;
      break;
    }
  }
  assert.ok(failedAt >= 0 && failedAt < meta.total_chunks - 1, `failed at chunk ${failedAt}, before the end`);
  assert.equal(inc.state, "failed");
  assert.deepEqual(await readdir(dl), []);
  await inc.abort();
});

test("sender: failures (abort, pool ended mid-way, unreadable file) leave no temp file", async () => {
  const tmp = await dir("tmp");
  const data = logText(8 * CHUNK_SIZE);
  const src = await source("big.txt", data);
  // Abort while compressing.
  const ac = new AbortController();
  const p1 = prepareOutgoingFile(src, { compress: true, tmpDir: tmp, blockSize: 256 * 1024, gzipLevel: 9, signal: ac.signal, onProgress: (b) => b > CHUNK_SIZE && ac.abort() });
  await assert.rejects(p1, (e: unknown) => e instanceof FileTransferError && e.kind === "io_error");
  assert.deepEqual(await readdir(tmp), []);
  // The lent pool is terminated mid-way (the session ended).
  const pool = new WorkerPool(2);
  const p2 = prepareOutgoingFile(src, { compress: true, tmpDir: tmp, blockSize: 256 * 1024, gzipLevel: 9, pool, onProgress: (b) => b > 2 * CHUNK_SIZE && void pool.terminate() });
  await assert.rejects(p2, (e: unknown) => e instanceof FileTransferError && e.kind === "io_error");
  assert.deepEqual(await readdir(tmp), []);
  assert.equal(pool.threads, 0);
  // A directory is not a file.
  await assert.rejects(prepareOutgoingFile(tmp, { compress: true, tmpDir: tmp }), FileTransferError);
  assert.deepEqual(await readdir(tmp), []);
});
