// GUI benchmark (`npm run bench:gui`), in Debian's chromium (playwright-core):
//
// 1. Start-up: from spawning `pqchat gui --no-open` to a usable page (the
//    address line printed, the page loaded, its WebSocket connected and the
//    hello applied: html[data-ready]). The browser is already running, as a
//    user's would be. BENCH_RUNS runs (default 7), median and best.
// 2. Page weight: the JS and CSS the page loads (every file in the manifest),
//    raw and gzipped (target: JS + CSS < 150 KB gzipped).
// 3. Responsiveness with 5,000 messages in the view: an in-process bridge over
//    a stand-in core (the real page code, the real WebSocket path) pushes
//    5,000 peer messages; then real key presses (CDP input events) are typed
//    into the message box and the page measures, per key, the time from the
//    event's timestamp to (a) the input event (value updated) and (b) the next
//    frame after it. p50/p99 against an empty view as the reference.
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import type { ClientApi, ClientState } from "../src/client/api.js";
import { Bridge } from "../src/gui/bridge.js";
import { cleanConfig } from "../src/gui/config.js";
import { STATIC_DIR, startGuiServer } from "../src/gui/server.js";
import { launchBrowser } from "../test/helpers/gui-browser.js";
import { GUI_URL_LINE } from "../test/helpers/gui-proc.js";
import { MAIN_JS } from "../test/helpers/server-process.js";
import { median, printTable } from "./util.js";

// Page-side callbacks (this program has no DOM library).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, requestAnimationFrame: any;

const RUNS = Number(process.env["BENCH_RUNS"] ?? 7);
const MESSAGES = Number(process.env["BENCH_MESSAGES"] ?? 5000);
const KEYS = Number(process.env["BENCH_KEYS"] ?? 300);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

// ------------------------------------------------------------------ 1. start-up

async function startup(browser: Awaited<ReturnType<typeof launchBrowser>>): Promise<{ toUrl: number[]; toReady: number[] }> {
  const toUrl: number[] = [];
  const toReady: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cfg = await mkdtemp(path.join(os.tmpdir(), "pqchat-bench-gui-"));
    const t0 = performance.now();
    const proc = spawn(process.execPath, [MAIN_JS, "gui", "--no-open", "--port", "0", "--download-dir", cfg], {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, XDG_CONFIG_HOME: cfg },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      proc.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = GUI_URL_LINE.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once("exit", () => reject(new Error("pqchat gui exited")));
    });
    const t1 = performance.now();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForSelector("html[data-ready]");
    const t2 = performance.now();
    toUrl.push(t1 - t0);
    toReady.push(t2 - t0);
    await ctx.close();
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
    await rm(cfg, { recursive: true, force: true });
  }
  return { toUrl, toReady };
}

// ------------------------------------------------------------------ 2. page weight

function weight(): { js: number; css: number; jsGz: number; cssGz: number; other: number } {
  const names = JSON.parse(readFileSync(path.join(STATIC_DIR, "manifest.json"), "utf8")) as string[];
  const w = { js: 0, css: 0, jsGz: 0, cssGz: 0, other: 0 };
  for (const n of names) {
    const body = readFileSync(path.join(STATIC_DIR, n));
    const gz = gzipSync(body, { level: 9 }).length;
    if (n.endsWith(".mjs")) {
      w.js += body.length;
      w.jsGz += gz;
    } else if (n.endsWith(".css")) {
      w.css += body.length;
      w.cssGz += gz;
    } else w.other += gz;
  }
  return w;
}

// ------------------------------------------------------------------ 3. typing latency

/** Stands in for ClientCore: a secure session whose events the benchmark emits. */
class StandInCore extends EventEmitter {
  private n = 0;
  state(): ClientState {
    return {
      phase: "secure",
      host: "127.0.0.1",
      port: 1,
      room: null,
      server_version: "6.0.1",
      protocol_version: "6.0.1",
      role: "initiator",
      fingerprint: null,
      words: ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"],
      verified: true,
      peer_verified: true,
      nickname: "me",
      peer_nickname: "peer",
      message_counter: 0,
      peer_counter: 0,
      rekey: { phase: "idle", role: null },
      transfers: [],
      ephemeral_mode: "OFF",
      settings: { dummy_traffic: true, delivery_receipts: true, allow_nickname_change: true, accept_files: "ask", auto_verify: "ask" },
      download_dir: os.tmpdir(),
    };
  }
  sendText(): { message_id: string } {
    return { message_id: `m${++this.n}` };
  }
  setOption(): void {}
  setAcceptFiles(): void {}
}

