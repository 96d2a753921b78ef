// The GUI end to end: two `pqchat gui` processes and a real
// `pqchat server`, each page driven in Debian's chromium by playwright-core.
// Connect, same fingerprint words on both pages, verify, chat both ways, files
// (file input, paste, drag and drop; offer dialog and panel; progress; the
// file on disk with the right hash; inline image preview), rekey and chat on,
// ephemeral mode, settings remembered, dark theme, emergency close.
// Screenshots of the main states go to test-results/gui/.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { connectPage, dialogWords, launchBrowser, messageTexts, screenshot } from "./helpers/gui-browser.js";
import { startGuiPair, type GuiPair } from "./helpers/gui-pair.js";
import type { GuiHandle } from "./helpers/gui-proc.js";
import type { ServerHandle } from "./helpers/server-process.js";

// Callbacks passed to page.evaluate()/waitForFunction() run in the browser; this
// program is compiled without the DOM library, so its globals are declared here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, DataTransfer: any, ClipboardEvent: any, DragEvent: any;
type HTMLElement = any;
type HTMLImageElement = any;
type HTMLSelectElement = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const EPHEMERAL_MS = 1500;

let pair: GuiPair;
let server: ServerHandle;
let guiA: GuiHandle;
let guiB: GuiHandle;
let A: Page;
let B: Page;
const work = mkdtempSync(join(tmpdir(), "pqchat-gui-e2e-"));
const tmpA = mkdtempSync(join(tmpdir(), "pqchat-gui-e2e-tmpA-"));
const tmpB = mkdtempSync(join(tmpdir(), "pqchat-gui-e2e-tmpB-"));

