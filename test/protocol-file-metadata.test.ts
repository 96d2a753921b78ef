// File metadata: vectors (WIRE-NOTES §8.2, §4.6), the extension rule and validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { pyjson } from "../src/protocol/pyjson.js";
import { fileCaseContent } from "./helpers/fixtures.js";
import {
  CHUNK_SIZE,
  DEFAULT_MAX_FILE_SIZE,
  FileTransferError,
  INCOMPRESSIBLE_EXTENSIONS,
  REJECT_REASONS,
  fileAccept,
  fileComplete,
  fileExtension,
  fileHashHex,
  fileReject,
  hasIncompressibleExtension,
  maxCompressedSize,
  metadataInner,
  transferId,
  validateMetadata,
  type FileMetadata,
} from "../src/protocol/file/index.js";

interface Case {
  name: string;
  description: string;
  filename: string;
  file_size: number;
  content_sha256: string;
  compress_requested: boolean;
  metadata: FileMetadata;
  metadata_inner_json: string;
  transfer_id_input: string;
  content_hex?: string;
}
interface Op {
  op: string;
  label?: string;
  inner_plaintext?: string;
}
const V = JSON.parse(readFileSync(new URL("../../test/fixtures/file.json", import.meta.url), "utf8")) as {
  send_chunk_size: number;
  incompressible_extensions: string[];
  cases: Case[];
  ops: Op[];
  ops_reference_gzip: Op[];
};

const content = (c: Case): Buffer => fileCaseContent(c);

test("vector constants match ours", () => {
  assert.equal(V.send_chunk_size, CHUNK_SIZE);
  assert.deepEqual([...INCOMPRESSIBLE_EXTENSIONS].sort(), [...V.incompressible_extensions].sort());
});

for (const c of V.cases) {
  test(`vector ${c.name}: hash, transfer id, inner JSON`, async () => {
    const data = content(c);
    assert.equal(createHash("sha256").update(data).digest("hex"), c.content_sha256, "regenerated content");
    assert.equal(data.length, c.file_size);
    const m = c.metadata;
    assert.equal(await fileHashHex(data), m.file_hash);
    assert.equal(c.filename + String(c.file_size) + m.file_hash, c.transfer_id_input);
    assert.equal(transferId(c.filename, c.file_size, m.file_hash), m.transfer_id);
    // compressed = requested AND extension allows it (WIRE-NOTES §8.2)
    assert.equal(m.compressed, c.compress_requested && !hasIncompressibleExtension(c.filename));
    // Byte-exact FILE_METADATA with "type" last, built from a record in any key order.
    const shuffled: FileMetadata = {
      processed_size: m.processed_size,
      compressed: m.compressed,
      total_chunks: m.total_chunks,
      file_hash: m.file_hash,
      file_size: m.file_size,
      filename: m.filename,
      transfer_id: m.transfer_id,
    };
    assert.equal(pyjson(metadataInner(shuffled)), c.metadata_inner_json);
    // And what we receive validates back to the same record.
    assert.deepEqual(validateMetadata(JSON.parse(c.metadata_inner_json)), m);
  });
}

test("FILE_ACCEPT / FILE_REJECT / FILE_COMPLETE match the vectors' inner plaintexts byte for byte", () => {
  const inner = [...V.ops, ...V.ops_reference_gzip]
    .map((o) => o.inner_plaintext)
    .filter((p): p is string => p !== undefined);
  const byType = (t: number) => inner.filter((p) => (JSON.parse(p) as { type: number }).type === t);
  const accepts = byType(21);
  const rejects = byType(22);
  const completes = byType(24);
  assert.ok(accepts.length >= 2 && rejects.length >= 1 && completes.length >= 2);
  for (const p of accepts) assert.equal(pyjson(fileAccept((JSON.parse(p) as { transfer_id: string }).transfer_id)), p);
  for (const p of completes) assert.equal(pyjson(fileComplete((JSON.parse(p) as { transfer_id: string }).transfer_id)), p);
  for (const p of rejects) {
    const o = JSON.parse(p) as { transfer_id: string; reason: string };
    assert.equal(o.reason, REJECT_REASONS.declined);
    assert.equal(pyjson(fileReject(o.transfer_id, REJECT_REASONS.declined)), p);
  }
  assert.equal(
    pyjson(fileReject("abc", REJECT_REASONS.canceled)),
    '{"type": 22, "transfer_id": "abc", "reason": "User canceled"}',
  );
  assert.equal(REJECT_REASONS.disabled, "User disabled file transfers");
});

