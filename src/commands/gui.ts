// `pqchat gui`: the browser client. The client core runs in this
// process; the page served on 127.0.0.1 is only a view (src/gui/).
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ClientCore } from "../client/core.js";
import { removeStaleTemps, tempDirPrefix } from "../io/file/index.js";
import { Bridge, openWithDesktop } from "../gui/bridge.js";
import { configPath, loadConfig } from "../gui/config.js";
import { startGuiServer } from "../gui/server.js";
import type { ClientOptions } from "../client/api.js";
import { parseIntFlag, reconnectFlags, RECONNECT_HELP, UsageError, usageFromParseArgs } from "./args.js";
import { packageVersion } from "../client/version.js";

const HELP = `Usage: pqchat gui [options]

Starts the browser client: the chat runs in this process (all keys stay here)
and a page on 127.0.0.1 shows it. The page's address, with its secret token,
is printed on one line ("pqchat gui: http://127.0.0.1:PORT/TOKEN/") and opened
in your default browser. Press Ctrl-C to disconnect and quit.

Options:
  --port N             local port for the page (default 0: any free port)
  --no-open            do not open a browser; just print the address
  --download-dir DIR   where received files go (default: ~/Downloads if it exists, else the current directory)
  --gzip-level N       gzip level 0-9 for files you send (default: chosen per file)
  --debug              log refused requests and internal errors to stderr
${RECONNECT_HELP}
  -h, --help           show this help

The connect form and settings are remembered in ${configPath()}
(never keys or messages).`;

export interface GuiArgs {
  port: number;
  open: boolean;
  downloadDir: string | null;
  gzipLevel: number | null;
  debug: boolean;
  /** ClientOptions.reconnect from the reconnect flags; undefined: the defaults. */
  reconnect: ClientOptions["reconnect"];
}

/** Parses the argv of `pqchat gui`; null means --help was shown. */
export function parseGuiArgs(argv: string[]): GuiArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        port: { type: "string" },
        "no-open": { type: "boolean" },
        "download-dir": { type: "string" },
        "gzip-level": { type: "string" },
        debug: { type: "boolean" },
        "reconnect-attempts": { type: "string" },
        "reconnect-for": { type: "string" },
        "no-reconnect": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw usageFromParseArgs(err, "gui");
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP + "\n");
    return null;
  }
  return {
    port: v.port === undefined ? 0 : parseIntFlag(v.port, "--port", 0, 65535),
    open: v["no-open"] !== true,
    downloadDir: v["download-dir"] ?? null,
    gzipLevel: v["gzip-level"] === undefined ? null : parseIntFlag(v["gzip-level"], "--gzip-level", 0, 9),
    debug: v.debug === true,
    reconnect: reconnectFlags(v["no-reconnect"] === true, v["reconnect-attempts"], v["reconnect-for"]),
  };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function resolveDownloadDir(arg: string | null): Promise<string> {
  if (arg !== null) {
    const dir = path.resolve(arg);
    try {
      await mkdir(dir, { recursive: true });
    } catch {
      /* reported below */
    }
    if (!(await isDir(dir))) throw new UsageError(`--download-dir: ${dir} is not a directory`);
    return dir;
  }
  const downloads = path.join(os.homedir(), "Downloads");
  return (await isDir(downloads)) ? downloads : process.cwd();
}

/**
 * Opens the page without putting the token on a command line other users can
 * see: a 0600 redirect file in a private temp dir (removed at exit).
 */
async function openBrowser(url: string): Promise<string | null> {
  const dir = await mkdtemp(tempDirPrefix(os.tmpdir(), "open"));
  const file = path.join(dir, "open.html");
  const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>pqchat</title><p><a href="${url}">Open pqchat</a></p>\n`;
  await writeFile(file, html, { mode: 0o600 });
  const err = await openWithDesktop(pathToFileURL(file).href);
  if (err !== null) {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

export async function runGui(argv: string[]): Promise<number> {
  const args = parseGuiArgs(argv);
  if (!args) return 0;
  const debug = args.debug ? (line: string) => void process.stderr.write(`pqchat gui: ${line}\n`) : undefined;
  const downloadDir = await resolveDownloadDir(args.downloadDir);
  const cfgFile = configPath();
  const config = await loadConfig(cfgFile);
  // What a crashed earlier run left (temp-files.ts): upload copies and the opener's dir, gzip
  // temp files, partial downloads. Done before the address is printed, i.e. before anything starts.
  await Promise.all([removeStaleTemps(os.tmpdir(), "dirs"), removeStaleTemps(os.tmpdir(), "files"), removeStaleTemps(downloadDir, "files")]);
  const core = new ClientCore({
    downloadDir,
    nickname: config.nickname || null,
    ...(args.gzipLevel === null ? {} : { gzipLevel: args.gzipLevel }),
    ...(args.reconnect === undefined ? {} : { reconnect: args.reconnect }),
  });
  const envMs = Number(process.env["PQCHAT_GUI_EPHEMERAL_MS"]);
  const bridge = new Bridge({
    core,
    config,
    configFile: cfgFile,
    version: packageVersion(),
    downloadDir,
    ephemeralMs: Number.isInteger(envMs) && envMs > 0 ? envMs : undefined,
    debug,
  });
  const server = await startGuiServer({ bridge, port: args.port, debug });
  process.stdout.write(`pqchat gui: ${server.url}\n`);
  process.stderr.write(`pqchat gui: received files go to ${downloadDir}; press Ctrl-C to quit\n`);
  let openDir: string | null = null;
  if (args.open) openDir = await openBrowser(server.url).catch(() => null);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        await bridge.shutdown();
        await server.close();
        if (openDir) await rm(openDir, { recursive: true, force: true }).catch(() => undefined);
        resolve(0);
      })();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
