// The GUI's HTTP + WebSocket server on 127.0.0.1 (issue 6):
//
//   GET  /<token>/                 the page (index.html)
//   GET  /<token>/<asset>          the page's scripts, style sheet and icon (a fixed list)
//   GET  /<token>/files/<id>       a received image, by transfer id (png/jpeg/gif/webp only)
//   PUT  /<token>/upload?name=N    a file to send: streamed into a private temp file, then offered
//   WS   /<token>/ws               events and commands (bridge.ts)
//
// Every request must carry the token, a Host header naming us exactly and,
// for uploads and the WebSocket, our own Origin. Refusals are bare 403/404
// responses, logged at debug level only. Every response carries a strict CSP.
import { createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, realpath, rm } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { CommandError } from "../client/api.js";
import { tempDirPrefix } from "../client/api.js";
import { PREVIEW_MAX, type Bridge } from "./bridge.js";
import { isInside, previewType, safeUploadName } from "./files.js";
import { allowedHost, allowedOrigin, newToken, securityHeaders, stripToken } from "./security.js";

/** The compiled page (tsconfig.gui.json) and the copied static files (build.mjs). */
export const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Page WebSockets at once (tabs). */
const MAX_PAGES = 8;
/** Largest command frame from the page. */
const MAX_WS_PAYLOAD = 1 << 20;

export interface GuiServerOptions {
  bridge: Bridge;
  port: number;
  /** Largest upload accepted (the core's own limit applies again when it prepares the file). */
  maxUpload?: number;
  debug?: (line: string) => void;
  token?: string;
}

export interface GuiServer {
  readonly port: number;
  readonly token: string;
  readonly url: string;
  close(): Promise<void>;
}

interface Asset {
  body: Buffer;
  type: string;
}

/** Reads every file the page needs once: only these names are ever served. */
async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const manifest = JSON.parse(await readFile(path.join(STATIC_DIR, "manifest.json"), "utf8")) as string[];
  for (const name of manifest) {
    if (!/^[a-z0-9-]+\.(html|mjs|css|svg)$/.test(name)) continue;
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type) continue;
    assets.set(name, { body: await readFile(path.join(STATIC_DIR, name)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the GUI's page is missing from ${STATIC_DIR} (run npm run build)`);
  return assets;
}

export async function startGuiServer(opts: GuiServerOptions): Promise<GuiServer> {
  const { bridge } = opts;
  const token = opts.token ?? newToken();
  const debug = opts.debug ?? (() => undefined);
  const assets = await loadAssets();
  const maxUpload = opts.maxUpload ?? 64 * 1024 ** 3;
  let port = 0;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD, perMessageDeflate: false });

  const refuse = (res: http.ServerResponse, status: 403 | 404 | 405, why: string, req: http.IncomingMessage, host: string | null): void => {
    debug(`refused ${req.method} (${why})`);
    res.writeHead(status, { ...securityHeaders(host), "Content-Length": "0", Connection: "close" });
    res.end();
  };

  const json = (res: http.ServerResponse, host: string, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...securityHeaders(host), "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const host = allowedHost(req.headers.host, port);
    if (!host) return refuse(res, 403, "host", req, null);
    const t = stripToken(req.url, token);
    if (!t) return refuse(res, 404, "token", req, host);
    const { rest, query } = t;

    if (req.method === "GET" || req.method === "HEAD") {
      if (rest === "") {
        res.writeHead(308, { ...securityHeaders(host), Location: `/${token}/`, "Content-Length": "0" });
        return void res.end();
      }
      const name = rest === "/" ? "index.html" : rest.slice(1);
      const asset = assets.get(name);
      if (asset) {
        res.writeHead(200, { ...securityHeaders(host), "Content-Type": asset.type, "Content-Length": String(asset.body.length) });
        return void res.end(req.method === "HEAD" ? undefined : asset.body);
      }
      const m = /^\/files\/([0-9a-f]{16})$/.exec(rest);
      if (m) return void serveReceived(m[1]!, req, res, host);
      return refuse(res, 404, "no such page", req, host);
    }
    if (req.method === "PUT" && rest === "/upload") return void upload(query, req, res, host);
    return refuse(res, 405, "method", req, host);
  });

  /** Only files the core reported as received, inside the download dir, that really are images. */
  async function serveReceived(id: string, req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> {
    const rec = bridge.received.get(id);
    if (!rec) return refuse(res, 404, "not a received file", req, host);
    try {
      const real = await realpath(rec.path);
      const dir = await realpath(bridge.downloadDir);
      if (!isInside(dir, real)) return refuse(res, 404, "outside the download dir", req, host);
      const type = await previewType(real);
      if (!type) return refuse(res, 404, "not an image", req, host);
      const fh = await open(real, "r");
      const st = await fh.stat();
      if (!st.isFile() || st.size > PREVIEW_MAX) {
        await fh.close();
        return refuse(res, 404, "not previewable", req, host);
      }
      res.writeHead(200, { ...securityHeaders(host), "Content-Type": type, "Content-Length": String(st.size), "Content-Disposition": "inline" });
      if (req.method === "HEAD") {
        await fh.close();
        return void res.end();
      }
      await pipeline(fh.createReadStream(), res);
    } catch {
      if (!res.headersSent) refuse(res, 404, "unreadable", req, host);
      else res.destroy();
    }
  }

  /** Streams the body into a 0600 file in a fresh 0700 temp dir, named like the original; then offers it. */
  async function upload(query: string, req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> {
    if (!allowedOrigin(req.headers.origin, host)) return refuse(res, 403, "upload origin", req, host);
    const name = new URLSearchParams(query).get("name");
    if (name === null) return json(res, host, 400, { error: "The file name is missing." });
    const length = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(length) && length > maxUpload) return json(res, host, 413, { error: "The file is too large." });
    if (!bridge.canSendFiles) return json(res, host, 409, { error: "Not connected to a peer yet: wait for the key exchange to complete." });
    let dir: string | null = null;
    try {
      dir = await mkdtemp(tempDirPrefix(os.tmpdir(), "upload"));
      const file = path.join(dir, safeUploadName(name));
      let seen = 0;
      req.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen > maxUpload) req.destroy(new Error("too large"));
      });
      await pipeline(req, createWriteStream(file, { mode: 0o600, flags: "wx" }));
      const d = dir;
      dir = null; // offerUpload owns it now
      const info = await bridge.offerUpload(file, d);
      json(res, host, 200, info);
    } catch (err) {
      if (dir !== null) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      if (res.headersSent || res.destroyed) return;
      if (err instanceof CommandError) return json(res, host, 422, { error: err.message });
      debug(`upload failed: ${err instanceof Error ? err.message : String(err)}`);
      json(res, host, 500, { error: "The file could not be received from the page." });
    }
  }

  server.on("upgrade", (req, socket, head) => {
    const deny = (why: string, status = "403 Forbidden"): void => {
      debug(`refused WebSocket (${why})`);
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on("error", () => socket.destroy());
    const host = allowedHost(req.headers.host, port);
    if (!host) return deny("host");
    const t = stripToken(req.url, token);
    if (!t || t.rest !== "/ws") return deny("token", "404 Not Found");
    if (!allowedOrigin(req.headers.origin, host)) return deny("origin");
    if (bridge.pageCount >= MAX_PAGES) return deny("too many pages", "503 Service Unavailable");
    wss.handleUpgrade(req, socket, head, (ws) => bridge.attach(ws));
  });

  server.headersTimeout = 20_000;
  server.requestTimeout = 0; // uploads may take long; the socket timeout below bounds idle connections
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/${token}/`,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
