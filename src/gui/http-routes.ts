// The GUI server's HTTP routes (server.ts lists them): the page's files, the
// previews of received images, and uploads of files to send. Every request has
// passed the Host and token checks before it gets here; refusals are bare
// responses, logged at debug level only.
import { createWriteStream } from "node:fs";
import { mkdtemp, open, realpath, rm } from "node:fs/promises";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { CommandError, tempDirPrefix } from "../client/api.js";
import { errorText } from "../present/error-text.js";
import { PREVIEW_MAX, type Bridge } from "./bridge.js";
import { isInside, previewType, safeUploadName } from "./files.js";
import { allowedOrigin, securityHeaders } from "./security.js";
import type { Asset } from "./static-assets.js";

export interface RouteContext {
  bridge: Bridge;
  token: string;
  assets: Map<string, Asset>;
  maxUpload: number;
  debug: (line: string) => void;
}

export function refuse(ctx: RouteContext, res: http.ServerResponse, status: 403 | 404 | 405, why: string, req: http.IncomingMessage, host: string | null): void {
  ctx.debug(`refused ${req.method} (${why})`);
  res.writeHead(status, { ...securityHeaders(host), "Content-Length": "0", Connection: "close" });
  res.end();
}

function json(res: http.ServerResponse, host: string, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...securityHeaders(host), "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** A request under /<token> (`rest` is the path after it, `query` the query string). */
export function route(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse, host: string, rest: string, query: string): void {
  if (req.method === "GET" || req.method === "HEAD") {
    if (rest === "") {
      res.writeHead(308, { ...securityHeaders(host), Location: `/${ctx.token}/`, "Content-Length": "0" });
      return void res.end();
    }
    const name = rest === "/" ? "index.html" : rest.slice(1);
    const asset = ctx.assets.get(name);
    if (asset) {
      res.writeHead(200, { ...securityHeaders(host), "Content-Type": asset.type, "Content-Length": String(asset.body.length) });
      return void res.end(req.method === "HEAD" ? undefined : asset.body);
    }
    const m = /^\/files\/([0-9a-f]{16})$/.exec(rest);
    if (m) return void serveReceived(ctx, m[1]!, req, res, host);
    return refuse(ctx, res, 404, "no such page", req, host);
  }
  if (req.method === "PUT" && rest === "/upload") return void upload(ctx, query, req, res, host);
  return refuse(ctx, res, 405, "method", req, host);
}

/** Only files the core reported as received, inside the download dir, that really are images. */
async function serveReceived(ctx: RouteContext, id: string, req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> {
  const rec = ctx.bridge.received.get(id);
  if (!rec) return refuse(ctx, res, 404, "not a received file", req, host);
  try {
    const real = await realpath(rec.path);
    const dir = await realpath(ctx.bridge.downloadDir);
    if (!isInside(dir, real)) return refuse(ctx, res, 404, "outside the download dir", req, host);
    const type = await previewType(real);
    if (!type) return refuse(ctx, res, 404, "not an image", req, host);
    const fh = await open(real, "r");
    const st = await fh.stat();
    if (!st.isFile() || st.size > PREVIEW_MAX) {
      await fh.close();
      return refuse(ctx, res, 404, "not previewable", req, host);
    }
    res.writeHead(200, { ...securityHeaders(host), "Content-Type": type, "Content-Length": String(st.size), "Content-Disposition": "inline" });
    if (req.method === "HEAD") {
      await fh.close();
      return void res.end();
    }
    await pipeline(fh.createReadStream(), res);
  } catch {
    if (!res.headersSent) refuse(ctx, res, 404, "unreadable", req, host);
    else res.destroy();
  }
}

/** Streams the body into a 0600 file in a fresh 0700 temp dir, named like the original; then offers it. */
async function upload(ctx: RouteContext, query: string, req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> {
  if (!allowedOrigin(req.headers.origin, host)) return refuse(ctx, res, 403, "upload origin", req, host);
  const name = new URLSearchParams(query).get("name");
  if (name === null) return json(res, host, 400, { error: "The file name is missing." });
  const length = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(length) && length > ctx.maxUpload) return json(res, host, 413, { error: "The file is too large." });
  if (!ctx.bridge.canSendFiles) return json(res, host, 409, { error: "Not connected to a peer yet: wait for the key exchange to complete." });
  let dir: string | null = null;
  try {
    dir = await mkdtemp(tempDirPrefix(os.tmpdir(), "upload"));
    const file = path.join(dir, safeUploadName(name));
    let seen = 0;
    req.on("data", (c: Buffer) => {
      seen += c.length;
      if (seen > ctx.maxUpload) req.destroy(new Error("too large"));
    });
    await pipeline(req, createWriteStream(file, { mode: 0o600, flags: "wx" }));
    const d = dir;
    dir = null; // offerUpload owns it now
    const info = await ctx.bridge.offerUpload(file, d);
    json(res, host, 200, info);
  } catch (err) {
    if (dir !== null) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (res.headersSent || res.destroyed) return;
    if (err instanceof CommandError) return json(res, host, 422, { error: err.message });
    ctx.debug(`upload failed: ${errorText(err)}`);
    json(res, host, 500, { error: "The file could not be received from the page." });
  }
}
