// Does a file's content compress, and at which level? A few spread-out
// samples are gzipped and the decisions are protocol/file/compression.ts's:
// skip compression when they shrink by less than 10 % at level 6, and use the
// engine's cheaper level (deflate.ts FAST_GZIP_LEVEL) when its samples keep
// the ratio close to level 6's.
import { open } from "node:fs/promises";
import { DEFAULT_GZIP_LEVEL, FAST_GZIP_LEVEL } from "../deflate.js";
import { compressesEnough, fastLevelKeepsRatio } from "../../protocol/file/compression.js";
import type { Compressor } from "./gzip-members.js";

export const SAMPLE_BYTES = 256 * 1024;
export const SAMPLE_COUNT = 4;

/** What the samples decided: send compressed or not, and the gzip level. */
export interface GzipChoice {
  compress: boolean;
  level: number;
}

/** Up to SAMPLE_COUNT samples of SAMPLE_BYTES spread over the file (the whole file if it is smaller). */
async function readSamples(filePath: string, size: number): Promise<Uint8Array[]> {
  const total = SAMPLE_BYTES * SAMPLE_COUNT;
  const ranges: [number, number][] = [];
  if (size <= total) ranges.push([0, size]);
  else for (let i = 0; i < SAMPLE_COUNT; i++) ranges.push([Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLE_COUNT - 1)), SAMPLE_BYTES]);
  const fh = await open(filePath, "r");
  const samples: Uint8Array[] = [];
  try {
    for (const [off, len] of ranges) {
      const b = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(b, got, len - got, off + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      samples.push(b.subarray(0, got));
    }
  } finally {
    await fh.close();
  }
  return samples;
}

/** Bytes of gzip the samples give at `level` (from copies: a worker pool's compressor takes its input over). */
async function gzipBytes(samples: Uint8Array[], level: number, compress: Compressor): Promise<number> {
  const outs = await Promise.all(samples.map((b) => compress(Uint8Array.from(b), level)));
  return outs.reduce((n, b) => n + b.length, 0);
}

/**
 * Compress or not, and at which level. With `level` (the user's), the samples
 * are gzipped at that level and only the first question is asked. Without,
 * they are gzipped at level 6 for it, then, if they compress, at the cheaper
 * level too, which is chosen if its ratio is close enough to level 6's.
 */
export async function chooseGzip(filePath: string, size: number, compress: Compressor, level?: number, signal?: AbortSignal): Promise<GzipChoice> {
  const samples = await readSamples(filePath, size);
  signal?.throwIfAborted();
  const inBytes = samples.reduce((n, b) => n + b.length, 0);
  const first = level ?? DEFAULT_GZIP_LEVEL;
  if (inBytes === 0) return { compress: compressesEnough(0, 0), level: first };
  const out = await gzipBytes(samples, first, compress);
  if (!compressesEnough(inBytes, out)) return { compress: false, level: first };
  if (level !== undefined || FAST_GZIP_LEVEL === DEFAULT_GZIP_LEVEL) return { compress: true, level: first };
  signal?.throwIfAborted();
  const fast = await gzipBytes(samples, FAST_GZIP_LEVEL, compress);
  return { compress: true, level: fastLevelKeepsRatio(out, fast) ? FAST_GZIP_LEVEL : DEFAULT_GZIP_LEVEL };
}
