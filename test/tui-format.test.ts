// Unit tests of the terminal's formatting (src/tui/format.ts): progress, the
// status line, terminal widths and colours.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  colourWanted,
  formatEta,
  formatStatus,
  formatTransfer,
  palette,
  progressBar,
  truncateVisible,
  visibleLength,
} from "../src/tui/format.js";

test("formatting helpers: ETA, bars, a transfer's line", () => {
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