test("transferId: non-ASCII names are hashed as UTF-8", () => {
  const h = "00".repeat(32);
  const expect = createHash("sha256").update(Buffer.from("für.txt5" + h, "utf8")).digest("hex").slice(0, 16);
  assert.equal(transferId("für.txt", 5, h), expect);
  assert.throws(() => transferId("a", -1, h), RangeError);
});

test("extension rule: leading dots do not count, last dot wins, case-insensitive (WIRE-NOTES §8.2)", () => {
  const cases: [string, string][] = [
    [".bashrc", ""],
    ["..gz", ""],
    ["...", ""],
    [".", ""],
    ["", ""],
    [".notes.gz", ".gz"],
    ["..notes.gz", ".gz"],
    ["archive.tar.gz", ".gz"],
    ["PHOTO.JPG", ".jpg"],
    ["a.", "."],
    ["noext", ""],
    ["dir.d/file", ""],
    ["dir/.hidden", ""],
    ["dir/x.ZIP", ".zip"],
    ["C:\\docs\\x.PdF", ".pdf"],
  ];
  for (const [name, ext] of cases) assert.equal(fileExtension(name), ext, name);
  assert.equal(hasIncompressibleExtension("a.gz"), true);
  assert.equal(hasIncompressibleExtension(".notes.gz"), true);
  assert.equal(hasIncompressibleExtension("..gz"), false);
  assert.equal(hasIncompressibleExtension(".gz"), false);
  assert.equal(hasIncompressibleExtension("x.GZ"), true);
  assert.equal(hasIncompressibleExtension("x.gzip"), false);
  assert.equal(hasIncompressibleExtension("x.gz.txt"), false);
  assert.equal(hasIncompressibleExtension("x.txt"), false);
  for (const e of V.incompressible_extensions) assert.equal(hasIncompressibleExtension("f" + e.toUpperCase()), true, e);
});

// ---------------------------------------------------------------------------

const GOOD = {
  transfer_id: "f226c749c7023e83",
  filename: "notes.txt",
  file_size: 3200,
  file_hash: "8e2bdcb4421f4df77404b440f49bf952213dc2d59b72ea9b635fc1f33373fc7b",
  total_chunks: 1,
  compressed: true,
  processed_size: 206,
  type: 20,
};

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FileTransferError, `expected FileTransferError, got ${String(e)}`);
    assert.ok(e.message.length > 0);
    return e.kind;
  }
  return "accepted";
}

test("validateMetadata accepts well-formed offers and ignores unknown fields", () => {
  const m = validateMetadata({ ...GOOD, extra: [1, 2] });
  assert.deepEqual(m, {
    transfer_id: GOOD.transfer_id,
    filename: GOOD.filename,
    file_size: 3200,
    file_hash: GOOD.file_hash,
    total_chunks: 1,
    compressed: true,
    processed_size: 206,
  });
  assert.equal(kindOf(() => validateMetadata({ ...GOOD, transfer_id: "A".repeat(64) })), "accepted");
  // Empty uncompressed file: 0 chunks is legal (and the only legal count).
  const empty = { ...GOOD, file_size: 0, processed_size: 0, total_chunks: 0, compressed: false };
  assert.equal(kindOf(() => validateMetadata(empty)), "accepted");
  assert.equal(kindOf(() => validateMetadata({ ...empty, total_chunks: 1 })), "malformed");
  // Exact chunk boundaries.
  const mib = { ...GOOD, compressed: false, file_size: CHUNK_SIZE, processed_size: CHUNK_SIZE, total_chunks: 1 };
  assert.equal(kindOf(() => validateMetadata(mib)), "accepted");
  assert.equal(kindOf(() => validateMetadata({ ...mib, total_chunks: 2 })), "malformed");
  const mib1 = { ...mib, file_size: CHUNK_SIZE + 1, processed_size: CHUNK_SIZE + 1 };
  assert.equal(kindOf(() => validateMetadata({ ...mib1, total_chunks: 2 })), "accepted");
  assert.equal(kindOf(() => validateMetadata({ ...mib1, total_chunks: 1 })), "malformed");
});

