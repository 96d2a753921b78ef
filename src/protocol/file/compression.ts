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
 * The ratio a stream compressed at cheaper levels must keep, as a share of
 * level 6's on the same samples. The promise is a ratio within 5 % of gzip
 * level 6; samples of 256 KiB overstate what a cheaper level keeps (each
 * starts without history, which costs level 6 more: on prose, libdeflate's
 * level 1 keeps 95.9 % on the samples but 95.0 % over the whole file in 4 MiB
 * members), and 1 % more is left for what a few samples do not see.
 */
export const FAST_LEVEL_MIN_SHARE = 0.97;

/**
 * Cheaper levels are tried only for content that level 6 shrinks by less than
 * this factor. Deflate spends little per byte at any level on content made of
 * long repeats (a repeated line: 1.1 CPU-s per GiB at libdeflate's level 1,
 * 1.9 at 6), so a cheaper level saves nothing worth its ratio there, and the
 * samples misjudge it most (their level 1 kept 97.4 % of level 6's ratio, the
 * whole file 95.7 % in members and 93.7 % of one level-6 stream).
 */
export const CHEAP_LEVELS_MAX_RATIO = 10;

/** Whether cheaper levels are worth trying, from level 6's samples: `inBytes` gave `out6` bytes of gzip. */
export function cheaperLevelsWorthTrying(inBytes: number, out6: number): boolean {
  return inBytes < out6 * CHEAP_LEVELS_MAX_RATIO;
}

/**
 * How the members of one gzip stream are compressed: `share` of them (0..1,
 * spread evenly) at the cheaper level `fast`, the others at `slow`. Each
 * member is a whole gzip member whatever its level, and a receiver accepts
 * any valid gzip stream (WIRE-NOTES §8.4), so a mix is invisible on the wire.
 */
export interface LevelMix {
  readonly fast: number;
  readonly slow: number;
  readonly share: number;
}

/** Every member at `level`. */
export const oneLevel = (level: number): LevelMix => ({ fast: level, slow: level, share: 0 });

/**
 * The cheapest mix that keeps FAST_LEVEL_MIN_SHARE of level 6's ratio, from
 * the gzip bytes the same samples gave at each level tried: cheapest level
 * first, level 6 last (each level tried costs more CPU and gives fewer bytes
 * than the one before it). Between the cheapest level that keeps the ratio
 * and the one just cheaper than it, as many members as the ratio allows go
 * to the cheaper one: the CPU saved is the most the promised ratio allows.
 */
export function cheapestMix(tried: readonly { level: number; out: number }[]): LevelMix {
  const reference = tried[tried.length - 1]!;
  const most = reference.out / FAST_LEVEL_MIN_SHARE;
  for (let i = 0; i < tried.length; i++) {
    const slow = tried[i]!;
    if (slow.out > most) continue;
    if (i === 0) return oneLevel(slow.level);
    const fast = tried[i - 1]!; // fast.out > most >= slow.out
    const share = Math.floor(((most - slow.out) / (fast.out - slow.out)) * 100) / 100;
    return share > 0 ? { fast: fast.level, slow: slow.level, share } : oneLevel(slow.level);
  }
  return oneLevel(reference.level);
}

/** The level of member `index` (0, 1, …): floor(n × share) of any n members in a row are at the cheaper level. */
export function memberLevel(mix: LevelMix, index: number): number {
  return Math.floor((index + 1) * mix.share) > Math.floor(index * mix.share) ? mix.fast : mix.slow;
}

/** "level 6", or "levels 1 and 2 (65 % at 1)"; `name` says how a level reads (the engine's own names). */
export function describeMix(mix: LevelMix, name: (level: number) => string = String): string {
  if (mix.share === 0 || mix.fast === mix.slow) return `level ${name(mix.slow)}`;
  return `levels ${name(mix.fast)} and ${name(mix.slow)} (${Math.round(mix.share * 100)} % at ${name(mix.fast)})`;
}
