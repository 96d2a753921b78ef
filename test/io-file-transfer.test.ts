// Sending and receiving files through real temporary directories (WIRE-NOTES §8, §15.5–7, §15.20).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile, appendFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { pyjson } from "../src/protocol/pyjson.js";
import { fileCaseContent } from "./helpers/fixtures.js";
import { CHUNK_SIZE, FileTransferError, chunkCount, describeFile, fileHashHex, metadataInner, transferId, validateMetadata, type FileMetadata } from "../src/protocol/file/index.js";
import { IncomingTransfer, prepareOutgoingFile, type OutgoingFile, type PrepareOptions } from "../src/io/file/index.js";

interface Case {
  name: string;
  filename: string;
  file_size: number;
  content_sha256: string;
  compress_requested: boolean;
  metadata: FileMetadata;
  metadata_inner_json: string;
  processed_stream_len: number;
  processed_stream_sha256: string;
  chunk_lengths: number[];
  chunk_sha256: string[];
  content_hex?: string;
  processed_stream_hex?: string;
}
const V = JSON.parse(readFileSync(new URL("../../test/fixtures/file.json", import.meta.url), "utf8")) as { cases: Case[] };

const content = (c: Case): Buffer => fileCaseContent(c);

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let root: string;
let tmpDir: string; // sender temp files
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pqchat-file-"));
  tmpDir = path.join(root, "send-tmp");
  await mkdir(tmpDir);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCounter = 0;
async function freshDir(label: string): Promise<string> {
  const d = path.join(root, `${label}-${dirCounter++}`);
  await mkdir(d);
  return d;
}

async function writeSource(name: string, data: Uint8Array): Promise<string> {
  const d = await freshDir("src");
  const p = path.join(d, name);
  await writeFile(p, data);
  return p;
}

async function collect(out: OutgoingFile): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let expect = 0;
  for await (const { index, data } of out.chunks()) {
    assert.equal(index, expect++);
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  }
  return chunks;
}

/** What the receiver does: parse the wire JSON, validate, accept, write every chunk, finish. */
async function receive(meta: FileMetadata, chunks: Uint8Array[], dir: string, order?: number[]) {
  const wire = JSON.parse(pyjson(metadataInner(meta))) as unknown;
  const inc = new IncomingTransfer(validateMetadata(wire), dir);
  await inc.accept();
  for (const i of order ?? chunks.map((_, k) => k)) {
    const c = chunks[i];
    assert.ok(c);
    assert.equal(await inc.writeChunk(i, c), true);
  }
  assert.equal(inc.isComplete, true);
  return inc.finish();
}

async function sendAndReceive(name: string, data: Uint8Array, opts: PrepareOptions) {
  const src = await writeSource(name, data);
  const out = await prepareOutgoingFile(src, { tmpDir, ...opts });
  try {
    const chunks = await collect(out);
    const dl = await freshDir("dl");
    const res = await receive(out.metadata, chunks, dl);
    assert.deepEqual(Buffer.compare(await readFile(res.path), Buffer.from(data)), 0);
    assert.equal(res.size, data.length);
    assert.equal(res.blake2b, await fileHashHex(data));
    assert.deepEqual(await readdir(dl), [path.basename(res.path)], "no temp files left in the download dir");
    return { out, chunks, res };
  } finally {
    await out.cleanup();
  }
}