test("validateMetadata rejects malformed offers with the right kind", () => {
  const bad: [string, unknown][] = [
    ["malformed", null],
    ["malformed", [GOOD]],
    ["malformed", "x"],
    ["malformed", { ...GOOD, transfer_id: undefined }],
    ["malformed", { ...GOOD, transfer_id: "" }],
    ["malformed", { ...GOOD, transfer_id: "A".repeat(65) }],
    ["malformed", { ...GOOD, transfer_id: "abc-def" }],
    ["malformed", { ...GOOD, transfer_id: "../x" }],
    ["malformed", { ...GOOD, transfer_id: "ünïcode" }],
    ["malformed", { ...GOOD, transfer_id: 12 }],
    ["malformed", { ...GOOD, filename: 5 }],
    ["malformed", { ...GOOD, filename: undefined }],
    ["bad_filename", { ...GOOD, filename: "" }],
    ["bad_filename", { ...GOOD, filename: "x".repeat(2000) }],
    ["malformed", { ...GOOD, file_size: -1 }],
    ["malformed", { ...GOOD, file_size: 1.5 }],
    ["malformed", { ...GOOD, file_size: "3200" }],
    ["malformed", { ...GOOD, file_size: true }],
    ["malformed", { ...GOOD, file_size: 2 ** 60 }],
    ["malformed", { ...GOOD, processed_size: -206 }],
    ["malformed", { ...GOOD, total_chunks: 2 }],
    ["malformed", { ...GOOD, total_chunks: 0 }],
    ["malformed", { ...GOOD, total_chunks: null }],
    ["malformed", { ...GOOD, file_hash: GOOD.file_hash.toUpperCase() }],
    ["malformed", { ...GOOD, file_hash: GOOD.file_hash.slice(2) }],
    ["malformed", { ...GOOD, file_hash: "zz" + GOOD.file_hash.slice(2) }],
    ["malformed", { ...GOOD, compressed: 1 }],
    ["malformed", { ...GOOD, compressed: "true" }],
    // uncompressed ⇒ processed_size = file_size
    ["malformed", { ...GOOD, compressed: false }],
    // a compressed stream is never empty
    ["malformed", { ...GOOD, file_size: 0, processed_size: 0, total_chunks: 0 }],
    // compressed size wildly above what gzip can produce (disk exhaustion, WIRE-NOTES §15.6)
    ["malformed", { ...GOOD, file_size: 10, processed_size: 100 * CHUNK_SIZE, total_chunks: 100 }],
    ["file_too_large", { ...GOOD, file_size: DEFAULT_MAX_FILE_SIZE + 1, processed_size: 206 }],
  ];
  for (const [kind, obj] of bad) assert.equal(kindOf(() => validateMetadata(obj)), kind, JSON.stringify(obj)?.slice(0, 120));
});

test("validateMetadata: configurable size limit and gzip overhead allowance", () => {
  const m = { ...GOOD, compressed: false, file_size: 1000, processed_size: 1000 };
  assert.equal(kindOf(() => validateMetadata(m, { maxFileSize: 1000 })), "accepted");
  assert.equal(kindOf(() => validateMetadata(m, { maxFileSize: 999 })), "file_too_large");
  // The reference's own gzip of 1.5 MiB of random data (vector) is well within the bound.
  assert.ok(1573362 <= maxCompressedSize(1572864));
  const big = 10 * CHUNK_SIZE;
  const lim = maxCompressedSize(big);
  const at = { ...GOOD, file_size: big, processed_size: lim, total_chunks: Math.ceil(lim / CHUNK_SIZE) };
  assert.equal(kindOf(() => validateMetadata(at)), "accepted");
  const over = { ...at, processed_size: lim + 1, total_chunks: Math.ceil((lim + 1) / CHUNK_SIZE) };
  assert.equal(kindOf(() => validateMetadata(over)), "malformed");
});
