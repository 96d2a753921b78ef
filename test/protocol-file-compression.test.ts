// The compression decision (src/protocol/file/compression.ts, WIRE-NOTES §8.2, §15.7).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CHEAP_LEVELS_MAX_RATIO, cheaperLevelsWorthTrying, cheapestMix, compressesEnough, describeMix, FAST_LEVEL_MIN_SHARE, memberLevel, oneLevel, SAMPLE_MAX_RATIO, wantsCompression, type LevelMix } from "../src/protocol/file/compression.js";

test("wantsCompression: the user's wish and the extension list; an empty file follows compressEmpty", () => {
  const table: [string, number, boolean, boolean, boolean][] = [
    // filename, size, userWants, compressEmpty, result
    ["notes.txt", 10, true, true, true],
    ["notes.txt", 10, false, true, false],
    ["movie.MP4", 10, true, true, false],
    [".gz", 10, true, true, true], // leading dots do not count (WIRE-NOTES §8.2)
    ["empty.zip", 0, false, true, true],
    ["empty.txt", 0, false, false, false],
    ["empty.txt", 0, true, false, true],
  ];
  for (const [filename, size, userWants, compressEmpty, want] of table) {
    assert.equal(wantsCompression({ filename, size, userWants, compressEmpty }), want, `${filename} ${size} ${userWants} ${compressEmpty}`);
  }
});

test("compressesEnough: below 90 % of the sample size, or nothing to sample", () => {
  assert.equal(SAMPLE_MAX_RATIO, 0.9);
  assert.equal(compressesEnough(1000, 899), true);
  assert.equal(compressesEnough(1000, 900), false);
  assert.equal(compressesEnough(0, 0), true);
});

test("cheapestMix: the cheapest level that keeps FAST_LEVEL_MIN_SHARE of level 6's ratio, and as many members as allowed one level cheaper", () => {
  // Level 1 keeps the ratio: every member at 1.
  assert.deepEqual(cheapestMix([{ level: 1, out: 1020 }, { level: 2, out: 1010 }, { level: 6, out: 1000 }]), oneLevel(1));
  // Only level 6 keeps it, level 2 loses 10 %: as many at 2 as the ratio allows.
  const logs = cheapestMix([{ level: 2, out: 1100 }, { level: 6, out: 1000 }]);
  assert.equal(logs.fast, 2);
  assert.equal(logs.slow, 6);
  // 1000/0.97 = 1030.93 bytes at most: share s with s*1100 + (1-s)*1000 <= 1030.93, s = 0.30 (rounded down).
  assert.equal(FAST_LEVEL_MIN_SHARE, 0.97);
  assert.equal(logs.share, 0.3);
  // Prose: level 2 keeps 97.9 %, level 1 95.0 %: between 1 and 2.
  const prose = cheapestMix([{ level: 1, out: 1 / 2.007 }, { level: 2, out: 1 / 2.067 }, { level: 6, out: 1 / 2.112 }]);
  assert.deepEqual([prose.fast, prose.slow], [1, 2]);
  const ratio = 1 / (prose.share / 2.007 + (1 - prose.share) / 2.067);
  assert.ok(ratio >= FAST_LEVEL_MIN_SHARE * 2.112, `expected ratio ${ratio}`);
  assert.ok(ratio < FAST_LEVEL_MIN_SHARE * 2.112 * 1.002, "and not much more: the rest of the CPU is saved");
  // Nothing cheaper keeps it, and a level that gives no more bytes than 6 is no loss.
  assert.deepEqual(cheapestMix([{ level: 6, out: 1000 }]), oneLevel(6));
  assert.deepEqual(cheapestMix([{ level: 2, out: 1000 }, { level: 6, out: 1000 }]), oneLevel(2));
  // Just above the bound: nearly every member at the cheaper level; far above it: none.
  assert.equal(cheapestMix([{ level: 2, out: 1000 / FAST_LEVEL_MIN_SHARE + 1 }, { level: 6, out: 1000 }]).share, 0.96);
  assert.deepEqual(cheapestMix([{ level: 2, out: 1e9 }, { level: 6, out: 1000 }]), oneLevel(6));
});

test("memberLevel: floor(n × share) of any n members in a row at the cheaper level, spread out; describeMix says which", () => {
  const mix: LevelMix = { fast: 1, slow: 2, share: 0.65 };
  const levels = Array.from({ length: 200 }, (_, i) => memberLevel(mix, i));
  for (let start = 0; start < 100; start += 7) {
    for (const n of [1, 2, 3, 10, 100]) {
      const fast = levels.slice(start, start + n).filter((l) => l === 1).length;
      assert.ok(Math.abs(fast - n * mix.share) < 1, `${fast} of ${n} from ${start}`);
    }
  }
  assert.ok(levels.every((l) => l === 1 || l === 2));
  assert.ok(Array.from({ length: 50 }, (_, i) => memberLevel(oneLevel(6), i)).every((l) => l === 6));
  assert.equal(memberLevel({ fast: 1, slow: 2, share: 1 }, 5), 1);
  assert.equal(describeMix(oneLevel(6)), "level 6");
  assert.equal(describeMix(mix), "levels 1 and 2 (65 % at 1)");
  assert.equal(describeMix(mix, (l) => (l === 1 ? "one" : String(l))), "levels one and 2 (65 % at one)");
});

test("cheaperLevelsWorthTrying: only below 10× at level 6", () => {
  assert.equal(CHEAP_LEVELS_MAX_RATIO, 10);
  assert.equal(cheaperLevelsWorthTrying(1000, 480), true); // prose, about 2×
  assert.equal(cheaperLevelsWorthTrying(1000, 200), true); // logs, about 5×
  assert.equal(cheaperLevelsWorthTrying(1000, 101), true);
  assert.equal(cheaperLevelsWorthTrying(1000, 100), false);
  assert.equal(cheaperLevelsWorthTrying(262144, 1000), false); // a repeated line, about 260×
});
