// The GUI when the relay goes away: a real `pqchat server` killed with
// SIGKILL and started again on the same port, a `pqchat gui` with its page in
// Chromium, and a `chat --json` peer. The page shows "Reconnecting in N s"
// with a Cancel button, keeps the conversation, lets the user write (the
// message is marked pending and sent after the new key exchange), and Cancel
// stops the reconnect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { connectPage, launchBrowser, openGuiPage } from "./helpers/gui-browser.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";
import { startServer, startServerOnPort, type ServerHandle } from "./helpers/server-process.js";

// Callbacks for page.waitForFunction() run in the browser (no DOM library here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

let server: ServerHandle;
let gui: GuiHandle;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const procs: JsonChat[] = [];

before(async () => {
  server = await startServer();
  [gui, browser] = await Promise.all([startGui(), launchBrowser()]);
  const p = await openGuiPage(browser, gui.url);
  page = p.page;
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  await quitAll(...procs);
  await browser?.close().catch(() => undefined);
  await Promise.all([gui?.stop(), server?.stop()]);
  gui?.cleanup();
});

const LONG = { timeout: 60_000 };

test("relay restarted: the page counts down, keeps the log, holds a message as pending and sends it after the new key exchange; Cancel stops a reconnect", async () => {
  const port = server.port;
  await connectPage(page, server.host, port, "gui-back", "Gina");
  await page.waitForSelector("#status[data-phase='waiting_for_peer']");
  const peer = new JsonChat([`${server.host}:${port}`, "--room", "gui-back"]);
  procs.push(peer);
  await peer.next("key_exchange_complete");
  await page.waitForSelector("#status[data-phase='secure']");
  await page.keyboard.press("Escape"); // the verification dialog: not answered (the session stays unverified)
  await peer.ok("send", { text: "before the restart" });
  await page.waitForFunction(() => [...document.querySelectorAll("#log .msg.peer .text")].some((e: { textContent: string }) => e.textContent === "before the restart"));

  await server.stop("SIGKILL");
  await page.waitForSelector("#reconnect-banner:not([hidden])", LONG);
  const banner = (await page.textContent("#reconnect-text"))!;
  assert.match(banner, /^Connection lost\. Reconnecting(?: in \d+ s)?…? \(attempt \d+ of 20\)$/);
  assert.equal(await page.isVisible("#btn-cancel-reconnect"), true);
  assert.equal(await page.getAttribute("#status", "data-phase"), "reconnecting");
  // The conversation stays on screen.
  assert.equal(await page.locator("#log .msg.peer .text", { hasText: "before the restart" }).count(), 1);
  // Writing is allowed: the message is held and marked pending.
  await page.waitForSelector("#input:not([disabled])");
  await page.fill("#input", "written while the relay was down");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#log .msg.own .ticks[data-state='pending']");

  server = await startServerOnPort(port);
  await page.waitForSelector("#status[data-phase='secure']", LONG);
  await page.waitForSelector("#reconnect-banner", { state: "hidden" });
  // The interrupted session was not verified, so the held message goes to the new one at once.
  assert.equal((await peer.next("message", { text: "written while the relay was down" }, { timeoutMs: 60_000 })).event, "message");
  await page.waitForSelector("#log .msg.own .ticks[data-state='sent'], #log .msg.own .ticks[data-state='delivered']");

  // Again, and this time Cancel.
  await page.keyboard.press("Escape");
  await server.stop("SIGKILL");
  await page.waitForSelector("#reconnect-banner:not([hidden])", LONG);
  await page.click("#btn-cancel-reconnect");
  await page.waitForSelector("#reconnect-banner", { state: "hidden" });
  await page.waitForSelector("#status[data-phase='disconnected']");
  await page.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e: { textContent: string }) => /Reconnecting canceled\./.test(e.textContent)));
  assert.deepEqual(pageErrors, []);
});
