// Safe names for peer-supplied file names (WIRE-NOTES §15.5) and non-overwriting destinations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import {
  FileTransferError,
  MAX_NAME_BYTES,
  assertInside,
  candidateName,
  safeFileName,
} from "../src/protocol/file/index.js";
import { uniqueDestination } from "../src/io/file/index.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const hasC0 = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20);

test("safeFileName: directory parts are stripped", () => {
  assert.equal(safeFileName("../../etc/passwd"), "passwd");
  assert.equal(safeFileName("/abs/path"), "path");
  assert.equal(safeFileName("C:\\x\\..\\y"), "y");
  assert.equal(safeFileName("a\\b/c.txt"), "c.txt");
  assert.equal(safeFileName("dir/sub/"), "sub");
  assert.equal(safeFileName("\\\\server\\share\\f.doc"), "f.doc");
  assert.equal(safeFileName("C:evil.txt"), "C_evil.txt");
});

test("safeFileName: nothing usable becomes 'file'", () => {
  for (const n of ["", ".", "..", "...", "/", "\\", "../..", "a/..", " ", " . ", "/..", "..\\"]) {
    assert.equal(safeFileName(n), "file", JSON.stringify(n));
  }
});

test("safeFileName: leading dots are removed (no hidden files), trailing dots/spaces trimmed", () => {
  assert.equal(safeFileName(".bashrc"), "bashrc");
  assert.equal(safeFileName("..gz"), "gz");
  assert.equal(safeFileName(".notes.gz"), "notes.gz");
  assert.equal(safeFileName(".pqchat-0123456789abcdef.part"), "pqchat-0123456789abcdef.part");
  assert.equal(safeFileName("report.txt. . "), "report.txt");
  assert.equal(safeFileName("  spaced name.txt  "), "spaced name.txt");
});

test("safeFileName: control, bidi and Windows-illegal characters are replaced", () => {
  assert.equal(safeFileName("a\u0000b.txt"), "a_b.txt");
  assert.equal(safeFileName("\u001b[31mred.txt"), "_[31mred.txt");
  assert.equal(safeFileName("line1\nline2\r.txt"), "line1_line2_.txt");
  assert.equal(safeFileName("tab\there\u007f\u0085.txt"), "tab_here__.txt");
  assert.equal(safeFileName('a<b>c:d"e|f?g*h.txt'), "a_b_c_d_e_f_g_h.txt");
  assert.equal(safeFileName("invoice\u202Etxt.exe"), "invoice_txt.exe");
  assert.equal(safeFileName("x\u2066y\u2028z"), "x_y_z");
  assert.equal(safeFileName("lone\ud800surrogate"), "lone_surrogate");
  for (const n of ["a\u0000", "\u0000", "x\u001f"]) assert.ok(!hasC0(safeFileName(n)));
});

test("safeFileName: Windows device names get a prefix, with any extension or case", () => {
  assert.equal(safeFileName("CON.txt"), "_CON.txt");
  assert.equal(safeFileName("nul"), "_nul");
  assert.equal(safeFileName("Aux.tar.gz"), "_Aux.tar.gz");
  assert.equal(safeFileName("com1"), "_com1");
  assert.equal(safeFileName("LPT9.log"), "_LPT9.log");
  assert.equal(safeFileName("COM\u00b9.txt"), "_COM\u00b9.txt");
  assert.equal(safeFileName("prn .txt"), "_prn .txt");
  assert.equal(safeFileName("../CON"), "_CON");
  // Not devices:
  assert.equal(safeFileName("console.txt"), "console.txt");
  assert.equal(safeFileName("com10"), "com10");
  assert.equal(safeFileName("nullable.c"), "nullable.c");
  assert.equal(safeFileName("my-con.txt"), "my-con.txt");
});

test("safeFileName: unicode is kept (NFC) and long names are capped at 255 bytes keeping the extension", () => {
  assert.equal(safeFileName("résumé 📄.pdf"), "résumé 📄.pdf");
  assert.equal(safeFileName("e\u0301.txt"), "\u00e9.txt");
  const long = safeFileName("a".repeat(1000) + ".txt");
  assert.equal(bytes(long), MAX_NAME_BYTES);
  assert.ok(long.endsWith(".txt"));
  // Multi-byte characters are never split.
  const emoji = safeFileName("😀".repeat(100) + ".tar.gz");
  assert.ok(bytes(emoji) <= MAX_NAME_BYTES);
  assert.ok(emoji.endsWith(".gz"));
  assert.ok(!emoji.includes("\ufffd"));
  assert.equal(Buffer.from(emoji, "utf8").toString("utf8"), emoji);
  // An over-long "extension" is not kept whole.
  const weird = safeFileName("x." + "y".repeat(400));
  assert.equal(bytes(weird), MAX_NAME_BYTES);
});

