// A GUI talking to the terminal client's JSON-lines interface (`pqchat chat
// --json`) through a real `pqchat server`: same fingerprint words, verification
// both ways, text both ways, files both ways (the GUI's download on disk with
// the right hash), a rekey started by the terminal client, its ephemeral-mode
// handling of a peer that is not the owner, and the peer leaving.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { JsonChat } from "./helpers/cli-proc.js";
import { connectPage, dialogWords, launchBrowser, openGuiPage } from "./helpers/gui-browser.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

// Callbacks for page.waitForFunction() run in the browser (no DOM library here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, getComputedStyle: any;

let server: ServerHandle;
let gui: GuiHandle;
let browser: Browser;
let page: Page;
let term: JsonChat;
const work = mkdtempSync(join(tmpdir(), "pqchat-gui-json-"));
const pageErrors: string[] = [];

before(async () => {
  server = await startServer();
  [gui, browser] = await Promise.all([startGui(), launchBrowser()]);
  const p = await openGuiPage(browser, gui.url);
  page = p.page;
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  term?.kill();
  await browser?.close().catch(() => undefined);
  await Promise.all([gui?.stop(), server?.stop()]);
  gui?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const peerSaid = (p: Page, text: string): Promise<unknown> =>
  p.waitForFunction((t: string) => [...document.querySelectorAll("#log .msg.peer .text")].some((e: { textContent: string }) => e.textContent === t), text);

test("GUI and terminal client (chat --json) through one server", async (t) => {
  await t.test("pairing and the same eight words", async () => {
    await connectPage(page, server.host, server.port, "gui-json", "Gina");
    await page.waitForSelector("#status[data-phase='waiting_for_peer']");
    term = new JsonChat([`${server.host}:${server.port}`, "--room", "gui-json", "--nick", "Terry", "--download-dir", work], { cwd: work });
    const ke = await term.next("key_exchange_complete");
    await page.waitForSelector("#dlg-verify[open]");
    const words = await dialogWords(page);
    assert.deepEqual(words.flat(), ke["words"]);
    assert.deepEqual(words, [(ke["words"] as string[]).slice(0, 4), (ke["words"] as string[]).slice(4)]);
    // "Compare the full fingerprint": the whole SHA-256, 2 lines of 8 groups, the same as the terminal client's.
    assert.equal(await page.isVisible("#verify-hex"), false);
    await page.click("#verify-full summary");
    await page.waitForSelector("#verify-hex p", { state: "visible" });
    const lines = await page.locator("#verify-hex p").allTextContents();
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
    assert.equal(lines.join("").replace(/ /g, ""), ke["fingerprint_sha256"]);
  });

  await t.test("verification both ways; the peer's answer is shown as a claim, not as proof", async () => {
    // Before the user answers, the peer's (forgeable, WIRE-NOTES §10) "verified" changes nothing but a muted note.
    await term.ok("verify", { answer: true });
    await page.waitForFunction(() => document.querySelector("#peer-verdict")?.textContent === "Peer says they verified you (not proof)");
    assert.equal(await page.getAttribute("#verify-pill", "data-state"), "unverified");
    assert.equal(await page.isVisible("#verify-banner"), true);
    assert.match((await page.textContent("#verify-peer"))!, /not proof.*Only your own comparison protects you/);
    assert.equal(await page.getAttribute("#verify-peer", "class"), "peer-claim");
    const claims = await page.locator("#log .sys").allTextContents();
    assert.ok(claims.some((c) => /Your peer says they verified you\. That is their claim, not proof/.test(c)), claims.join(" | "));
    assert.ok(!claims.some((c) => /Your peer verified you/.test(c)));
    // Only the local decision turns the badge green; the answer names the words the dialog shows.
    await page.click("#btn-match");
    assert.equal((await term.next("peer_verified"))["verified"], true);
    await page.waitForSelector("#verify-pill[data-state='verified']");
    await page.waitForFunction(() => document.querySelector("#peer-name")?.textContent === "Terry");
    assert.equal(await page.isVisible("#verify-banner"), false);
  });

  await t.test("text both ways, with delivery ticks", async () => {
    await page.fill("#input", "hello terminal 👋");
    await page.press("#input", "Enter");
    const m = await term.next("message", { text: "hello terminal 👋" });
    assert.equal(m["nickname"], "Gina");
    await page.waitForSelector("#log .msg.own .ticks[data-state='delivered']");
    await term.ok("send", { text: "hello browser\nsecond line" });
    await peerSaid(page, "hello browser\nsecond line");
 
    // The shared display policy (src/present/display-text.ts): invisible and direction characters are shown, inert.
    await term.ok("send", { text: "zero\u200bwidth \u200emark \u061c\ufeff \u202eevil \x1b[31mred" });
    await peerSaid(page, "zero<U+200B>width <U+200E>mark <U+061C><U+FEFF> <U+202E>evil ^[[31mred");
  });

  await t.test("files both ways", async () => {
    // Terminal -> GUI: accepted in the page, saved in the GUI's download dir.
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const src = join(work, "from-terminal.bin");
    writeFileSync(src, data);
    await term.ok("file", { path: src });
    await page.waitForSelector("#dlg-offer[open]");
    assert.equal(await page.textContent("#offer-name"), "from-terminal.bin");
    await page.click("#btn-offer-accept");
    await page.waitForFunction(() => /Received ✓/.test(document.querySelector("#transfers .xfer[data-dir='in']")?.textContent ?? ""), undefined, { timeout: 60000 });
    await term.next("file_complete");

    // A name padded so its real extension falls off the end: the page shows the end ("…[240 spaces] .exe").
    const padded = join(work, "invoice.pdf" + " ".repeat(240) + ".exe");
    writeFileSync(padded, "MZ not really");
    await term.ok("file", { path: padded });
    await page.waitForSelector("#dlg-offer[open]");
    const shownName = (await page.textContent("#offer-name"))!;
    assert.match(shownName, /^invoice\.pdf.*\.exe$/);
    assert.match(shownName, /\[240 spaces\]/);
    const rowName = (await page.locator("#transfers .xfer[data-dir='in'] .file-name").first().textContent())!;
    assert.match(rowName, /\.exe$/);
    await page.click("#btn-offer-reject");
    await term.next("file_rejected");
    const got = readFileSync(join(gui.downloadDir, "from-terminal.bin"));
    assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(data).digest("hex"));

    // GUI -> terminal: through the file input; the terminal client accepts.
    const body = Buffer.from("text from the browser\n".repeat(5000));
    const upFile = join(mkdtempSync(join(tmpdir(), "pqchat-gui-json-up-")), "from gui (1).txt");
    writeFileSync(upFile, body);
    await page.setInputFiles("#file-input", upFile);
    const offer = await term.next("file_offer");
    assert.equal(offer["filename"], "from gui (1).txt");
    await term.ok("accept", { transfer_id: offer["transfer_id"] });
    const rec = await term.next("file_received", {}, { timeoutMs: 60000 });
    assert.equal(rec["hash_ok"], true);
    assert.deepEqual(readFileSync(rec["path"] as string), body);
    await page.waitForFunction(() => /Delivered/.test(document.querySelector("#transfers .xfer[data-dir='out']")?.textContent ?? ""));
  });

  await t.test("rekey started by the terminal client, then chat on", async () => {
    await term.ok("rekey");
    await page.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e: { textContent: string }) => /New keys are in use/.test(e.textContent)));
    await term.ok("send", { text: "after the rekey" });
    await peerSaid(page, "after the rekey");
    await page.fill("#input", "still fine");
    await page.press("#input", "Enter");
    await term.next("message", { text: "still fine" });
  });

  await t.test("GLOBAL ephemeral mode from the GUI reaches the terminal client", async () => {
    await page.selectOption("#ephemeral", "GLOBAL");
    const e = await term.next("ephemeral_mode", { mode: "GLOBAL" });
    assert.equal(e["by_peer"], true);
    await page.selectOption("#ephemeral", "OFF");
    await term.next("ephemeral_mode", { mode: "OFF" });
  });

  await t.test("the terminal client leaves: the GUI says so and waits for a new peer", async () => {
    await term.ok("quit");
    await term.waitExit();
    await page.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e: { textContent: string }) => /Your peer left/.test(e.textContent)));
    await page.waitForSelector("#status[data-phase='waiting_for_peer']");
    assert.equal(await page.isVisible("#peer"), false);
    // The session is interrupted, not over: what the user writes now is held for the next peer.
    assert.equal(await page.isDisabled("#input"), false);
    assert.match((await page.getAttribute("#input", "placeholder"))!, /sent when the session is back/);
    assert.deepEqual(pageErrors, []);
  });

  await t.test("themes follow prefers-color-scheme and prefers-contrast by default", async () => {
    const bg = async (opts: { colorScheme: "light" | "dark"; forcedContrast?: boolean }): Promise<string> => {
      const ctx = await browser.newContext({ colorScheme: opts.colorScheme, contrast: opts.forcedContrast ? "more" : "no-preference" });
      const p = await ctx.newPage();
      await p.goto(gui.url);
      await p.waitForSelector("html[data-ready]");
      const v = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await ctx.close();
      return v as string;
    };
    assert.equal(await bg({ colorScheme: "light" }), "rgb(244, 245, 251)");
    assert.equal(await bg({ colorScheme: "dark" }), "rgb(15, 18, 32)");
    assert.equal(await bg({ colorScheme: "light", forcedContrast: true }), "rgb(0, 0, 0)");
  });
});