async function typingLatency(page: Page, keys: number): Promise<{ input: number[]; frame: number[] }> {
  await page.evaluate(() => {
    const w0 = window as { __lat?: { input: number[]; frame: number[] } };
    if (w0.__lat) {
      w0.__lat.input = [];
      w0.__lat.frame = [];
      return;
    }
    const input = document.querySelector("#input");
    const w = window as { __lat: { input: number[]; frame: number[] } };
    w.__lat = { input: [], frame: [] };
    let pending: number | null = null;
    input.addEventListener("keydown", (e: { timeStamp: number; key: string }) => {
      if (e.key.length === 1) pending = e.timeStamp;
    });
    input.addEventListener("input", () => {
      if (pending === null) return;
      const t0 = pending;
      pending = null;
      w.__lat.input.push(performance.now() - t0);
      requestAnimationFrame(() => setTimeout(() => w.__lat.frame.push(performance.now() - t0), 0));
    });
  });
  await page.focus("#input");
  const text = "the quick brown fox jumps over the lazy dog ".repeat(Math.ceil(keys / 44)).slice(0, keys);
  // Type in lines so the textarea stays small; clear between lines (no Enter: nothing is sent).
  for (let i = 0; i < text.length; i += 60) {
    await page.keyboard.type(text.slice(i, i + 60));
    await page.fill("#input", "");
  }
  await page.waitForTimeout(50);
  return page.evaluate(() => (window as { __lat: { input: number[]; frame: number[] } }).__lat);
}

async function responsiveness(browser: Awaited<ReturnType<typeof launchBrowser>>): Promise<{ empty: { input: number[]; frame: number[] }; full: { input: number[]; frame: number[] }; fillMs: number; count: number }> {
  const core = new StandInCore();
  const dl = await mkdtemp(path.join(os.tmpdir(), "pqchat-bench-gui-"));
  const bridge = new Bridge({ core: core as unknown as ClientApi, config: cleanConfig(null), configFile: path.join(dl, "gui.json"), version: "bench", downloadDir: dl });
  const server = await startGuiServer({ bridge, port: 0 });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(server.url);
  await page.waitForSelector("html[data-ready]");
  const empty = await typingLatency(page, KEYS);

  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    core.emit("message", { text: `message ${i}: ${"lorem ipsum dolor sit amet ".repeat(1 + (i % 5))}`, nickname: "peer", peer_key_verified: true, counter: i + 1 });
  }
  await page.waitForFunction((n: number) => document.querySelectorAll("#log .msg").length >= n, MESSAGES, { timeout: 120000 });
  const fillMs = performance.now() - t0;
  const count = await page.evaluate(() => document.querySelectorAll("#log li").length);
  const full = await typingLatency(page, KEYS);
  await ctx.close();
  await bridge.shutdown(100).catch(() => undefined);
  await server.close();
  await rm(dl, { recursive: true, force: true });
  return { empty, full, fillMs, count };
}

// ------------------------------------------------------------------ main

const browser = await launchBrowser();
try {
  const w = weight();
  const s = await startup(browser);
  const r = await responsiveness(browser);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  printTable(`pqchat gui (chromium, ${RUNS} start-ups, ${MESSAGES} messages, ${KEYS} keys)`, [
    { name: "start-up: spawn -> address printed", value: ms(median(s.toUrl)), reference: `best ${ms(Math.min(...s.toUrl))}` },
    { name: "start-up: spawn -> usable page (loaded, WS up)", value: ms(median(s.toReady)), reference: `best ${ms(Math.min(...s.toReady))}` },
    { name: "page weight: JS + CSS gzipped", value: kb(w.jsGz + w.cssGz), target: "< 150 KB", reference: `raw ${kb(w.js + w.css)} (JS ${kb(w.jsGz)} + CSS ${kb(w.cssGz)} gz; HTML+icon ${kb(w.other)} gz)` },
    { name: `render ${MESSAGES} incoming messages`, value: ms(r.fillMs), reference: `${r.count} entries in the log` },
    { name: "typing, key -> value updated, p50", value: ms(pct(r.full.input, 50)), reference: `empty view ${ms(pct(r.empty.input, 50))}` },
    { name: "typing, key -> value updated, p99", value: ms(pct(r.full.input, 99)), reference: `empty view ${ms(pct(r.empty.input, 99))}` },
    { name: "typing, key -> next frame, p50", value: ms(pct(r.full.frame, 50)), reference: `empty view ${ms(pct(r.empty.frame, 50))}` },
    { name: "typing, key -> next frame, p99", value: ms(pct(r.full.frame, 99)), reference: `empty view ${ms(pct(r.empty.frame, 99))}` },
  ]);
  process.stdout.write(`(${r.full.input.length} keys measured with ${r.count} entries in the view)\n`);
} finally {
  await browser.close();
}
