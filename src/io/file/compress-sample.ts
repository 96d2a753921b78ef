// Does a file's content compress? A few spread-out samples are gzipped and the
// decision is protocol/file/compression.ts's (skip compression when they
// shrink by less than 10 %).
import { open } from "node:fs/promises";
import { compressesEnough } from "../../protocol/file/compression.js";
import type { Compressor } from "./gzip-members.js";

export const SAMPLE_BYTES = 256 * 1024;
export const SAMPLE_COUNT = 4;

/**
 * Does the content compress by at least 10 %? gzips up to SAMPLE_COUNT
 * samples of SAMPLE_BYTES spread over the file (the whole file if it is
 * smaller) at the chosen level.
 */
export async function worthCompressing(filePath: string, size: number, level: number, compress: Compressor, signal?: AbortSignal): Promise<boolean> {
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
  signal?.throwIfAborted();
  const inBytes = samples.reduce((n, b) => n + b.length, 0);
  if (inBytes === 0) return compressesEnough(0, 0);
  const outs = await Promise.all(samples.map((b) => compress(b, level)));
  return compressesEnough(inBytes, outs.reduce((n, b) => n + b.length, 0));
}
