// The GUI's HTTP + WebSocket server on 127.0.0.1:
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
// The routes are in http-routes.ts, the page's files in static-assets.ts; this
// module checks Host and token, accepts page WebSockets and runs the server.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Bridge } from "./bridge.js";
import { refuse, route, type RouteContext } from "./http-routes.js";
import { allowedHost, allowedOrigin, newToken, stripToken } from "./security.js";
import { loadAssets } from "./static-assets.js";

export { STATIC_DIR } from "./static-assets.js";

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

/** A page's WebSocket: same Host, token and Origin checks as uploads, and at most MAX_PAGES at once. */
function acceptPage(ctx: RouteContext, wss: WebSocketServer, port: number, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const deny = (why: string, status = "403 Forbidden"): void => {
    ctx.debug(`refused WebSocket (${why})`);
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  socket.on("error", () => socket.destroy());
  const host = allowedHost(req.headers.host, port);
  if (!host) return deny("host");
  const t = stripToken(req.url, ctx.token);
  if (!t || t.rest !== "/ws") return deny("token", "404 Not Found");
  if (!allowedOrigin(req.headers.origin, host)) return deny("origin");
  if (ctx.bridge.pageCount >= MAX_PAGES) return deny("too many pages", "503 Service Unavailable");
  wss.handleUpgrade(req, socket, head, (ws) => ctx.bridge.attach(ws));
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startGuiServer(opts: GuiServerOptions): Promise<GuiServer> {
  const token = opts.token ?? newToken();
  const ctx: RouteContext = { bridge: opts.bridge, token, assets: await loadAssets(), maxUpload: opts.maxUpload ?? 64 * 1024 ** 3, debug: opts.debug ?? (() => undefined) };
  let port = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD, perMessageDeflate: false });
  const server = http.createServer((req, res) => {
    const host = allowedHost(req.headers.host, port);
    if (!host) return refuse(ctx, res, 403, "host", req, null);
    const t = stripToken(req.url, token);
    if (!t) return refuse(ctx, res, 404, "token", req, host);
    route(ctx, req, res, host, t.rest, t.query);
  });
  server.on("upgrade", (req, socket, head) => acceptPage(ctx, wss, port, req, socket, head));
  server.headersTimeout = 20_000;
  server.requestTimeout = 0; // uploads may take long; the socket timeout below bounds idle connections
  server.keepAliveTimeout = 5_000;
  port = await listen(server, opts.port);

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
