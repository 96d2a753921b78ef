// Debian's chromium driven by playwright-core (no browser download). Set
// PQCHAT_CHROMIUM to use another binary. Screenshots go to test-results/gui/.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

// page.evaluate() callbacks run in the browser; this program has no DOM library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

export const CHROMIUM = process.env["PQCHAT_CHROMIUM"] ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = join(process.cwd(), "test-results", "gui");

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: install it with 'apt-get install -y chromium' (or set PQCHAT_CHROMIUM)`;
}

export async function launchBrowser(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface PageOpts {
  colorScheme?: "light" | "dark";
  width?: number;
  height?: number;
  /** Browser permissions granted to the GUI's origin (e.g. "notifications"). */
  permissions?: string[];
  /** Script run in the page before its own (spies on browser APIs). */
  initScript?: string;
}

/** A fresh context and page at `url`, resolved once the page is usable (WebSocket connected, hello applied). */
export async function openGuiPage(browser: Browser, url: string, opts: PageOpts = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? "light",
    deviceScaleFactor: 1,
  });
  if (opts.permissions) await context.grantPermissions(opts.permissions, { origin: new URL(url).origin });
  if (opts.initScript) await context.addInitScript(opts.initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector("html[data-ready]", { timeout: 15000 });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  // Let theme and progress-bar transitions finish (CSS transitions are Web Animations).
  await page.waitForFunction(() => document.getAnimations().every((a: { constructor: { name: string }; playState: string }) => a.constructor.name !== "CSSTransition" || a.playState !== "running"));
  await page.screenshot({ path: file });
  return file;
}

/** Fills the connect form and submits it. */
export async function connectPage(page: Page, host: string, port: number, room: string, nick: string): Promise<void> {
  await page.fill("#f-host", host);
  await page.fill("#f-port", String(port));
  await page.fill("#f-room", room);
  await page.fill("#f-nick", nick);
  await page.click("#btn-connect");
}

/** The eight words as the verification dialog shows them: two lines of four. */
export async function dialogWords(page: Page): Promise<string[][]> {
  return page.evaluate(() => [...document.querySelectorAll("#verify-words .words-line")].map((l: { querySelectorAll(s: string): Iterable<{ textContent: string | null }> }) => [...l.querySelectorAll("span")].map((s) => s.textContent ?? "")));
}

/** Texts of the messages in the log (peer and own), in order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.$$eval("#log li.msg .text", (els) => els.map((e) => e.textContent ?? ""));
}
