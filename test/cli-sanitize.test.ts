// Unit tests of the terminal sanitiser and the status-line formatting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMessage, isTerminalSafe, sanitizeInline, sanitizeLines } from "../src/present/sanitize.js";
import {
  colourWanted,
  formatEta,
  formatRate,
  formatStatus,
  formatTransfer,
  palette,
  progressBar,
  truncateVisible,
  visibleLength,
} from "../src/tui/format.js";

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

test("formatting helpers: rates, ETA, bars", () => {
  assert.equal(formatRate(3_200_000), "3.20 MB/s");
  assert.equal(formatRate(0), "-- MB/s");
  assert.equal(formatEta(12.2), "ETA 13s");
  assert.equal(formatEta(125), "ETA 2m05s");
  assert.equal(formatEta(null), "ETA --");
  assert.equal(progressBar(50, 100, 10), "[#####-----]");
  const t = formatTransfer({ transfer_id: "t", filename: "a\x1b[2Jb.txt", direction: "in", bytes: 25, total: 100, rate: 1e6, eta: 3 });
  assert.equal(t, "↓ a^[[2Jb.txt [#####---------------] 25% 1.00 MB/s ETA 3s");
});

test("status line: UNVERIFIED prominent, colours only when enabled, width respected", () => {
  const view = {
    phase: "secure" as const,
    server: "127.0.0.1:16384",
    peerNickname: "bob\x1b[2J",
    verified: null,
    peerVerified: null,
    transfers: [{ transfer_id: "t", filename: "big.iso", direction: "out" as const, bytes: 5, total: 10, rate: 2e6, eta: 2 }],
  };
  const plain = formatStatus(view, palette(false), 200);
  assert.equal(plain, "[secure]  peer: bob^[[2J   UNVERIFIED   | ↑ big.iso [########--------] 50% 2.00 MB/s ETA 2s");
  const coloured = formatStatus(view, palette(true), 200);
  /* eslint-disable no-control-regex */
  assert.match(coloured, /\x1b\[1;97;41m UNVERIFIED \x1b\[0m/);
  assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ""), plain);
  /* eslint-enable no-control-regex */
  // The peer's (plaintext, forgeable: WIRE-NOTES §10) "verified" is a claim beside our own UNVERIFIED, never a verification.
  const claimed = formatStatus({ ...view, peerVerified: true, transfers: [] }, palette(false), 200);
  assert.equal(claimed, "[secure]  peer: bob^[[2J   UNVERIFIED   peer says they verified you (not proof)");
  assert.doesNotMatch(claimed, /peer verified you/);
  const narrow = formatStatus(view, palette(true), 40);
  assert.ok(visibleLength(narrow) <= 39, narrow);
  assert.equal(formatStatus({ ...view, verified: true }, palette(false), 200).includes("UNVERIFIED"), false);
  assert.equal(visibleLength(truncateVisible("\x1b[1mabcdef\x1b[22m", 4)), 4);
});

test("terminal width: CJK and emoji take two columns, combining marks none, escapes none", () => {
  assert.equal(visibleLength("abc"), 3);
  assert.equal(visibleLength("日本語"), 6);
  assert.equal(visibleLength("한국어"), 6);
  assert.equal(visibleLength("ｆｕｌｌ"), 8);
  assert.equal(visibleLength("👍"), 2);
  assert.equal(visibleLength("👨\u200d👩\u200d👧"), 2); // one grapheme
  assert.equal(visibleLength("❤\ufe0f"), 2);
  assert.equal(visibleLength("❤"), 1);
  assert.equal(visibleLength("e\u0301"), 1);
  assert.equal(visibleLength("\x1b[31mred\x1b[0m"), 3);
  // Cut by columns, never through a wide character.
  const cut = truncateVisible("日本語のテキスト", 6);
  assert.equal(cut, "日本…");
  assert.ok(visibleLength(cut) <= 6);
  assert.equal(truncateVisible("ab👍cd", 4), "ab…");
  assert.equal(visibleLength(truncateVisible("\x1b[1m日本語\x1b[22mtext", 5)), 5);
});

test("colours: only on a TTY with NO_COLOR unset or empty", () => {
  assert.equal(colourWanted(true, {}), true);
  assert.equal(colourWanted(false, {}), false);
  assert.equal(colourWanted(undefined, {}), false);
  assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
  assert.equal(colourWanted(true, { NO_COLOR: "" }), true);
});
