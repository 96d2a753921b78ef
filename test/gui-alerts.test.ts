// The GUI's alerts and the downloads button, in Debian's chromium against a
// real `pqchat gui`, a real `pqchat server` and a `pqchat chat --json` peer:
// desktop notifications and the chime only while the page is in the
// background, never with message text; the unread count in the title; the
// downloads button runs the desktop's opener on the download directory.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { WebSocket } from "ws";
import { connectPage, launchBrowser, openGuiPage } from "./helpers/gui-browser.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

// Runs before the page's own script: records every notification (through the
// real Notification, permission granted by the browser context) and every
// tone the page starts, and lets the test say whether the window has focus.
const SPY = `
  window.__notes = [];
  window.__tones = [];
  window.__focused = true;
  const RealNotification = window.Notification;
  window.Notification = class extends RealNotification {
    constructor(title, opts) {
      super(title, opts);
      window.__notes.push({ title, body: opts && opts.body, tag: opts && opts.tag });
    }
  };
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    const osc = createOscillator.call(this);
    const start = osc.start.bind(osc);
    osc.start = (t) => { window.__tones.push(osc.frequency.value); start(t); };
    return osc;
  };
  document.hasFocus = () => window.__focused;
`;

let server: ServerHandle;
let gui: GuiHandle;
let browser: Browser;
let page: Page;
let peer: JsonChat;
const pageErrors: string[] = [];
const bin = mkdtempSync(join(tmpdir(), "pqchat-gui-bin-"));
const opened = join(bin, "opened.txt");

before(async () => {
  // A stand-in for the desktop's opener: records what it was asked to open.
  writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
  chmodSync(join(bin, "xdg-open"), 0o755);
  server = await startServer();
  [gui, browser] = await Promise.all([startGui({ env: { PATH: `${bin}:${process.env["PATH"] ?? ""}` } }), launchBrowser()]);
  const p = await openGuiPage(browser, gui.url, { permissions: ["notifications"], initScript: SPY });
  page = p.page;
  pageErrors.push(...p.errors);
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  await quitAll(...(peer ? [peer] : []));
  await browser?.close().catch(() => undefined);
  await Promise.all([gui?.stop(), server?.stop()]);
  gui?.cleanup();
  rmSync(bin, { recursive: true, force: true });
});

