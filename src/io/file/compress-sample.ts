// Does a file's content compress, and at which levels? A few spread-out
// samples are gzipped and the decisions are protocol/file/compression.ts's:
// skip compression when they shrink by less than 10 % at level 6, and compress
// members at the engine's cheaper levels (deflate.ts CHEAP_GZIP_LEVELS) as far
// as the samples show the ratio stays close to level 6's.
import { open } from "node:fs/promises";
import { CHEAP_GZIP_LEVELS, DEFAULT_GZIP_LEVEL, gzipOutputBound } from "../deflate.js";
import { FAST_LEVEL_MIN_SHARE, cheaperLevelsWorthTrying, cheapestMix, compressesEnough, oneLevel, type LevelMix } from "../../protocol/file/compression.js";
import { GZIP_IN_FLIGHT, uvCompressor, type Compressor } from "./gzip-members.js";

export const SAMPLE_BYTES = 256 * 1024;
export const SAMPLE_COUNT = 4;

/** What the samples decided: send compressed or not, and the gzip levels of the members. */
export interface GzipChoice {
  compress: boolean;
  mix: LevelMix;
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

/**
 * Bytes of gzip the samples give at a level. On libuv's pool the samples are
 * compressed where they are, into one output buffer per sample used again
 * from level to level (fresh pages cost more here than a sample's copy is
 * worth); a worker pool's compressor takes its input over, so it gets copies.
 */
function sampleGzipper(samples: Uint8Array[], compress: Compressor): (level: number) => Promise<number> {
  const inPlace = compress === uvCompressor;
  const outs = samples.map((b) => (inPlace ? new Uint8Array(gzipOutputBound(b.length)) : undefined));
  // As many at once as members in flight: more only wait for a core, and each costs a compressor of its level more (deflate.c).
  return async (level) => {
    let total = 0;
    for (let i = 0; i < samples.length; i += GZIP_IN_FLIGHT) {
      const batch = samples.slice(i, i + GZIP_IN_FLIGHT);
      const zs = await Promise.all(batch.map((b, k) => compress(inPlace ? b : Uint8Array.from(b), level, outs[i + k])));
      total += zs.reduce((n, z) => n + z.length, 0);
    }
    return total;
  };
}

/**
 * Compress or not, and at which levels. With `level` (the user's), the samples
 * are gzipped at that level and only the first question is asked. Without,
 * they are gzipped at level 6 for it, then, if they compress (but not by 10×
 * or more, cheaperLevelsWorthTrying), at the cheaper levels, dearest first, until one loses too much of level 6's ratio (a
 * cheaper one would lose more still); cheapestMix decides from what they gave.
 */
export async function chooseGzip(filePath: string, size: number, compress: Compressor, level?: number, signal?: AbortSignal): Promise<GzipChoice> {
  const samples = await readSamples(filePath, size);
  signal?.throwIfAborted();
  const inBytes = samples.reduce((n, b) => n + b.length, 0);
  const first = level ?? DEFAULT_GZIP_LEVEL;
  if (inBytes === 0) return { compress: compressesEnough(0, 0), mix: oneLevel(first) };
  const gzipBytes = sampleGzipper(samples, compress);
  const out = await gzipBytes(first);
  if (!compressesEnough(inBytes, out)) return { compress: false, mix: oneLevel(first) };
  if (level !== undefined || !cheaperLevelsWorthTrying(inBytes, out)) return { compress: true, mix: oneLevel(first) };
  const tried = [{ level: first, out }];
  for (const cheaper of [...CHEAP_GZIP_LEVELS].reverse()) {
    signal?.throwIfAborted();
    const o = await gzipBytes(cheaper);
    tried.unshift({ level: cheaper, out: o });
    if (o * FAST_LEVEL_MIN_SHARE > out) break;
  }
  return { compress: true, mix: cheapestMix(tried) };
}
