// Whether a file is sent gzip-compressed: the rule of WIRE-NOTES §8.2 (the
// user's wish and the incompressible-extension list) with our two departures
// from the reference sender, both invisible to a receiver (any valid gzip
// stream must be accepted, WIRE-NOTES §8.4):
//   - an empty file is sent as a gzip stream, because an uncompressed empty
//     file has 0 chunks and never completes on a reference receiver
//     (WIRE-NOTES §15.7);
//   - content whose samples shrink by less than 10 % is sent as it is;
//   - unless the user names a level, a cheaper level than 6 is used where the
//     samples show it keeps the ratio close to level 6's.
// No I/O: io/file/outgoing.ts reads the samples and asks here.
import { hasIncompressibleExtension } from "./metadata.js";

/** Compression is worth it when the samples shrink to less than this share of their size. */
export const SAMPLE_MAX_RATIO = 0.9;

/** The decision before any content is read (WIRE-NOTES §8.2, §15.7). */
export function wantsCompression(f: { filename: string; size: number; userWants: boolean; compressEmpty: boolean }): boolean {
  if (f.size === 0 && f.compressEmpty) return true;
  return f.userWants && !hasIncompressibleExtension(f.filename);
}

/** The decision after compressing samples: `inBytes` of content gave `outBytes` of gzip. */
export function compressesEnough(inBytes: number, outBytes: number): boolean {
  return inBytes === 0 || outBytes < inBytes * SAMPLE_MAX_RATIO;
}

/**
 * The cheaper level is used when its samples' ratio is at least this share of
 * level 6's: the promise is a ratio within 5 % of gzip level 6, and 1 % is
 * left for what a few samples do not see of the whole file.
 */
export const FAST_LEVEL_MIN_SHARE = 0.96;

/** The decision between two levels: level 6 gave `out6` bytes of gzip, the cheaper level `outFast`, from the same samples. */
export function fastLevelKeepsRatio(out6: number, outFast: number): boolean {
  return outFast * FAST_LEVEL_MIN_SHARE <= out6;
}
