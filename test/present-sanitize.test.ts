// Unit tests of the terminal sanitiser (src/present/sanitize.ts): the shared
// display policy plus the terminal's continuation lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMessage, isTerminalSafe, sanitizeInline, sanitizeLines } from "../src/present/sanitize.js";

test("sanitizeInline: escape sequences become visible and inert", () => {
  assert.equal(sanitizeInline("\x1b[2J\x1b]0;pwned\x07"), "^[[2J^[]0;pwned^G");
  assert.equal(sanitizeInline("a\x9b31mb"), "a<U+009B>31mb");
  assert.equal(sanitizeInline("del\x7f"), "del^?");
  assert.equal(sanitizeInline("nul\x00"), "nul^@");
  assert.equal(sanitizeInline("cr\rlf\n"), "cr^Mlf^J");
  assert.equal(sanitizeInline("tab\there"), "tab here");
  assert.equal(sanitizeInline("\x85next-line"), "<U+0085>next-line");
});

test("sanitizeInline: bidi overrides and isolates are neutralised", () => {
  assert.equal(sanitizeInline("abc\u202edcba"), "abc<U+202E>dcba");
  for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
    const out = sanitizeInline(`x${String.fromCodePoint(cp)}y`);
    assert.ok(!out.includes(String.fromCodePoint(cp)), cp.toString(16));
    assert.match(out, /^x<U\+20[26][0-9A-F]>y$/);
  }
  assert.equal(sanitizeInline("a\u2028b"), "a<U+2028>b");
});

test("sanitizeInline: normal Unicode and emoji are kept exactly", () => {
  const samples = [
    "Grüße, ça va? Ελληνικά 日本語 한국어 עברית العربية",
    "👋🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 1️⃣",
    "plain ASCII with punctuation !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "zero\u200dwidth joiner (emoji sequences need it)",
  ];
  for (const s of samples) assert.equal(sanitizeInline(s), s);
});

test("sanitizeLines: every kind of line break splits, each line sanitised", () => {
  assert.deepEqual(sanitizeLines("one\ntwo\r\nthree\rfour\u2029five"), ["one", "two", "three", "four", "five"]);
  assert.deepEqual(sanitizeLines("a\x1b[31m\nb"), ["a^[[31m", "b"]);
});

test("formatMessage: continuation lines are indented under the first", () => {
  assert.deepEqual(formatMessage("bob: ", "hi\nthere\n\x1b[2Jx"), ["bob: hi", "     there", "     ^[[2Jx"]);
});

test("isTerminalSafe", () => {
  assert.equal(isTerminalSafe("hello 👋\nworld"), true);
  assert.equal(isTerminalSafe("a\x1bb"), false);
  assert.equal(isTerminalSafe("a\u202eb"), false);
  assert.equal(isTerminalSafe(sanitizeInline("\x1b\x07\x9b\u202e\u2066")), true);
});

test("fuzz: sanitised output never contains a control, DEL, C1 or bidi control", () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pool = [0x00, 0x07, 0x08, 0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0x9c, 0x202a, 0x202e, 0x2066, 0x2069, 0x41, 0xe9, 0x1f600, 0x200d];
  for (let i = 0; i < 500; i++) {
    let s = "";
    const n = Math.floor(rnd() * 20);
    for (let j = 0; j < n; j++) s += String.fromCodePoint(pool[Math.floor(rnd() * pool.length)]!);
    const one = sanitizeInline(s);
    assert.ok(isTerminalSafe(one) && !one.includes("\n"), JSON.stringify(s));
    for (const l of sanitizeLines(s)) assert.ok(isTerminalSafe(l) && !l.includes("\n"), JSON.stringify(s));
  }
});
