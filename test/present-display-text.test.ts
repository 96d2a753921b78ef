// The one display policy (src/present/display-text.ts) shared by the terminal
// client and the GUI page: tested once here, and checked to be the very code
// both of them run (the terminal's sanitize.ts re-exports it; the page's
// display-text.mjs is its compiled output, which the page's modules import).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as policy from "../src/present/display-text.js";
import { displayInline, displayLines, displayMultiline, displayName, groupHex, isDisplaySafe, neutraliseChar, stripUnsafe, UNSAFE_CHAR } from "../src/present/display-text.js";
import { sanitizeInline, sanitizeLines, sanitizeName } from "../src/present/sanitize.js";

const PAGE_COPY = new URL("../src/gui/static/display-text.mjs", import.meta.url);

test("invisible and direction characters are made visible (U+200B, U+200E, U+200F, U+061C, U+FEFF, U+2060)", () => {
  for (const cp of [0x200b, 0x200e, 0x200f, 0x061c, 0xfeff, 0x2060, 0xfff9]) {
    const ch = String.fromCodePoint(cp);
    const out = displayInline(`a${ch}b`);
    assert.ok(!out.includes(ch), cp.toString(16));
    assert.equal(out, `a<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>b`);
  }
});

test("bidi embeddings, overrides and isolates are neutralised", () => {
  for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
    assert.match(displayInline(`x${String.fromCodePoint(cp)}y`), /^x<U\+20[26][0-9A-F]>y$/);
  }
  assert.equal(displayInline("invoice\u202egnp.exe"), "invoice<U+202E>gnp.exe");
});

test("C0 and C1 controls and ANSI escapes are inert", () => {
  assert.equal(displayInline("\x1b[2J\x1b]0;pwned\x07"), "^[[2J^[]0;pwned^G");
  assert.equal(displayInline("a\x9b31mb\x85"), "a<U+009B>31mb<U+0085>");
  assert.equal(displayInline("nul\x00 del\x7f tab\tx"), "nul^@ del^? tab x");
  assert.equal(displayInline("a\u2028b"), "a<U+2028>b");
  for (let cp = 0; cp < 0xa0; cp++) {
    if (cp >= 0x20 && cp < 0x7f) continue;
    assert.ok(isDisplaySafe(displayInline(String.fromCodePoint(cp))), cp.toString(16));
    assert.equal(isDisplaySafe(String.fromCodePoint(cp)), cp === 0x0a, cp.toString(16));
  }
});

test("ordinary text and emoji are kept exactly", () => {
  for (const s of ["Grüße Ελληνικά 日本語 עברית العربية", "👋🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 1️⃣", "a  b"]) assert.equal(displayInline(s), s);
});

test("lines: every line break splits, each line is made safe; the multi-line form joins with \\n", () => {
  assert.deepEqual(displayLines("one\ntwo\r\nthree\rfour\u2029five\u200b"), ["one", "two", "three", "four", "five<U+200B>"]);
  assert.equal(displayMultiline("a\r\nb\x1b[31m\u2028c"), "a\nb^[[31m\nc");
});

test("names: a padded extension stays visible; long names are cut in the middle", () => {
  const trick = "invoice.pdf" + " ".repeat(240) + ".exe";
  for (const max of [24, 40, 80, 200]) {
    const shown = displayName(trick, max);
    assert.ok(shown.endsWith(".exe"), `${max}: ${JSON.stringify(shown)}`);
    assert.ok([...shown].length <= max, `${max}: ${shown.length}`);
  }
  assert.equal(displayName(trick, 200), "invoice.pdf [240 spaces] .exe");
  const long = "a".repeat(100) + "-tail.txt";
  const cut = displayName(long, 30);
  assert.equal([...cut].length, 30);
  assert.ok(cut.startsWith("aaaa") && cut.includes("…") && cut.endsWith("-tail.txt"), cut);
  // Never cut inside a notation.
  const marks = "\u202e".repeat(40) + ".exe";
  assert.match(displayName(marks, 30), /^(<U\+202E>)+…(<U\+202E>)*\.exe$/);
  assert.equal(displayName("short.txt", 30), "short.txt");
  assert.equal(displayName("two  spaces", 30), "two  spaces");
});

test("full fingerprint grouping: 64 hex digits in 2 lines of 8 groups of 4", () => {
  const hex = "0123456789abcdef".repeat(4);
  assert.deepEqual(groupHex(hex), ["0123 4567 89ab cdef 0123 4567 89ab cdef", "0123 4567 89ab cdef 0123 4567 89ab cdef"]);
});

test("the terminal client and the GUI page run this same policy", async () => {
  assert.equal(sanitizeInline, displayInline);
  assert.equal(sanitizeLines, displayLines);
  assert.equal(sanitizeName, displayName);
  // The page's module (what the bridge serves) is the compiled policy, and behaves identically.
  const page = (await import(PAGE_COPY.href)) as typeof policy;
  const samples = ["x\u200b\u200e\u200f\u061c\ufeff\u202e\x1b[1m\x9b", "invoice.pdf" + " ".repeat(240) + ".exe", "a\nb\rc"];
  for (const s of samples) {
    assert.equal(page.displayInline(s), displayInline(s));
    assert.equal(page.displayName(s, 40), displayName(s, 40));
    assert.equal(page.displayMultiline(s), displayMultiline(s));
  }
  assert.ok(!readFileSync(PAGE_COPY, "utf8").includes("sourceMappingURL"));
  assert.deepEqual(Object.keys(page).sort(), Object.keys(policy).sort());
});

test("stripUnsafe removes exactly what the policy would neutralise (for a name that must stay a plain name)", () => {
  assert.equal(stripUnsafe("invoice\u202egnp.exe"), "invoicegnp.exe");
  assert.equal(stripUnsafe("a\x1b[2Jb\u200b\ufeffc\td"), "a[2Jbcd");
  assert.equal(stripUnsafe("日本語 👋 é"), "日本語 👋 é");
  for (let cp = 0; cp < 0x3000; cp++) {
    const ch = String.fromCodePoint(cp);
    assert.equal(stripUnsafe(ch) === "", UNSAFE_CHAR.test(ch), cp.toString(16));
    assert.equal(UNSAFE_CHAR.test(ch), neutraliseChar(ch) !== ch || ch === "\n", cp.toString(16));
  }
});
