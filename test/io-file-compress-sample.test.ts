// The sender's choice from samples (src/io/file/compress-sample.ts): compress
// or not (level 6 samples shrinking by at least 10 %), and at which levels (as
// many members at the engine's cheaper levels as keep the samples' ratio within
// FAST_LEVEL_MIN_SHARE of level 6's). Checked against what the chosen levels
// really give on the whole file, with both gzip engines (io-deflate.test.ts
// runs this suite again with PQCHAT_GZIP=zlib).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { CHEAP_GZIP_LEVELS, DEFAULT_GZIP_LEVEL, FAST_GZIP_LEVEL, gzipMember } from "../src/io/deflate.js";
import { chooseGzip } from "../src/io/file/compress-sample.js";
import { GZIP_BLOCK, uvCompressor } from "../src/io/file/gzip-members.js";
import { prepareOutgoingFile } from "../src/io/file/outgoing.js";
import { FAST_LEVEL_MIN_SHARE, memberLevel, oneLevel, type LevelMix } from "../src/protocol/file/compression.js";

const MiB = 1024 * 1024;
let root = "";
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "pqchat-sample-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Prose: seeded random words of the bundled word list with punctuation and line breaks (~2× at level 6). */
async function prose(bytes: number): Promise<Buffer> {
  const words = (await readFile(new URL("../../assets/wordlist.txt", import.meta.url), "utf8")).split("\n").filter((w) => w.trim() !== "");
  let x = 0x2545f491;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const parts: string[] = [];
  let len = 0;
  let col = 0;
  while (len < bytes) {
    let w = words[next() % (next() % 2 === 0 ? 2048 : words.length)]!;
    if (next() % 100 < 12) w += ".,;?!"[next() % 5]!;
    const sep = col + w.length > 72 ? "\n" : " ";
    col = sep === "\n" ? 0 : col + w.length + 1;
    parts.push(sep, w);
    len += w.length + 1;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}

/** Log lines: numbers in a fixed frame (~5× at level 6), where the cheaper levels fall further behind. */
function logLines(bytes: number): Buffer {
  const lines: string[] = [];
  let len = 0;
  for (let i = 0; len < bytes; i++) {
    const l = `2024-05-${String(1 + (i % 28)).padStart(2, "0")} ${String(i % 86400).padStart(5, "0")} worker-${i % 17} INFO request ${(i * 7919) % 1000003} took ${(i * 31) % 997} ms status=${i % 13 === 0 ? 500 : 200}\n`;
    lines.push(l);
    len += l.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

async function file(name: string, data: Uint8Array): Promise<string> {
  const p = path.join(root, name);
  await writeFile(p, data);
  return p;
}

/** The members of `data` as the sender gzips it: GZIP_BLOCK each, member i at mix's level for i (or at `level` throughout). */
function membersAt(data: Uint8Array, at: LevelMix | number): Uint8Array[] {
  const mix = typeof at === "number" ? oneLevel(at) : at;
  const out: Uint8Array[] = [];
  for (let off = 0, i = 0; off < data.length; off += GZIP_BLOCK, i++) out.push(gzipMember(data.subarray(off, off + GZIP_BLOCK), memberLevel(mix, i)));
  return out;
}

/** The ratio the sender's members give on the whole of `data`. */
const ratioAt = (data: Uint8Array, at: LevelMix | number): number => data.length / membersAt(data, at).reduce((n, m) => n + m.length, 0);

test("prose: cheaper levels are chosen, and on the whole file they keep the ratio within 5 % of one level-6 gzip stream", async () => {
  const data = await prose(16 * MiB);
  const choice = await chooseGzip(await file("prose.txt", data), data.length, uvCompressor);
  assert.equal(choice.compress, true);
  // Only the cheaper levels, the cheaper of the two taking the share.
  const rank = (level: number) => CHEAP_GZIP_LEVELS.indexOf(level);
  assert.ok(rank(choice.mix.slow) >= 0 && rank(choice.mix.fast) >= 0 && rank(choice.mix.fast) <= rank(choice.mix.slow), `cheaper levels: ${JSON.stringify(choice.mix)}`);
  const level6 = data.length / gzipSync(data, { level: 6 }).length;
  const got = ratioAt(data, choice.mix);
  assert.ok(got >= 0.95 * level6, `ratio ${got} against ${level6}`);
});

test("log lines: mostly level 6, because the cheaper level loses more than the margin there; the mix still keeps the ratio", async () => {
  const data = logLines(16 * MiB);
  // The premise: on this content the cheaper level really is worse than the margin allows.
  assert.ok(ratioAt(data, FAST_GZIP_LEVEL) < FAST_LEVEL_MIN_SHARE * ratioAt(data, DEFAULT_GZIP_LEVEL));
  const { compress, mix } = await chooseGzip(await file("log.txt", data), data.length, uvCompressor);
  assert.equal(compress, true);
  assert.equal(mix.slow, DEFAULT_GZIP_LEVEL);
  assert.ok(mix.share < 1);
  assert.ok(ratioAt(data, mix) >= 0.95 * (data.length / gzipSync(data, { level: 6 }).length));
});

test("a repeated line: level 6 throughout, since every level is cheap there and the cheaper ones lose more than the samples show", async () => {
  const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor 0123456789\n";
  const data = Buffer.from(line.repeat(Math.ceil((16 * MiB) / line.length))).subarray(0, 16 * MiB);
  // The premise: level 1 keeps less than 95 % of one level-6 stream's ratio here.
  assert.ok(ratioAt(data, 1) < 0.95 * (data.length / gzipSync(data, { level: 6 }).length));
  assert.deepEqual(await chooseGzip(await file("repeated.txt", data), data.length, uvCompressor), { compress: true, mix: oneLevel(DEFAULT_GZIP_LEVEL) });
});

test("random bytes are not compressed; the user's level is used as it is, and decides alone", async () => {
  const rnd = randomBytes(2 * MiB);
  assert.equal((await chooseGzip(await file("r.txt", rnd), rnd.length, uvCompressor)).compress, false);
  const data = await prose(2 * MiB);
  const p = await file("p.txt", data);
  assert.deepEqual(await chooseGzip(p, data.length, uvCompressor, 9), { compress: true, mix: oneLevel(9) });
  assert.deepEqual(await chooseGzip(p, data.length, uvCompressor, 0), { compress: false, mix: oneLevel(0) });
});

test("prepareOutgoingFile reports the levels it used: chosen from samples, the user's, or 6 without samples", async () => {
  const data = await prose(9 * MiB);
  const p = await file("prep.txt", data);
  const tmpDir = root;
  const chosen = await prepareOutgoingFile(p, { compress: true, tmpDir });
  const mine = await prepareOutgoingFile(p, { compress: true, tmpDir, gzipLevel: 1 });
  const unsampled = await prepareOutgoingFile(p, { compress: true, tmpDir, sampleCheck: false });
  const plain = await prepareOutgoingFile(p, { compress: false, tmpDir });
  try {
    assert.deepEqual(chosen.gzip, (await chooseGzip(p, data.length, uvCompressor)).mix);
    assert.deepEqual(mine.gzip, oneLevel(1));
    assert.deepEqual(unsampled.gzip, oneLevel(DEFAULT_GZIP_LEVEL));
    assert.equal(plain.gzip, null);
    // The stream really is at those levels: the same members as gzipMember gives, member by member.
    assert.deepEqual(await readFile(chosen.processedPath), Buffer.concat(membersAt(data, chosen.gzip!)));
    assert.deepEqual(await readFile(mine.processedPath), Buffer.concat(membersAt(data, 1)));
  } finally {
    await Promise.all([chosen.cleanup(), mine.cleanup(), unsampled.cleanup(), plain.cleanup()]);
  }
});