function isKind(kind: string) {
  return (e: unknown) => {
    assert.ok(e instanceof FileTransferError, `expected FileTransferError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return true;
  };
}

// ---------------------------------------------------------------------------
// Vectors

for (const c of V.cases) {
  test(`vector ${c.name}: our sender and receiver`, async () => {
    const data = content(c);
    assert.equal(sha256(data), c.content_sha256);
    const src = await writeSource(c.filename, data);
    // compressEmpty:false, sampleCheck:false = the reference sender's exact behaviour, to compare with the vector.
    const out = await prepareOutgoingFile(src, { compress: c.compress_requested, compressEmpty: false, sampleCheck: false, tmpDir });
    try {
      const m = out.metadata;
      assert.equal(m.transfer_id, c.metadata.transfer_id);
      assert.equal(m.filename, c.metadata.filename);
      assert.equal(m.file_size, c.metadata.file_size);
      assert.equal(m.file_hash, c.metadata.file_hash);
      assert.equal(m.compressed, c.metadata.compressed);
      const chunks = await collect(out);
      if (!c.metadata.compressed) {
        // Uncompressed streams are byte-exact for senders (WIRE-NOTES §8.4).
        assert.deepEqual(m, c.metadata);
        assert.equal(pyjson(metadataInner(m)), c.metadata_inner_json);
        assert.deepEqual(chunks.map((x) => x.length), c.chunk_lengths);
        assert.deepEqual(chunks.map(sha256), c.chunk_sha256);
        assert.equal(sha256(Buffer.concat(chunks)), c.processed_stream_sha256);
      } else {
        // Our zlib differs from the reference's; the stream must describe itself and decompress to the content.
        const stream = Buffer.concat(chunks);
        assert.equal(m.processed_size, stream.length);
        assert.equal(m.total_chunks, chunkCount(stream.length));
        chunks.forEach((x, i) => assert.equal(x.length, i < chunks.length - 1 ? CHUNK_SIZE : stream.length - i * CHUNK_SIZE));
        assert.equal(Buffer.compare(gunzipSync(stream), data), 0);
      }
      if (m.total_chunks > 0) {
        const res = await receive(m, chunks, await freshDir("dl"));
        assert.equal(res.blake2b, c.metadata.file_hash);
        assert.equal(path.basename(res.path), c.filename);
        assert.equal(sha256(await readFile(res.path)), c.content_sha256);
      }
    } finally {
      await out.cleanup();
    }
  });
}

test("vector small_compressed: the reference's own gzip stream is accepted by IncomingTransfer", async () => {
  const c = V.cases.find((x) => x.name === "small_compressed");
  assert.ok(c?.processed_stream_hex);
  const stream = Buffer.from(c.processed_stream_hex, "hex");
  assert.equal(stream.length, c.metadata.processed_size);
  assert.equal(sha256(stream), c.processed_stream_sha256);
  const dl = await freshDir("dl");
  const res = await receive(c.metadata, [stream], dl);
  assert.equal(res.blake2b, c.metadata.file_hash);
  assert.equal(res.size, c.file_size);
  assert.equal(path.basename(res.path), "notes.txt");
  assert.equal(sha256(await readFile(res.path)), c.content_sha256);
});

test("vector empty_uncompressed: 0 chunks completes on our receiver right after accept()", async () => {
  const c = V.cases.find((x) => x.name === "empty_uncompressed");
  assert.ok(c);
  const dl = await freshDir("dl");
  const res = await receive(c.metadata, [], dl);
  assert.equal(res.size, 0);
  assert.equal(res.blake2b, c.metadata.file_hash);
  assert.equal(path.basename(res.path), "empty.bin");
  assert.equal((await stat(res.path)).size, 0);
});

// ---------------------------------------------------------------------------
// Round trips

const SIZES: [string, number][] = [
  ["1 B", 1],
  ["exactly 1 MiB", CHUNK_SIZE],
  ["1 MiB + 1", CHUNK_SIZE + 1],
  ["~3.5 MiB", 3.5 * CHUNK_SIZE + 123],
];
for (const [label, size] of SIZES) {
  for (const kind of ["random", "compressible"] as const) {
    for (const compress of [false, true]) {
      test(`round trip ${label} ${kind} ${compress ? "compressed" : "uncompressed"}`, async () => {
        const data = kind === "random" ? randomBytes(size) : Buffer.alloc(size, "hello pqchat file layer\n");
        const { out, chunks } = await sendAndReceive(`data-${kind}.txt`, data, { compress });
        // Random data (and a 1-byte file) shrink by less than 10 %: sent uncompressed even as .txt.
        assert.equal(out.metadata.compressed, compress && kind === "compressible" && size > 1);
        assert.equal(chunks.length, out.metadata.total_chunks);
        if (!compress) {
          assert.equal(out.metadata.processed_size, size);
          assert.equal(out.metadata.total_chunks, Math.ceil(size / CHUNK_SIZE));
        }
        if (out.metadata.compressed) assert.ok(out.metadata.processed_size < size / 10 + 100);
      });
    }
  }
}

test("empty file: sent as a one-chunk gzip by default (works with reference receivers), whatever the extension", async () => {
  for (const [name, compress] of [["empty.txt", false], ["empty.bin", true], ["empty.zip", false]] as const) {
    const { out, chunks } = await sendAndReceive(name, new Uint8Array(0), { compress });
    assert.equal(out.metadata.compressed, true);
    assert.equal(out.metadata.total_chunks, 1);
    assert.equal(chunks.length, 1);
    assert.equal(out.metadata.processed_size, chunks[0]?.length);
    assert.equal(out.metadata.file_hash, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    assert.equal(out.metadata.transfer_id, transferId(name, 0, out.metadata.file_hash));
  }
  // compressEmpty:false reproduces the reference: 0 chunks, still received fine by us.
  const { out, chunks } = await sendAndReceive("e.txt", new Uint8Array(0), { compress: false, compressEmpty: false });
  assert.equal(out.metadata.compressed, false);
  assert.equal(out.metadata.total_chunks, 0);
  assert.equal(chunks.length, 0);
});

test("incompressible extension is sent uncompressed even when compression is requested", async () => {
  const data = Buffer.alloc(5000, 7);
  const { out } = await sendAndReceive("photo.JPG", data, { compress: true });
  assert.equal(out.metadata.compressed, false);
  assert.equal(out.metadata.processed_size, 5000);
});

test("sender: temp gzip lives in tmpDir as .pqchat-*, cleanup() is idempotent, progress is reported", async () => {
  const td = await freshDir("tmp");
  const data = Buffer.alloc(2 * CHUNK_SIZE + 5, "compressible ");
  const src = await writeSource("p.dat", data);
  const seen: number[] = [];
  const out = await prepareOutgoingFile(src, { compress: true, gzipLevel: 1, tmpDir: td, onProgress: (n, total) => {
    assert.equal(total, data.length);
    seen.push(n);
  } });
  const files = await readdir(td);
  assert.equal(files.length, 1);
  assert.match(files[0] ?? "", new RegExp(`^\\.pqchat-${process.pid}-[0-9a-f]{16}\\.gz\\.tmp$`, "u")); // our pid: a later start can tell it is live
  assert.equal(out.processedPath, path.join(td, files[0] ?? ""));
  assert.equal(seen.at(-1), data.length);
  assert.ok(seen.every((v, i) => i === 0 || v > (seen[i - 1] ?? 0)));
  // Chunks stay valid after the iterator moved on (fresh buffers).
  const chunks = await collect(out);
  const copies = chunks.map((c) => Buffer.from(c));
  await collect(out); // a second pass must not disturb the first pass's buffers
  chunks.forEach((c, i) => assert.equal(Buffer.compare(c, copies[i] ?? Buffer.alloc(0)), 0));
  await out.cleanup();
  await out.cleanup();
  assert.deepEqual(await readdir(td), []);
  await assert.rejects(collect(out), isKind("io_error"));
});

test("sender: errors leave no temp file; a file changed after the offer is refused", async () => {
  const td = await freshDir("tmp");
  await assert.rejects(prepareOutgoingFile(path.join(td, "missing.txt"), { compress: true, tmpDir: td }), isKind("io_error"));
  await assert.rejects(prepareOutgoingFile(td, { compress: true, tmpDir: td }), isKind("io_error"));
  const ac = new AbortController();
  ac.abort();
  const src = await writeSource("x.txt", randomBytes(3 * CHUNK_SIZE));
  await assert.rejects(prepareOutgoingFile(src, { compress: true, tmpDir: td, signal: ac.signal }), isKind("io_error"));
  assert.deepEqual(await readdir(td), []);
  await assert.rejects(prepareOutgoingFile(src, { compress: true, tmpDir: td, gzipLevel: 12 }), RangeError);

  const out = await prepareOutgoingFile(src, { compress: false, tmpDir: td });
  await appendFile(src, "more");
  await assert.rejects(collect(out), isKind("io_error"));
  await out.cleanup();
});

// ---------------------------------------------------------------------------
// Receiver rules

function uncompressedMeta(data: Uint8Array, hash: string, name = "x.bin"): FileMetadata {
  return describeFile({ filename: name, fileSize: data.length, fileHash: hash, processedSize: data.length, compressed: false });
}

function slices(b: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < b.length; o += CHUNK_SIZE) out.push(Buffer.from(b.subarray(o, o + CHUNK_SIZE)));
  return out;
}

test("receiver: nothing touches the disk before accept(); chunks before accept are rejected", async () => {
  const data = randomBytes(CHUNK_SIZE + 10);
  const meta = uncompressedMeta(data, await fileHashHex(data));
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(meta, dl);
  assert.equal(inc.state, "offered");
  await assert.rejects(inc.writeChunk(0, slices(data)[0] ?? Buffer.alloc(0)), isKind("chunk_rejected"));
  assert.deepEqual(await readdir(dl), []);
  await assert.rejects(inc.finish(), /finish\(\)/u);
  await inc.accept();
  const entries = await readdir(dl);
  assert.equal(entries.length, 1);
  assert.match(entries[0] ?? "", new RegExp(`^\\.pqchat-${process.pid}-[0-9a-f]{16}\\.part$`, "u"));
  await inc.abort();
  assert.deepEqual(await readdir(dl), []);
});

test("receiver: out-of-order chunks, duplicates ignored, counters", async () => {
  const data = randomBytes(3 * CHUNK_SIZE + 77);
  const meta = uncompressedMeta(data, await fileHashHex(data), "ooo.dat");
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  const ch = slices(data);
  for (const i of [3, 1, 0]) assert.equal(await inc.writeChunk(i, ch[i] ?? Buffer.alloc(0)), true);
  // A duplicate (even with different bytes) is ignored: the first copy wins.
  assert.equal(await inc.writeChunk(1, Buffer.alloc(CHUNK_SIZE, 0xee)), false);
  assert.equal(inc.received, 3);
  assert.equal(inc.bytesReceived, 2 * CHUNK_SIZE + 77);
  assert.equal(inc.isComplete, false);
  // Concurrent writes of the last chunk and a duplicate of it.
  const [a, b] = await Promise.all([inc.writeChunk(2, ch[2] ?? Buffer.alloc(0)), inc.writeChunk(2, ch[2] ?? Buffer.alloc(0))]);
  assert.deepEqual([a, b].sort(), [false, true]);
  assert.equal(inc.isComplete, true);
  const res = await inc.finish();
  assert.equal(Buffer.compare(await readFile(res.path), data), 0);
  assert.equal(inc.state, "done");
  await assert.rejects(inc.writeChunk(0, ch[0] ?? Buffer.alloc(0)), isKind("chunk_rejected"));
  await inc.abort(); // no-op after done: the file stays
  assert.deepEqual(await readdir(dl), ["ooo.dat"]);
});

test("receiver: chunk index and length must match the metadata", async () => {
  const data = randomBytes(2 * CHUNK_SIZE + 100);
  const meta = uncompressedMeta(data, await fileHashHex(data));
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  const bad: [number, number][] = [
    [-1, CHUNK_SIZE],
    [3, 100],
    [1.5, CHUNK_SIZE],
    [Number.NaN, CHUNK_SIZE],
    [0, CHUNK_SIZE - 1], // short non-last chunk
    [1, CHUNK_SIZE + 1], // over 1 MiB
    [2, 99], // last chunk disagrees with processed_size
    [2, 101],
    [2, CHUNK_SIZE],
  ];
  for (const [i, len] of bad) await assert.rejects(inc.writeChunk(i, new Uint8Array(len)), isKind("chunk_rejected"), `${i}/${len}`);
  assert.equal(inc.received, 0);
  // The transfer is still usable afterwards.
  const ch = slices(data);
  for (let i = 0; i < ch.length; i++) await inc.writeChunk(i, ch[i] ?? Buffer.alloc(0));
  const res = await inc.finish();
  assert.equal(res.size, data.length);
});

test("receiver: hash mismatch fails, removes temp files, saves nothing", async () => {
  const data = randomBytes(CHUNK_SIZE + 5);
  const meta = uncompressedMeta(data, await fileHashHex(data));
  const tampered = Buffer.from(data);
  tampered.writeUInt8(tampered.readUInt8(CHUNK_SIZE + 2) ^ 1, CHUNK_SIZE + 2);
  const dl = await freshDir("dl");
  await assert.rejects(receive(meta, slices(tampered), dl), isKind("hash_mismatch"));
  assert.deepEqual(await readdir(dl), []);
});

async function gzMeta(original: Uint8Array, stream: Uint8Array, over: Partial<FileMetadata> = {}): Promise<FileMetadata> {
  const fileHash = await fileHashHex(original);
  return { ...describeFile({ filename: "g.txt", fileSize: original.length, fileHash, processedSize: stream.length, compressed: true }), ...over };
}

test("receiver: gzip bomb fails fast with file_too_large and leaves nothing behind", async () => {
  const stream = gzipSync(Buffer.alloc(50_000_000), { level: 9 }); // ~50 KB expanding to 50 MB
  const original = Buffer.alloc(CHUNK_SIZE); // what the liar claims: 1 MiB of zeros
  const meta = await gzMeta(original, stream);
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  const t0 = performance.now();
  // The in-order stream usually catches it while the chunk is written; else finish() does.
  await assert.rejects(
    (async () => {
      await inc.writeChunk(0, stream);
      await inc.finish();
    })(),
    isKind("file_too_large"),
  );
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `bomb took ${ms} ms`);
  assert.equal(inc.state, "failed");
  assert.deepEqual(await readdir(dl), []);
  await inc.abort(); // idempotent after failure
});

test("receiver: file_size lies in both directions fail", async () => {
  const original = Buffer.alloc(300_000, "abc");
  const stream = gzipSync(original);
  const hash = await fileHashHex(original);
  // Announced smaller than the real content → stops as a bomb would.
  const dl1 = await freshDir("dl");
  await assert.rejects(receive(await gzMeta(original, stream, { file_size: 299_999 }), [stream], dl1), isKind("file_too_large"));
  assert.deepEqual(await readdir(dl1), []);
  // Announced larger → the content is short of it.
  const dl2 = await freshDir("dl");
  await assert.rejects(receive(await gzMeta(original, stream, { file_size: 300_001, file_hash: hash }), [stream], dl2), isKind("hash_mismatch"));
  assert.deepEqual(await readdir(dl2), []);
  // A corrupt gzip stream is "malformed".
  const corrupt = Buffer.from(stream);
  corrupt.writeUInt8(corrupt.readUInt8(20) ^ 0xff, 20);
  const dl3 = await freshDir("dl");
  await assert.rejects(receive(await gzMeta(original, corrupt), [corrupt], dl3), (e: unknown) => e instanceof FileTransferError && ["malformed", "hash_mismatch"].includes(e.kind));
  assert.deepEqual(await readdir(dl3), []);
  // Truncated gzip.
  const trunc = stream.subarray(0, stream.length - 4);
  const dl4 = await freshDir("dl");
  await assert.rejects(receive(await gzMeta(original, trunc), [trunc], dl4), isKind("malformed"));
  assert.deepEqual(await readdir(dl4), []);
});

test("receiver: multi-member gzip and trailing zero bytes are accepted (as the reference does)", async () => {
  const a = randomBytes(CHUNK_SIZE + 1000);
  const b = Buffer.alloc(700_000, "pqchat ");
  const original = Buffer.concat([a, b]);
  const multi = Buffer.concat([gzipSync(a, { level: 1 }), gzipSync(b), gzipSync(Buffer.alloc(0)), Buffer.alloc(13)]);
  const dl = await freshDir("dl");
  const res = await receive(await gzMeta(original, multi), slices(multi), dl);
  assert.equal(Buffer.compare(await readFile(res.path), original), 0);
  // Trailing garbage (not zeros) is refused.
  const garbage = Buffer.concat([gzipSync(a), Buffer.from("garbage")]);
  const dl2 = await freshDir("dl");
  await assert.rejects(receive(await gzMeta(a, garbage), slices(garbage), dl2), isKind("malformed"));
  assert.deepEqual(await readdir(dl2), []);
});

test("receiver: abort mid-way leaves the download directory empty", async () => {
  const data = randomBytes(3 * CHUNK_SIZE);
  const meta = uncompressedMeta(data, await fileHashHex(data));
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(meta, dl);
  await inc.accept();
  const ch = slices(data);
  await inc.writeChunk(0, ch[0] ?? Buffer.alloc(0));
  const pending = inc.writeChunk(1, ch[1] ?? Buffer.alloc(0)).catch(() => "failed");
  await inc.abort();
  await pending;
  assert.equal(inc.state, "aborted");
  assert.deepEqual(await readdir(dl), []);
  await assert.rejects(inc.writeChunk(2, ch[2] ?? Buffer.alloc(0)), isKind("chunk_rejected"));
  await inc.abort();
  assert.deepEqual(await readdir(dl), []);
});

test("receiver: abort during finish() of a compressed file removes everything", async () => {
  const original = Buffer.alloc(20 * CHUNK_SIZE, "zzzz");
  const stream = gzipSync(original, { level: 1 });
  const dl = await freshDir("dl");
  const inc = new IncomingTransfer(await gzMeta(original, stream), dl);
  await inc.accept();
  for (const [i, c] of slices(stream).entries()) await inc.writeChunk(i, c);
  const fin = inc.finish().then(
    () => "placed",
    (e: unknown) => e,
  );
  await inc.abort();
  const outcome = await fin;
  // abort() right after finish() interrupts it (the gunzip has not even started).
  assert.ok(isKind("io_error")(outcome));
  assert.equal(inc.state, "aborted");
  assert.deepEqual(await readdir(dl), []);
});

test("receiver: the destination never overwrites; hostile names land inside the download dir", async () => {
  const data = Buffer.from("new content");
  const hash = await fileHashHex(data);
  const dl = await freshDir("dl");
  await writeFile(path.join(dl, "a.txt"), "precious");
  const r1 = await receive(uncompressedMeta(data, hash, "a.txt"), [data], dl);
  assert.equal(r1.path, path.join(dl, "a (1).txt"));
  const r2 = await receive(uncompressedMeta(data, hash, "../a.txt"), [data], dl);
  assert.equal(r2.path, path.join(dl, "a (2).txt"));
  assert.equal(await readFile(path.join(dl, "a.txt"), "utf8"), "precious");
  const hostile = ["../../etc/passwd", "/abs/path", "C:\\x\\..\\y", "..", ".", "CON.txt", "nul", "a\u0000b\u001b\n", ".bashrc"];
  const landed: string[] = [];
  for (const name of hostile) {
    const r = await receive(uncompressedMeta(data, hash, name), [data], dl);
    assert.equal(path.dirname(r.path), dl, name);
    landed.push(path.basename(r.path));
  }
  assert.deepEqual(landed, ["passwd", "path", "y", "file", "file (1)", "_CON.txt", "_nul", "a_b__", "bashrc"]);
  assert.equal((await readdir(dl)).filter((n) => n.startsWith(".")).length, 0, "no temp files left");
  // Outside the download dir nothing was created.
  const parent = await readdir(path.dirname(dl));
  assert.ok(!parent.includes("passwd") && !parent.includes("y"));
});

test("receiver: size limit and constructor validation", async () => {
  const data = randomBytes(1000);
  const meta = uncompressedMeta(data, await fileHashHex(data));
  assert.throws(() => new IncomingTransfer(meta, root, { maxFileSize: 999 }), isKind("file_too_large"));
  assert.throws(() => new IncomingTransfer({ ...meta, total_chunks: 5 }, root), isKind("malformed"));
  const inc = new IncomingTransfer(meta, path.join(root, "does-not-exist"));
  await assert.rejects(inc.accept(), isKind("io_error"));
});
