// Two `pqchat gui` processes, a real `pqchat server` and one page for each in
// Chromium: the fixture of the two-GUI end-to-end tests. Page errors are
// collected for the tests' final "no script errors" check.
import type { Browser, Page } from "playwright-core";
import { openGuiPage } from "./gui-browser.js";
import { startGui, type GuiHandle } from "./gui-proc.js";
import { startServer, type ServerHandle } from "./server-process.js";

export interface GuiPair {
  server: ServerHandle;
  guiA: GuiHandle;
  guiB: GuiHandle;
  browser: Browser;
  A: Page;
  B: Page;
  pageErrors: string[];
  /** Closes the browser, stops both GUIs and the server, removes the GUIs' temp dirs. */
  close(): Promise<void>;
}

export async function startGuiPair(opts: { launch: () => Promise<Browser>; env?: { A?: NodeJS.ProcessEnv; B?: NodeJS.ProcessEnv } }): Promise<GuiPair> {
  const server = await startServer();
  const [guiA, guiB, browser] = await Promise.all([
    startGui({ env: opts.env?.A ?? {}, args: ["--debug"] }),
    startGui({ env: opts.env?.B ?? {}, args: ["--debug"] }),
    opts.launch(),
  ]);
  const [a, b] = await Promise.all([openGuiPage(browser, guiA.url), openGuiPage(browser, guiB.url)]);
  const pageErrors: string[] = [];
  for (const p of [a, b]) {
    pageErrors.push(...p.errors);
    p.page.on("pageerror", (e) => pageErrors.push(e.message));
  }
  return {
    server,
    guiA,
    guiB,
    browser,
    A: a.page,
    B: b.page,
    pageErrors,
    close: async () => {
      if (process.env["PQCHAT_GUI_TEST_DEBUG"]) console.error("GUI A stderr:", guiA.stderr(), "\nGUI B stderr:", guiB.stderr());
      await browser.close().catch(() => undefined);
      await Promise.all([guiA.stop(), guiB.stop(), server.stop()]);
      guiA.cleanup();
      guiB.cleanup();
    },
  };
}