/** The history a newly opened page would get, read from the hello of a fresh WebSocket. */
function helloHistory(): Promise<Array<{ name: string; data: Record<string, unknown> }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gui.port}/${gui.token}/ws`, { headers: { Origin: gui.origin } });
    ws.once("message", (d) => {
      ws.close();
      resolve((JSON.parse(d.toString()) as { history: Array<{ name: string; data: Record<string, unknown> }> }).history);
    });
    ws.once("error", reject);
  });
}

const notes = (): Promise<Array<{ title: string; body: string; tag: string }>> => page.evaluate(() => window.__notes);
const tones = (): Promise<number[]> => page.evaluate(() => window.__tones);

test("alerts: notification and chime in the background only, no message text; unread count; downloads opener", async (t) => {
  await t.test("connect, verify, and turn notifications and sound on", async () => {
    await connectPage(page, server.host, server.port, "alerts", "Alice"); // a click: the page may now start audio
    await page.waitForSelector("#status[data-phase='waiting_for_peer']");
    peer = new JsonChat([`${server.host}:${server.port}`, "--room", "alerts", "--nick", "Bob"]);
    await peer.next("key_exchange_complete");
    await page.waitForSelector("#dlg-verify[open]");
    await page.click("#btn-match");
    await peer.ok("verify", { answer: true });
    await page.waitForSelector("#verify-pill[data-state='verified']");
    await page.click("#btn-settings");
    await page.waitForSelector("#dlg-settings[open]");
    await page.check("#s-notify");
    await page.check("#s-sound");
    await page.keyboard.press("Escape");
    // Saved by the gui process (its reply is what the page waits for).
    const deadline = Date.now() + 10000;
    for (;;) {
      const cfg = existsSync(gui.configFile) ? (JSON.parse(readFileSync(gui.configFile, "utf8")) as { settings: { notifications: boolean; sound: boolean } }) : null;
      if (cfg?.settings.notifications === true && cfg.settings.sound === true) break;
      if (Date.now() > deadline) throw new Error(`settings not saved: ${JSON.stringify(cfg)}`);
      await new Promise((r) => setTimeout(r, 50)); // a file written by another process: nothing to await
    }
  });

  await t.test("in front: a message shows in the log and nothing else happens", async () => {
    await peer.ok("send", { text: "seen while in front" });
    await page.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e: { textContent: string }) => e.textContent === "seen while in front"));
    assert.deepEqual(await notes(), []);
    assert.deepEqual(await tones(), []);
    assert.equal(await page.title(), "pqchat");
  });

  await t.test("in the background: a notification without the text, two notes, the unread count", async () => {
    await page.evaluate(() => {
      window.__focused = false;
    });
    await peer.ok("send", { text: "the launch code is 0000" });
    await page.waitForFunction(() => window.__notes.length === 1);
    const [n] = await notes();
    assert.deepEqual(n, { title: "pqchat", body: "New message from Bob", tag: "pqchat" });
    assert.equal(JSON.stringify(await notes()).includes("launch code"), false);
    await page.waitForFunction(() => window.__tones.length === 2);
    assert.deepEqual(await tones(), [880, 1320]);
    assert.equal(await page.title(), "(1) pqchat");
    // A file offer: its own words and its own two notes.
    const file = join(bin, "report.txt");
    writeFileSync(file, "numbers\n");
    await peer.ok("file", { path: file });
    await page.waitForFunction(() => window.__notes.length === 2);
    assert.equal((await notes())[1]!.body, "Your peer wants to send you a file");
    await page.waitForFunction(() => window.__tones.length === 4);
    assert.deepEqual((await tones()).slice(2), [660, 990]);
    assert.equal(await page.title(), "(2) pqchat");
  });

  await t.test("back in front: the count is cleared", async () => {
    await page.evaluate(() => {
      window.__focused = true;
      window.dispatchEvent(new window.Event("focus"));
    });
    await page.waitForFunction(() => document.title === "pqchat");
  });

  await t.test("sound off: a notification still comes, no tone", async () => {
    await page.keyboard.press("Escape"); // the offer dialog
    await page.click("#btn-settings");
    await page.waitForSelector("#dlg-settings[open]");
    await page.uncheck("#s-sound");
    await page.keyboard.press("Escape");
    await page.evaluate(() => {
      window.__focused = false;
    });
    await peer.ok("send", { text: "quietly" });
    await page.waitForFunction(() => window.__notes.length === 3);
    assert.equal((await tones()).length, 4);
  });

  await t.test("the downloads button opens the download directory with the desktop's opener", async () => {
    await page.evaluate(() => {
      window.__focused = true;
    });
    assert.equal(existsSync(opened), false);
    await page.click("#btn-downloads");
    await page.waitForFunction(() => [...document.querySelectorAll(".toast")].some((e: { textContent: string }) => e.textContent === "Opened the downloads folder."));
    // The opener was started detached; it writes its argument a moment later.
    const deadline = Date.now() + 10000;
    while (!existsSync(opened) || readFileSync(opened, "utf8") === "") {
      if (Date.now() > deadline) throw new Error("the opener was never run");
      await new Promise((r) => setTimeout(r, 50)); // a file written by another process: nothing to await
    }
    assert.equal(readFileSync(opened, "utf8"), gui.downloadDir);
  });

  await t.test("the gui process keeps the conversation while connected, and nothing after", async () => {
    const live = await helloHistory();
    assert.ok(live.some((e) => e.name === "message" && e.data["text"] === "seen while in front"));
    // Sent while the page was in the background: kept too (only disappearing messages are not).
    assert.ok(live.some((e) => e.name === "message" && e.data["text"] === "the launch code is 0000"));
    await page.click("#btn-disconnect");
    await page.waitForSelector("#status[data-phase='disconnected']");
    assert.deepEqual(await helloHistory(), []);
  });

  await t.test("no script errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});