test("property: any string gives a plain, non-empty name that stays inside the directory", () => {
  const dir = path.resolve("/tmp/pqchat-dl");
  const interesting = fc.constantFrom("/", "\\", ".", "..", "\u0000", ":", "CON", "nul", " ", "\u202e", "\ud800", "é", "😀");
  const arb = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.array(fc.oneof(interesting, fc.string({ maxLength: 4 })), { maxLength: 40 }).map((a) => a.join("")),
  );
  fc.assert(
    fc.property(arb, (s) => {
      const r = safeFileName(s);
      assert.ok(r.length > 0);
      assert.ok(!r.includes("/") && !r.includes("\\") && !r.includes("\u0000"), JSON.stringify(r));
      assert.ok(!hasC0(r), JSON.stringify(r));
      assert.ok(r !== "." && r !== "..");
      assert.ok(!r.startsWith("."));
      assert.ok(bytes(r) <= MAX_NAME_BYTES);
      assert.equal(safeFileName(r), r, "idempotent");
      const full = path.resolve(dir, r);
      assert.equal(path.dirname(full), dir);
      assert.ok(full.startsWith(dir + path.sep));
      for (let n = 1; n < 3; n++) assert.equal(path.dirname(path.resolve(dir, candidateName(r, n))), dir);
    }),
    { numRuns: 2000 },
  );
});

test("assertInside refuses anything not directly inside the directory", () => {
  const dir = path.resolve("/tmp/x");
  assert.equal(assertInside(dir, "a.txt"), path.join(dir, "a.txt"));
  for (const bad of ["..", "../a", "/etc/passwd", "sub/a", ".", ""]) {
    assert.throws(() => assertInside(dir, bad), (e: unknown) => e instanceof FileTransferError && e.kind === "bad_filename", bad);
  }
});

test("candidateName: ' (n)' goes before the extension and still fits 255 bytes", () => {
  assert.equal(candidateName("a.txt", 0), "a.txt");
  assert.equal(candidateName("a.txt", 1), "a (1).txt");
  assert.equal(candidateName("archive.tar.gz", 2), "archive.tar (2).gz");
  assert.equal(candidateName("noext", 3), "noext (3)");
  const long = safeFileName("b".repeat(300) + ".txt");
  const c = candidateName(long, 12);
  assert.equal(bytes(c), MAX_NAME_BYTES);
  assert.ok(c.endsWith(" (12).txt"));
});

test("uniqueDestination never overwrites: a.txt exists → a (1).txt, then a (2).txt", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-names-"));
  try {
    await writeFile(path.join(dir, "a.txt"), "original");
    const p1 = await uniqueDestination(dir, "a.txt");
    assert.equal(p1, path.join(dir, "a (1).txt"));
    const p2 = await uniqueDestination(dir, "a.txt");
    assert.equal(p2, path.join(dir, "a (2).txt"));
    assert.equal(await readFile(path.join(dir, "a.txt"), "utf8"), "original");
    // A dangling symlink at a candidate name counts as taken (O_EXCL does not follow it).
    await symlink(path.join(dir, "nowhere"), path.join(dir, "b.txt"));
    assert.equal(await uniqueDestination(dir, "b.txt"), path.join(dir, "b (1).txt"));
    assert.deepEqual((await readdir(dir)).sort(), ["a (1).txt", "a (2).txt", "a.txt", "b (1).txt", "b.txt"]);
    // Concurrent claims of the same name all get distinct paths.
    const many = await Promise.all(Array.from({ length: 20 }, () => uniqueDestination(dir, "c.txt")));
    assert.equal(new Set(many).size, 20);
    // Unsafe names are refused, not resolved outside.
    await assert.rejects(uniqueDestination(dir, "../escape.txt"), (e: unknown) => e instanceof FileTransferError && e.kind === "bad_filename");
    // Non-EEXIST errors from the claim are passed through.
    const boom = Object.assign(new Error("disk on fire"), { code: "EIO" });
    await assert.rejects(uniqueDestination(dir, "d.txt", () => Promise.reject(boom)), /disk on fire/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