// A valid PNG (a 240x160 gradient) built here: signature, IHDR, IDAT (zlib), IEND.
const PNG_W = 240;
const PNG_H = 160;
function gradientPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(PNG_W, 0);
  ihdr.writeUInt32BE(PNG_H, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((PNG_W * 3 + 1) * PNG_H);
  for (let y = 0; y < PNG_H; y++) {
    const row = y * (PNG_W * 3 + 1);
    for (let x = 0; x < PNG_W; x++) {
      raw[row + 1 + x * 3] = 79 + Math.round((x / PNG_W) * 120);
      raw[row + 2 + x * 3] = 70 + Math.round((y / PNG_H) * 110);
      raw[row + 3 + x * 3] = 229;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

before(async () => {
  // A private TMPDIR per GUI: the upload copies must be gone after each transfer.
  const env = (tmp: string) => ({ PQCHAT_GUI_EPHEMERAL_MS: String(EPHEMERAL_MS), TMPDIR: tmp });
  pair = await startGuiPair({ launch: launchBrowser, env: { A: env(tmpA), B: env(tmpB) } });
  ({ server, guiA, guiB, A, B } = pair);
});

after(async () => {
  await pair?.close();
  for (const d of [work, tmpA, tmpB]) rmSync(d, { recursive: true, force: true });
});

test("two GUIs: connect, verify, chat, files, rekey, ephemeral, themes, emergency close", async (t) => {
  await t.test("connect: both pages see the same eight words, two lines of four", async () => {
    assert.equal(await A.isVisible("#connect-view"), true);
    await A.fill("#f-nick", "Alice");
    await screenshot(A, "01-connect");
    await connectPage(A, server.host, server.port, "gui-e2e", "Alice");
    await A.waitForSelector("#status[data-phase='waiting_for_peer']");
    await connectPage(B, server.host, server.port, "gui-e2e", "Bob");
    await Promise.all([A.waitForSelector("#dlg-verify[open]"), B.waitForSelector("#dlg-verify[open]")]);
    const [wa, wb] = await Promise.all([dialogWords(A), dialogWords(B)]);
    assert.equal(wa.length, 2);
    assert.deepEqual(
      wa.map((l) => l.length),
      [4, 4],
    );
    assert.deepEqual(wa, wb);
    for (const w of wa.flat()) assert.match(w, /^\S+$/);
    await screenshot(A, "03-verification-dialog");
  });

  await t.test("unverified: banner until the local user verifies; the peer's verdict is shown", async () => {
    await B.keyboard.press("Escape");
    await B.waitForSelector("#dlg-verify[open]", { state: "detached" });
    assert.equal(await B.isVisible("#verify-banner"), true);
    assert.match((await B.textContent("#verify-banner"))!, /Not verified/);
    // A says the words match; B sees the peer's verdict.
    await A.click("#btn-match");
    await A.waitForSelector("#verify-pill[data-state='verified']");
    assert.equal(await A.isVisible("#verify-banner"), false);
    await B.waitForFunction(() => document.querySelector("#peer-verdict")?.textContent === "Peer says they verified you (not proof)");
    // The peer's claim does not verify anything for B: badge and banner follow B's own decision only.
    assert.equal(await B.getAttribute("#verify-pill", "data-state"), "unverified");
    assert.equal(await B.isVisible("#verify-banner"), true);
    // B writes before verifying; A (verified) sees it as trusted.
    await B.fill("#input", "hi Alice, I have not checked the words yet");
    await B.press("#input", "Enter");
    await A.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "hi Alice, I have not checked the words yet"));
    await B.waitForSelector("#log .msg.own .ticks[data-state='delivered']");
    await A.fill("#input", "Hello Bob! Please compare the words.");
    await A.press("#input", "Enter");
    await B.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "Hello Bob! Please compare the words."));
    // Peer messages are flagged while B has not verified.
    assert.equal(await B.locator("#log .msg.peer .flag").first().textContent(), "unverified");
    await screenshot(B, "02-unverified-chat");
    // B reopens the dialog from the banner, any time, and answers.
    await B.click("#banner-verify");
    await B.waitForSelector("#dlg-verify[open]");
    assert.match((await B.textContent("#verify-peer"))!, /says they verified you\. This is not proof/);
    assert.doesNotMatch((await B.getAttribute("#verify-peer", "class"))!, /good/);
    await B.click("#btn-match");
    await B.waitForSelector("#verify-pill[data-state='verified']");
    assert.equal(await B.isVisible("#verify-banner"), false);
    await A.waitForFunction(() => document.querySelector("#peer-verdict")?.textContent === "Peer says they verified you (not proof)");
    // Re-openable after verifying too.
    await A.click("#btn-verify");
    await A.waitForSelector("#dlg-verify[open]");
    await A.keyboard.press("Escape");
    await A.waitForSelector("#dlg-verify[open]", { state: "detached" });
    // Focus goes back to the button that opened the dialog.
    await A.waitForFunction(() => document.activeElement?.id === "btn-verify");
  });

  await t.test("chat both ways: nicknames, Shift+Enter newline, delivery ticks, text never markup", async () => {
    await B.waitForFunction(() => document.querySelector("#peer-name")?.textContent === "Alice");
    await A.waitForFunction(() => document.querySelector("#peer-name")?.textContent === "Bob");
    await A.fill("#input", "");
    await A.type("#input", "line one");
    await A.keyboard.down("Shift");
    await A.keyboard.press("Enter");
    await A.keyboard.up("Shift");
    await A.type("#input", "line two");
    assert.equal(await A.inputValue("#input"), "line one\nline two");
    await A.keyboard.press("Enter");
    assert.equal(await A.inputValue("#input"), "");
    await B.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "line one\nline two"));
    await A.waitForFunction(() => [...document.querySelectorAll("#log .msg.own .ticks")].pop()?.getAttribute("data-state") === "delivered");
    const evil = `<img src=x onerror="document.title='pwned'"><b>bold</b>`;
    await B.fill("#input", evil);
    await B.press("#input", "Enter");
    await A.waitForFunction((t) => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === t), evil);
    assert.equal(await A.locator("#log img").count(), 0);
    assert.equal(await A.locator("#log b").count(), 0);
    assert.notEqual(await A.title(), "pwned");
    // Screen readers: "nickname, time, text".
    const spoken = await A.evaluate(() => {
      const li = [...document.querySelectorAll("#log .msg.peer")].pop()!;
      return (li as HTMLElement).innerText.replace(/\s+/g, " ").trim();
    });
    assert.match(spoken, /^Bob , \d{1,2}:\d\d( [AP]M)? , <img/);
    assert.equal(await A.getAttribute("#log", "role"), "log");
  });

  await t.test("file through the file input: offer dialog, accept, progress both ways, right hash on disk", async () => {
    const file = join(work, "payload.bin");
    const data = randomBytes(24 * 1024 * 1024);
    writeFileSync(file, data);
    const sha = createHash("sha256").update(data).digest("hex");
    await A.setInputFiles("#file-input", file);
    await B.waitForSelector("#dlg-offer[open]");
    assert.equal(await B.textContent("#offer-name"), "payload.bin");
    assert.equal(await B.textContent("#offer-size"), "24 MiB");
    await B.click("#btn-offer-accept");
    // Progress on both sides (MB/s and time left shown while it runs, then done).
    const progressed = async (p: Page, dir: string): Promise<void> => {
      await p.waitForFunction((d) => {
        const li = document.querySelector(`#transfers .xfer[data-dir='${d}']`);
        const bar = li?.querySelector("progress");
        return !!bar && bar.value > 0;
      }, dir);
    };
    await Promise.all([progressed(A, "out"), progressed(B, "in")]);
    await screenshot(B, "04-transfer-in-progress");
    await B.waitForFunction(() => /Received ✓/.test(document.querySelector("#transfers .xfer[data-dir='in']")?.textContent ?? ""), undefined, { timeout: 60000 });
    await A.waitForFunction(() => /Delivered/.test(document.querySelector("#transfers .xfer[data-dir='out']")?.textContent ?? ""), undefined, { timeout: 60000 });
    const got = readFileSync(join(guiB.downloadDir, "payload.bin"));
    assert.equal(createHash("sha256").update(got).digest("hex"), sha);
    // The sender's private upload copy (0600 in a 0700 dir) is removed once the transfer ended.
    const uploads = (): string[] => readdirSync(tmpA).filter((n) => n.startsWith("pqchat-upload-"));
    for (let i = 0; i < 100 && uploads().length > 0; i++) await A.waitForTimeout(20);
    assert.deepEqual(uploads(), []);
    // The speed showed up at some point on the receiving side.
    const rateSeen = await B.evaluate(() => document.querySelector("#transfers .xfer[data-dir='in'] .xfer-status")?.textContent ?? "");
    assert.match(rateSeen, /Received/);
  });

  await t.test("pasted image: sent, accepted from the files panel, previewed inline", async () => {
    const png = gradientPng().toString("base64");
    await A.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
      document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
    }, png);
    await B.waitForSelector("#dlg-offer[open]");
    assert.match((await B.textContent("#offer-name"))!, /^pasted-\d{8}-\d{6}\.png$/);
    // Decide later (Escape): the offer stays in the panel with its own buttons.
    await B.keyboard.press("Escape");
    await B.click("#transfers .xfer[data-status='offered'] button.primary");
    const img = B.locator("#log figure img");
    await img.waitFor();
    await B.waitForFunction(() => {
      const i: HTMLImageElement = document.querySelector("#log figure img");
      return !!i && i.complete && i.naturalWidth === 240;
    });
    await screenshot(B, "06-chat-with-files");
  });

  await t.test("drag and drop a file onto the window", async () => {
    await B.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped text\n"], "notes.txt", { type: "text/plain" }));
      for (const type of ["dragenter", "dragover", "drop"]) window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await A.waitForSelector("#dlg-offer[open]");
    assert.equal(await A.textContent("#offer-name"), "notes.txt");
    await A.click("#btn-offer-reject");
    await B.waitForFunction(() => /Declined by your peer/.test([...document.querySelectorAll("#transfers .xfer[data-dir='out']")].map((e) => e.textContent).join("|")));
  });

  await t.test("rekey, then chat on", async () => {
    await A.click("#btn-rekey");
    await Promise.all([
      A.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e) => /New keys are in use/.test(e.textContent ?? ""))),
      B.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e) => /New keys are in use/.test(e.textContent ?? ""))),
    ]);
    await B.fill("#input", "still here after the rekey");
    await B.press("#input", "Enter");
    await A.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "still here after the rekey"));
    await A.fill("#input", "me too");
    await A.press("#input", "Enter");
    await B.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "me too"));
  });

  await t.test("reloading the page mid-session keeps the conversation, its times, ticks and the image; no dialog opens", async () => {
    const logEntries = (page: Page) =>
      page.$$eval("#log li", (els) =>
        els.map((e) => ({
          kind: e.className.replace(/\s*ephemeral/, ""),
          text: ((e.querySelector(".text") ?? e.querySelector("figcaption") ?? e).textContent ?? "").replace(/\s+/g, " ").trim(),
          time: Date.parse(e.querySelector("time")?.getAttribute("datetime") ?? ""),
          tick: e.querySelector(".ticks")?.getAttribute("data-state") ?? null,
          image: e.querySelector("figure img") !== null,
        })),
      );
    await B.waitForFunction(() => [...document.querySelectorAll("#log .msg.own .ticks")].every((e) => e.getAttribute("data-state") === "delivered"));
    const before = await logEntries(B);
    assert.ok(before.length >= 10, `only ${before.length} entries before the reload`);
    await B.reload();
    await B.waitForSelector("html[data-ready]");
    await B.waitForFunction((n) => document.querySelectorAll("#log li").length >= n, before.length, { timeout: 10000 });
    const after = await logEntries(B);
    assert.equal(after.length, before.length, JSON.stringify(after.map((e) => e.text)));
    for (let i = 0; i < before.length; i++) {
      const [b, a] = [before[i]!, after[i]!];
      assert.deepEqual({ ...a, time: 0 }, { ...b, time: 0 }, `entry ${i}`);
      // The bridge's clock and the page's differ by the event's trip from one to the other.
      assert.ok(Math.abs(a.time - b.time) < 1000, `entry ${i}: ${new Date(b.time).toISOString()} became ${new Date(a.time).toISOString()}`);
    }
    // The received image is served again; the state is the live one, and nothing pops up.
    await B.waitForFunction(() => {
      const i: HTMLImageElement = document.querySelector("#log figure img");
      return !!i && i.complete && i.naturalWidth === 240;
    });
    assert.equal(await B.getAttribute("#verify-pill", "data-state"), "verified");
    assert.equal(await B.locator("dialog[open]").count(), 0);
    assert.equal(await B.isVisible("#verify-banner"), false);
    // And the session goes on from the reloaded page.
    await B.fill("#input", "after the reload");
    await B.press("#input", "Enter");
    await A.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "after the reload"));
    await B.waitForFunction(() => [...document.querySelectorAll("#log .msg.own .ticks")].pop()?.getAttribute("data-state") === "delivered");
  });

  await t.test("ephemeral GLOBAL: announced, messages vanish on both sides, only the owner turns it off", async () => {
    await A.selectOption("#ephemeral", "GLOBAL");
    await B.waitForFunction(() => (document.querySelector("#ephemeral") as HTMLSelectElement).value === "GLOBAL");
    assert.equal(await B.isDisabled("#ephemeral"), true);
    assert.match((await B.textContent("#ephemeral-text"))!, /only they can turn it off/);
    await B.fill("#input", "this will vanish");
    await B.press("#input", "Enter");
    await A.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e) => e.textContent === "this will vanish"));
    const has = (p: Page): Promise<boolean> => p.evaluate(() => [...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent === "this will vanish"));
    await Promise.all([
      A.waitForFunction(() => ![...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent === "this will vanish"), undefined, { timeout: EPHEMERAL_MS + 5000 }),
      B.waitForFunction(() => ![...document.querySelectorAll("#log .msg .text")].some((e) => e.textContent === "this will vanish"), undefined, { timeout: EPHEMERAL_MS + 5000 }),
    ]);
    assert.equal(await has(A), false);
    // Older messages stay.
    assert.ok((await messageTexts(A)).includes("me too"));
    await A.selectOption("#ephemeral", "OFF");
    await B.waitForFunction(() => (document.querySelector("#ephemeral") as HTMLSelectElement).value === "OFF");
    assert.equal(await B.isDisabled("#ephemeral"), false);
  });

  await t.test("settings are remembered in gui.json (never messages); dark theme", async () => {
    await A.click("#btn-settings");
    await A.waitForSelector("#dlg-settings[open]");
    await A.selectOption("#s-theme", "contrast");
    await A.waitForFunction(() => document.documentElement.getAttribute("data-theme") === "contrast");
    await A.keyboard.press("Escape");
    await A.waitForSelector("#dlg-settings[open]", { state: "detached" });
    await screenshot(A, "07-high-contrast");
    await A.click("#btn-settings");
    await A.waitForSelector("#dlg-settings[open]");
    await A.selectOption("#s-theme", "dark");
    await A.uncheck("#s-dummy");
    await A.waitForFunction(() => document.documentElement.getAttribute("data-theme") === "dark");
    await A.keyboard.press("Escape");
    await A.waitForSelector("#dlg-settings[open]", { state: "detached" });
    await A.fill("#input", "");
    await screenshot(A, "05-dark-theme");
    // The bridge writes the file asynchronously; poll its content via the page's config echo.
    let cfg: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      try {
        cfg = JSON.parse(readFileSync(guiA.configFile, "utf8")) as Record<string, unknown>;
        if ((cfg["settings"] as Record<string, unknown>)["theme"] === "dark" && (cfg["settings"] as Record<string, unknown>)["dummy_traffic"] === false) break;
      } catch {
        /* not written yet */
      }
      await A.waitForTimeout(50);
    }
    assert.equal(cfg["host"], server.host);
    assert.equal(cfg["port"], server.port);
    assert.equal(cfg["room"], "gui-e2e");
    assert.equal(cfg["nickname"], "Alice");
    assert.equal((cfg["settings"] as Record<string, unknown>)["theme"], "dark");
    assert.equal((cfg["settings"] as Record<string, unknown>)["dummy_traffic"], false);
    const raw = readFileSync(guiA.configFile, "utf8");
    assert.doesNotMatch(raw, /me too|Hello Bob/);
  });

  await t.test("emergency close with Ctrl+Q: sent at once, both windows cleared", async () => {
    await A.locator("#input").focus();
    await A.keyboard.press("Control+q");
    await A.waitForSelector("#connect-view:not([hidden])");
    assert.match((await A.textContent("#connect-notice"))!, /Emergency close sent/);
    assert.equal(await A.locator("#log li").count(), 0);
    await B.waitForSelector("#connect-view:not([hidden])");
    assert.match((await B.textContent("#connect-notice"))!, /Your peer sent an emergency close/);
    assert.equal(await B.locator("#log li").count(), 0);
    assert.equal(await B.locator("#transfers li").count(), 0);
    // The connect form is filled from the remembered config.
    assert.equal(await A.inputValue("#f-room"), "gui-e2e");
  });

  await t.test("no script errors; SIGINT and SIGTERM exit 0", async () => {
    assert.deepEqual(pair.pageErrors, []);
    const [ea, eb] = await Promise.all([guiA.stop("SIGINT"), guiB.stop("SIGTERM")]);
    assert.deepEqual(ea, { code: 0, signal: null });
    assert.deepEqual(eb, { code: 0, signal: null });
  });
});
