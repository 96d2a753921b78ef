// Voice calls in the GUI end to end: two `pqchat gui` processes and
// a real `pqchat server`, both pages in Chromium with a fake microphone fed
// from a generated 440 Hz WAV. Call, the ringing dialog, accept on the other
// page, media both ways (the in-call bars' packet counters rise on both
// pages, the jitter buffer plays), mute stops the outgoing packets (the
// peer's receive counter stops), hang up ends both sides; a declined call; a
// refused microphone gives a clear message and places no call.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { launchCallBrowser } from "./helpers/call-browser.js";
import { connectPage, screenshot } from "./helpers/gui-browser.js";
import { startGuiPair, type GuiPair } from "./helpers/gui-pair.js";

// Callbacks passed to page.evaluate()/waitForFunction() run in the browser.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, navigator: any, DOMException: any;

let pair: GuiPair;
let A: Page;
let B: Page;
const work = mkdtempSync(join(tmpdir(), "pqchat-gui-call-"));

before(async () => {
  pair = await startGuiPair({ launch: () => launchCallBrowser(join(work, "tone-440.wav"), 440) });
  ({ A, B } = pair);
});

after(async () => {
  await pair?.close();
  rmSync(work, { recursive: true, force: true });
});

const counter = (p: Page, attr: "data-sent" | "data-received"): Promise<number> => p.evaluate((a: string) => Number(document.querySelector("#call-bar").getAttribute(a)), attr);
const atLeast = (p: Page, attr: "data-sent" | "data-received", n: number): Promise<unknown> =>
  // Generous: under CPU contention the audio path (page → gui process → server → gui process → page) lags by seconds.
  p.waitForFunction(([a, k]: [string, number]) => Number(document.querySelector("#call-bar").getAttribute(a)) >= k, [attr, n] as [string, number], { timeout: 30000 });
const logHas = (p: Page, re: RegExp): Promise<unknown> =>
  p.waitForFunction((src: string) => [...document.querySelectorAll("#log li")].some((e: { textContent: string }) => new RegExp(src).test(e.textContent)), re.source, { timeout: 10000 });

test("GUI voice call: ring, accept, audio both ways, mute, hang up; decline; refused microphone", async (t) => {
  await t.test("connect and verify both pages", async () => {
    await connectPage(A, pair.server.host, pair.server.port, "gui-call", "Alice");
    await A.waitForSelector("#status[data-phase='waiting_for_peer']");
    await connectPage(B, pair.server.host, pair.server.port, "gui-call", "Bob");
    await Promise.all([A.waitForSelector("#dlg-verify[open]"), B.waitForSelector("#dlg-verify[open]")]);
    await A.click("#btn-match");
    await B.click("#btn-match");
    await Promise.all([A.waitForSelector("#verify-pill[data-state='verified']"), B.waitForSelector("#verify-pill[data-state='verified']")]);
    await Promise.all([A.waitForSelector("#btn-call:not([hidden])"), B.waitForSelector("#btn-call:not([hidden])")]);
  });

  await t.test("call, incoming dialog, accept: packets flow both ways and the jitter buffer plays", async () => {
    await A.click("#btn-call");
    await A.waitForSelector("#call-bar[data-state='ringing_out']");
    await B.waitForSelector("#dlg-call[open]");
    assert.match((await B.textContent("#call-desc"))!, /Alice is calling you/);
    await screenshot(B, "call-01-incoming");
    await B.click("#btn-call-accept");
    await Promise.all([A.waitForSelector("#call-bar[data-state='active']"), B.waitForSelector("#call-bar[data-state='active']")]);
    await Promise.all([atLeast(A, "data-sent", 50), atLeast(B, "data-sent", 50), atLeast(A, "data-received", 50), atLeast(B, "data-received", 50)]);
    // The fake microphone's tone arrives as sound, not silence.
    const peakB = await B.evaluate(() => Number(document.querySelector("#call-bar").getAttribute("data-rx-peak")));
    const peakA = await A.evaluate(() => Number(document.querySelector("#call-bar").getAttribute("data-rx-peak")));
    assert.ok(peakA > 1000 && peakB > 1000, `received peaks: A ${peakA}, B ${peakB}`);
    // The playback worklet reports a filled jitter buffer (target 80 ms).
    await B.waitForFunction(() => Number(document.querySelector("#call-bar").getAttribute("data-buffer-ms")) >= 40, null, { timeout: 20000 });
    await A.waitForFunction(() => /^\d+:\d\d$/.test(document.querySelector("#call-duration").textContent) && !document.querySelector("#call-duration").hidden);
    await screenshot(A, "call-02-in-call");
  });

  await t.test("mute stops A's outgoing packets: B's receive counter stops, A still hears B", async () => {
    await A.click("#btn-mute");
    await A.waitForSelector("#call-bar[data-muted='true']");
    await A.waitForSelector("#btn-mute[aria-pressed='true']");
    // Packets already in flight still land (under load, seconds of them), so the check is by count,
    // not by time: B never receives more packets than A had sent when it muted.
    const sA0 = await counter(A, "data-sent");
    const rA0 = await counter(A, "data-received");
    await atLeast(A, "data-received", rA0 + 30); // A still hears B (and time passes for A's packets in flight)
    const sA1 = await counter(A, "data-sent");
    const rB1 = await counter(B, "data-received");
    assert.equal(sA1, sA0, "A sends nothing while muted");
    assert.ok(rB1 <= sA0, `B received ${rB1} packets; A had sent ${sA0} when it muted`);
    await screenshot(A, "call-03-muted");
    await A.click("#btn-mute");
    await A.waitForSelector("#call-bar[data-muted='false']");
    await atLeast(B, "data-received", rB1 + 30);
  });

  await t.test("hang up on B ends the call on both pages", async () => {
    await B.click("#btn-hangup");
    await Promise.all([A.waitForSelector("#call-bar", { state: "hidden" }), B.waitForSelector("#call-bar", { state: "hidden" })]);
    await logHas(A, /Call ended: Your peer hung up/);
    await logHas(B, /Call ended: You hung up/);
    await A.waitForSelector("#btn-call:not([disabled])");
  });

  await t.test("a declined call", async () => {
    await B.click("#btn-call");
    await A.waitForSelector("#dlg-call[open]");
    await A.click("#btn-call-reject");
    await logHas(B, /Call ended: Your peer declined the call/);
    await logHas(A, /Call ended: You declined the call/);
    await B.waitForSelector("#call-bar", { state: "hidden" });
  });

  await t.test("a refused microphone: a clear message, no call placed", async () => {
    await A.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    });
    await A.click("#btn-call");
    await A.waitForFunction(() => [...document.querySelectorAll("#toasts .toast.error")].some((e: { textContent: string }) => /Microphone access was refused/.test(e.textContent)));
    await logHas(A, /No call: Microphone access was refused/);
    assert.equal(await B.isVisible("#dlg-call"), false);
    assert.equal(await A.isVisible("#call-bar"), false);
  });

  assert.deepEqual(pair.pageErrors, []);
});
