// The files bench/transfer.ts sends. "text" is realistic prose for a gzip
// benchmark: random words of the bundled word list (assets/wordlist.txt) with
// capitals, punctuation and line breaks, from a seeded generator (the same
// bytes every run). It compresses about 2× at gzip level 6, as real text does;
// the old file of one repeated line compresses far better than any real text
// and stays only as an extra row labelled as such ("repeated").
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const MiB = 1024 * 1024;

export type Kind = "random" | "text" | "repeated" | "log";

/** xorshift32: a small seeded generator, so every run sends the same text. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function words(): string[] {
  const file = fileURLToPath(new URL("../../assets/wordlist.txt", import.meta.url));
  return readFileSync(file, "utf8")
    .split("\n")
    .map((w) => w.trim())
    .filter((w) => w !== "");
}

/** `size` bytes of sentences of random words, wrapped at about 72 columns, paragraphs every few lines. */
function* wordText(size: number): Generator<Buffer> {
  const list = words();
  const next = rng(0x9e3779b9);
  const PUNCT = [".", ".", ".", ",", ",", ",", ";", "?", "!", ":"];
  let made = 0;
  let sentenceStart = true;
  while (made < size) {
    let block = "";
    let col = 0;
    while (block.length < MiB) {
      // Half of the words come from a small common vocabulary, as in real prose (~2.1× at gzip level 6).
      let w = list[next() % (next() % 2 === 0 ? 2048 : list.length)]!;
      if (sentenceStart) w = w[0]!.toUpperCase() + w.slice(1);
      sentenceStart = false;
      const r = next() % 100;
      if (r < 12) {
        const p = PUNCT[next() % PUNCT.length]!;
        w += p;
        sentenceStart = p !== "," && p !== ";" && p !== ":";
      }
      if (col + w.length + 1 > 72) {
        block += next() % 8 === 0 ? "\n\n" : "\n";
        col = 0;
      } else if (col > 0) {
        block += " ";
        col++;
      }
      block += w;
      col += w.length;
    }
    const b = Buffer.from(block, "latin1").subarray(0, Math.min(MiB, size - made));
    made += b.length;
    yield b;
  }
}

/** The benchmark's earlier "text": one line repeated (compresses ~100×, unlike real text). */
function* repeatedLine(size: number): Generator<Buffer> {
  const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor 0123456789\n";
  const block = Buffer.from(line.repeat(Math.ceil(MiB / line.length))).subarray(0, MiB);
  for (let off = 0; off < size; off += MiB) {
    const b = Buffer.from(block.subarray(0, Math.min(MiB, size - off)));
    b.write(String(off), 0); // a little variety per block
    yield b;
  }
}

/** Log-like lines with varying numbers: compresses ~5× at level 6. */
function* logLines(size: number): Generator<Buffer> {
  let i = 0;
  for (let off = 0; off < size; ) {
    const lines: string[] = [];
    while (lines.length < 12000) {
      i++;
      lines.push(`2024-05-${String(1 + (i % 28)).padStart(2, "0")} ${String(i % 86400).padStart(5, "0")} worker-${i % 17} INFO request ${(i * 7919) % 1000003} took ${(i * 31) % 997} ms status=${i % 13 === 0 ? 500 : 200}\n`);
    }
    const b = Buffer.from(lines.join("")).subarray(0, size - off);
    off += b.length;
    yield b;
  }
}

function* randomData(size: number): Generator<Buffer> {
  for (let off = 0; off < size; off += MiB) yield randomBytes(Math.min(MiB, size - off));
}

const SOURCES: Record<Kind, (size: number) => Generator<Buffer>> = { random: randomData, text: wordText, repeated: repeatedLine, log: logLines };

/**
 * Writes the file and returns the size of its gzip at level 6 as one stream
 * (zlib, the reference's format), for the ratio check; null for random data.
 */
export async function generate(file: string, kind: Kind, size: number): Promise<number | null> {
  const fh = await open(file, "w");
  const parts: Buffer[] = [];
  try {
    for (const b of SOURCES[kind](size)) {
      await fh.write(b);
      if (kind !== "random") parts.push(b);
    }
  } finally {
    await fh.close();
  }
  return kind === "random" ? null : gzipSync(Buffer.concat(parts), { level: 6 }).length;
}
