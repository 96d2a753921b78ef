// The GUI against a peer with the reference GUI's other settings (WIRE-NOTES
// §4.6): a raw peer (test/helpers/hostile-peer.ts) in the same room as a real
// `pqchat gui` process, whose page runs in Chromium with the fake microphone
// (a 440 Hz WAV). The page calls; the peer accepts as a reference user set to
// 22,050 Hz and 8-bit (audio_format 16) would, and streams a 1 kHz tone. The
// page must play it at the peer's rate (the worklet resamples to the
// context's): the pitch it plays is 1 kHz, not 2 kHz. The peer receives the
// page's microphone as 8-bit packets (the negotiated format) at 44.1 kHz.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { PA_INT8, decodePcm } from "../src/client/call-wire-format.js";
import { b64decodeStrict, b64encode } from "../src/protocol/index.js";
import { launchCallBrowser } from "./helpers/call-browser.js";
import { pace, zeroCrossingHz } from "./helpers/call-harness.js";
import { connectPage, openGuiPage, screenshot } from "./helpers/gui-browser.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";
import { HostilePeer } from "./helpers/hostile-peer.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

// Callbacks passed to page.evaluate()/waitForFunction() run in the browser.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

const work = mkdtempSync(join(tmpdir(), "pqchat-gui-call-ref-"));
let server: ServerHandle;
let gui: GuiHandle;
let browser: Browser;
let page: Page;
let h: HostilePeer | null = null;
const pageErrors: string[] = [];

before(async () => {
  server = await startServer();
  [gui, browser] = await Promise.all([startGui({ args: ["--debug"] }), launchCallBrowser(join(work, "tone-440.wav"), 440)]);
  const p = await openGuiPage(browser, gui.url);
  page = p.page;
  pageErrors.push(...p.errors);
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  h?.close();
  await browser?.close().catch(() => undefined);
  await Promise.all([gui?.stop(), server?.stop()]);
  gui?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const bar = (attr: string): Promise<number> => page.evaluate((a: string) => Number(document.querySelector("#call-bar").getAttribute(a)), attr);

test("the page plays a 22,050 Hz / 8-bit reference peer at the right pitch; the peer gets 8-bit audio", async () => {
  await connectPage(page, server.host, server.port, "gui-ref-call", "Alice");
  await page.waitForSelector("#status[data-phase='waiting_for_peer']");
  h = await HostilePeer.connect(server.port, server.host, "gui-ref-call");
  const peer = h;
  await peer.ready(20_000);
  await page.waitForSelector("#dlg-verify[open]");
  await page.click("#btn-match");
  await page.waitForSelector("#btn-call:not([hidden])");

  await page.click("#btn-call");
  const init = await peer.nextInner((m) => m["type"] === 30, 15_000);
  assert.deepEqual(init, { type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
  // A reference user at 22,050 Hz, 8-bit signed, 50 packets per second.
  const RATE = 22050;
  const CHUNK = 441;
  await peer.sendInner({ type: 31, rate: RATE, chunk_size: CHUNK, audio_format: 16 }, true);
  await page.waitForSelector("#call-bar[data-state='active']");
  assert.equal(await bar("data-peer-rate"), RATE);

  let phase = 0;
  const step = (2 * Math.PI * 1000) / RATE;
  const packet = (): Uint8Array => {
    const out = new Uint8Array(CHUNK);
    for (let i = 0; i < CHUNK; i++) {
      out[i] = Math.round(90 * Math.sin(phase)) & 0xff; // 8-bit signed
      phase += step;
    }
    return out;
  };
  let stop = false;
  const streaming = pace(20, 120_000, () => peer.writeNow(peer.encrypt({ type: 33, audio_data: b64encode(packet()) })), () => stop);
  try {
    await page.waitForFunction(() => Number(document.querySelector("#call-bar").getAttribute("data-received")) >= 40, null, { timeout: 60_000 });
    // The frequency of what the jitter buffer played, reported four times a second. Under CPU
    // contention a quarter second may hold an underrun, so the check waits (bounded) for two
    // consecutive reports at 1 kHz ± 5 %; played at 44.1 kHz they would say 2 kHz.
    const reports: number[] = [];
    let inRow = 0;
    const deadline = performance.now() + 60_000;
    while (inRow < 2 && performance.now() < deadline) {
      await page.waitForTimeout(300);
      const hz = await bar("data-out-hz");
      reports.push(hz);
      inRow = Math.abs(hz - 1000) <= 50 ? inRow + 1 : 0;
    }
    if (process.env["PQCHAT_GUI_TEST_DEBUG"]) console.error("played Hz:", reports);
    assert.equal(inRow, 2, `played frequencies ${reports.join(", ")} Hz; expected 1000 Hz (2000 Hz would mean played at 44.1 kHz)`);
    await screenshot(page, "call-ref-22050");
  } finally {
    stop = true;
    await streaming;
  }

  // The page's microphone reaches the peer as 8-bit (441 bytes per 441-frame packet), at 44.1 kHz: the 440 Hz tone.
  const audio = peer.inner.filter((m) => m["type"] === 33).map((m) => b64decodeStrict(m["audio_data"] as string));
  assert.ok(audio.length >= 30, `${audio.length} packets from the page`);
  assert.ok(audio.every((a) => a.length === 441), "8-bit packets of 441 frames");
  const samples = new Int16Array(audio.length * 441);
  audio.forEach((a, i) => samples.set(decodePcm(a, PA_INT8)!, i * 441));
  const hz = zeroCrossingHz(samples.subarray(441 * 10), 44100, 600);
  assert.ok(Math.abs(hz - 440) < 440 * 0.03, `the peer hears ${hz.toFixed(1)} Hz, expected 440 Hz`);

  await page.click("#btn-hangup");
  await peer.nextInner((m) => m["type"] === 34, 15_000);
  await page.waitForSelector("#call-bar", { state: "hidden" });
  assert.deepEqual(pageErrors, []);
});
