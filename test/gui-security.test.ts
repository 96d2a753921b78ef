// The GUI bridge's request checks, with raw HTTP and WebSocket clients against
// a real `pqchat gui` process: no token, wrong token, foreign Host header
// (DNS rebinding), foreign Origin on the WebSocket and on uploads; strict
// headers on every response; only received files are ever served. Plus unit
// tests of the helpers (token parsing, file names, image sniffing, config).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { cleanConfig, configPath, loadConfig, saveConfig } from "../src/gui/config.js";
import { imageTypeByName, isInside, safeUploadName, sniffImage } from "../src/gui/files.js";
import { allowedHost, allowedOrigin, stripToken, tokenEquals } from "../src/gui/security.js";
import { startGui, type GuiHandle } from "./helpers/gui-proc.js";

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers, setHost: !opts.headers?.["Host"] }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Opens a WebSocket; resolves "open" (with the first message) or the refusal's HTTP status. */
function tryWs(url: string, headers: Record<string, string>): Promise<{ open: true; first: string } | { open: false; status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("message", (d) => {
      resolve({ open: true, first: d.toString() });
      ws.close();
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve({ open: false, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once("error", (e) => reject(e));
  });
}

let gui: GuiHandle;

before(async () => {
  gui = await startGui({ args: ["--debug"] });
});

after(async () => {
  await gui?.stop();
  gui?.cleanup();
});

test("pqchat gui --help and bad flags", async () => {
  const { runCli } = await import("./helpers/server-process.js");
  const help = await runCli(["gui", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--no-open/);
  assert.match(help.stdout, /--download-dir/);
  const bad = await runCli(["gui", "--bogus"]);
  assert.equal(bad.code, 2);
  const badPort = await runCli(["gui", "--port", "70000"]);
  assert.equal(badPort.code, 2);
  assert.match(help.stdout, /--gzip-level N/);
  const badLevel = await runCli(["gui", "--gzip-level", "10"]);
  assert.equal(badLevel.code, 2);
  assert.match(badLevel.stderr, /^pqchat: .*--gzip-level.*\n$/);
  const { parseGuiArgs } = await import("../src/commands/gui.js");
  assert.equal(parseGuiArgs(["--gzip-level", "9"])?.gzipLevel, 9);
  assert.equal(parseGuiArgs([])?.gzipLevel, null);
});

test("the address line: 127.0.0.1, random port, 128-bit token", () => {
  assert.match(gui.url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
  assert.ok(gui.port > 0);
  assert.equal(gui.stdout().split("\n").filter((l) => l !== "").length, 1);
});

test("the page with the token: 200, strict CSP and the other headers", async () => {
  for (const host of [`127.0.0.1:${gui.port}`, `localhost:${gui.port}`]) {
    const r = await request(gui.port, `/${gui.token}/`, { headers: { Host: host } });
    assert.equal(r.status, 200, host);
    const csp = String(r.headers["content-security-policy"]);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://${host.replace(/\./g, "\\.")}`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.equal(r.headers["referrer-policy"], "no-referrer");
    assert.equal(r.headers["x-frame-options"], "DENY");
    // No inline script or style, nothing remote.
    assert.doesNotMatch(r.body, /<script(?![^>]*\bsrc=)/);
    assert.doesNotMatch(r.body, /\sstyle=|<style|\son[a-z]+=/i);
    assert.doesNotMatch(r.body, /https?:\/\/(?!www\.w3\.org)/);
  }
  const js = await request(gui.port, `/${gui.token}/app.mjs`);
  assert.equal(js.status, 200);
  assert.match(String(js.headers["content-type"]), /^text\/javascript/);
  const css = await request(gui.port, `/${gui.token}/style.css`);
  assert.match(String(css.headers["content-type"]), /^text\/css/);
  // Without the trailing slash: a redirect to the tokened path.
  const bare = await request(gui.port, `/${gui.token}`);
  assert.equal(bare.status, 308);
  assert.equal(bare.headers["location"], `/${gui.token}/`);
});

test("requests without the right token are refused with no detail", async () => {
  const wrong = gui.token.replace(/^./, (c) => (c === "0" ? "1" : "0"));
  for (const path of ["/", "/app.mjs", "/ws", `/${wrong}/`, `/${gui.token.toUpperCase()}/`, `/${gui.token}x/`, `/x${gui.token}/`, `/${gui.token.slice(0, 31)}/`, "/favicon.ico", `/%2e%2e/${gui.token}/`]) {
    const r = await request(gui.port, path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body, "", path);
    assert.match(String(r.headers["content-security-policy"]), /default-src 'none'/);
  }
  // Absolute-form request target (proxy style).
  const abs = await request(gui.port, `http://127.0.0.1:${gui.port}/${gui.token}/`);
  assert.equal(abs.status, 404);
  // Only the page's own files: not the manifest, not the compiled wire types, no traversal.
  for (const p of ["manifest.json", "wire.mjs", "../server.js", "..%2fserver.js", "files/../index.html", "files/0123456789abcdef", "files/ZZZ"]) {
    const r = await request(gui.port, `/${gui.token}/${p}`);
    assert.equal(r.status, 404, p);
  }
  assert.match(gui.stderr(), /refused GET \(token\)/);
});

test("a foreign Host header is refused (DNS rebinding)", async () => {
  for (const host of [`evil.example:${gui.port}`, "127.0.0.1", `127.0.0.1:${gui.port + 1}`, `localhost.evil.example:${gui.port}`, `[::1]:${gui.port}`, `0.0.0.0:${gui.port}`]) {
    const r = await request(gui.port, `/${gui.token}/`, { headers: { Host: host } });
    assert.equal(r.status, 403, host);
    assert.equal(r.body, "");
  }
});

test("the WebSocket needs the token, our Host and exactly our Origin", async () => {
  const url = `ws://127.0.0.1:${gui.port}/${gui.token}/ws`;
  const ok = await tryWs(url, { Origin: gui.origin });
  assert.equal(ok.open, true);
  if (ok.open) {
    const hello = JSON.parse(ok.first) as { t: string; state: { phase: string }; history: unknown[] };
    assert.equal(hello.t, "hello");
    assert.equal(hello.state.phase, "disconnected");
    assert.deepEqual(hello.history, []);
    assert.deepEqual(Object.keys(hello).sort(), ["config", "ephemeral_ms", "ephemeral_owner", "history", "preview_max", "protocol_version", "rekey_prompt", "state", "t", "version"]);
  }
  const refused: Array<[string, Record<string, string>, number]> = [
    [url, { Origin: "http://evil.example" }, 403],
    [url, { Origin: `http://127.0.0.1:${gui.port + 1}` }, 403],
    [url, { Origin: `https://127.0.0.1:${gui.port}` }, 403],
    [url, { Origin: "null" }, 403],
    [url, {}, 403],
    [url, { Origin: gui.origin, Host: `evil.example:${gui.port}` }, 403],
    [`ws://127.0.0.1:${gui.port}/ws`, { Origin: gui.origin }, 404],
    [`ws://127.0.0.1:${gui.port}/${gui.token}/other`, { Origin: gui.origin }, 404],
  ];
  for (const [u, h, status] of refused) {
    const r = await tryWs(u, h);
    assert.deepEqual(r, { open: false, status }, `${u} ${JSON.stringify(h)}`);
  }
  // localhost works when both Host and Origin say localhost.
  const lh = await tryWs(url, { Host: `localhost:${gui.port}`, Origin: `http://localhost:${gui.port}` });
  assert.equal(lh.open, true);
  assert.match(gui.stderr(), /refused WebSocket \(origin\)/);
});

test("uploads need our Origin and a secure session; commands are validated", async () => {
  const path = `/${gui.token}/upload?name=a.txt`;
  assert.equal((await request(gui.port, path, { method: "PUT", body: "x" })).status, 403);
  assert.equal((await request(gui.port, path, { method: "PUT", body: "x", headers: { Origin: "http://evil.example" } })).status, 403);
  const notYet = await request(gui.port, path, { method: "PUT", body: "x", headers: { Origin: gui.origin } });
  assert.equal(notYet.status, 409);
  assert.match(notYet.body, /Not connected/);
  assert.equal((await request(gui.port, `/${gui.token}/`, { method: "POST", body: "x" })).status, 405);

  // Commands: one reply each, errors in plain words, nothing crashes the bridge.
  const ws = new WebSocket(`ws://127.0.0.1:${gui.port}/${gui.token}/ws`, { headers: { Origin: gui.origin } });
  const replies = new Map<number, { ok: boolean; error?: string }>();
  const waiters = new Map<number, () => void>();
  ws.on("message", (d) => {
    const m = JSON.parse(d.toString()) as { t: string; id: number; ok: boolean; error?: string };
    if (m.t === "reply") {
      replies.set(m.id, m);
      waiters.get(m.id)?.();
    }
  });
  await new Promise((r) => ws.once("open", r));
  const call = (msg: Record<string, unknown>): Promise<{ ok: boolean; error?: string }> =>
    new Promise((resolve) => {
      const id = msg["id"] as number;
      waiters.set(id, () => resolve(replies.get(id)!));
      ws.send(JSON.stringify(msg));
    });
  ws.send("not json");
  ws.send(JSON.stringify([1, 2]));
  assert.deepEqual(await call({ id: 1, cmd: "nope" }), { t: "reply", id: 1, ok: false, error: "Unknown command." });
  assert.equal((await call({ id: 2, cmd: "send", text: "hi" })).ok, false);
  assert.equal((await call({ id: 3, cmd: "connect", host: "", port: 1, room: "", nickname: "" })).error, "Enter the server's host name or address.");
  assert.equal((await call({ id: 4, cmd: "connect", host: "127.0.0.1", port: "1", room: "", nickname: "" })).ok, false);
  assert.equal((await call({ id: 5, cmd: "verify", answer: "yes" })).ok, false);
  assert.equal((await call({ id: 6, cmd: "ephemeral", mode: "GLOBAL" })).ok, false);
  assert.equal((await call({ id: 7, cmd: "emergency_close" })).error, "Not connected.");
  assert.equal((await call({ id: 8, cmd: "settings", settings: { theme: "<script>", sound: "yes", notifications: true } })).ok, true);
  assert.equal((await call({ id: 9, cmd: "state" })).ok, true);
  ws.close();
  // Only the well-typed setting was saved.
  const saved = JSON.parse(readFileSync(gui.configFile, "utf8")) as { settings: Record<string, unknown> };
  assert.equal(saved.settings["theme"], "auto");
  assert.equal(saved.settings["sound"], true);
  assert.equal(saved.settings["notifications"], true);
  assert.equal(statSync(gui.configFile).mode & 0o777, 0o600);
});

test("helpers: token path parsing and comparisons", () => {
  const t = "0123456789abcdef0123456789abcdef";
  assert.deepEqual(stripToken(`/${t}/`, t), { rest: "/", query: "" });
  assert.deepEqual(stripToken(`/${t}`, t), { rest: "", query: "" });
  assert.deepEqual(stripToken(`/${t}/upload?name=x`, t), { rest: "/upload", query: "name=x" });
  assert.deepEqual(stripToken(`/${t}?x=/`, t), { rest: "", query: "x=/" });
  assert.equal(stripToken("/", t), null);
  assert.equal(stripToken(undefined, t), null);
  assert.equal(stripToken(`http://h/${t}/`, t), null);
  assert.equal(tokenEquals(t, t), true);
  assert.equal(tokenEquals(t.slice(1), t), false);
  assert.equal(tokenEquals("é".repeat(16), t), false);
  assert.equal(allowedHost("LOCALHOST:80", 80), "localhost:80");
  assert.equal(allowedHost("127.0.0.1:80", 81), null);
  assert.equal(allowedHost(undefined, 80), null);
  assert.equal(allowedOrigin("http://127.0.0.1:80", "127.0.0.1:80"), true);
  assert.equal(allowedOrigin("http://localhost:80", "127.0.0.1:80"), false);
  assert.equal(allowedOrigin(undefined, "127.0.0.1:80"), false);
});

test("helpers: upload names, image types, paths", () => {
  assert.equal(safeUploadName("photo.png"), "photo.png");
  assert.equal(safeUploadName("../../etc/passwd"), "passwd");
  assert.equal(safeUploadName("C:\\Users\\x\\report.pdf"), "report.pdf");
  assert.equal(safeUploadName("a\u202egnp.exe"), "agnp.exe");
  assert.equal(safeUploadName("bad\u0000\nname.txt"), "badname.txt");
  assert.equal(safeUploadName(".."), "file");
  assert.equal(safeUploadName("   "), "file");
  assert.equal(safeUploadName("dir/"), "file");
  assert.equal(safeUploadName(".bashrc"), ".bashrc");
  assert.equal(safeUploadName('a<b>:"c".txt', "win32"), "a_b___c_.txt");
  const long = safeUploadName("é".repeat(300) + ".tar.gz");
  assert.ok(Buffer.byteLength(long) <= 200);
  assert.ok(long.endsWith(".gz"));
  assert.equal(imageTypeByName("/x/a.PNG"), "image/png");
  assert.equal(imageTypeByName("a.jpeg"), "image/jpeg");
  assert.equal(imageTypeByName("a.svg"), null);
  assert.equal(imageTypeByName("a.html"), null);
  assert.equal(sniffImage(Buffer.from("89504e470d0a1a0a0000", "hex")), "image/png");
  assert.equal(sniffImage(Buffer.from("ffd8ffe0", "hex")), "image/jpeg");
  assert.equal(sniffImage(Buffer.from("GIF89a")), "image/gif");
  assert.equal(sniffImage(Buffer.from("RIFF\0\0\0\0WEBPVP8 ")), "image/webp");
  assert.equal(sniffImage(Buffer.from("<html><script>")), null);
  assert.equal(isInside("/a/b", "/a/b/c.png"), true);
  assert.equal(isInside("/a/b", "/a/bc/x"), false);
  assert.equal(isInside("/a/b", "/a/b"), false);
  assert.equal(isInside("/a/b", "/a/b/../c"), false);
});

test("helpers: config file location, cleaning, atomic 0600 save", async () => {
  assert.equal(configPath({ XDG_CONFIG_HOME: "/xdg", HOME: "/home/u" }, "linux"), "/xdg/pqchat/gui.json");
  assert.equal(configPath({ HOME: "/home/u" }, "linux"), "/home/u/.config/pqchat/gui.json");
  assert.equal(configPath({ XDG_CONFIG_HOME: "relative", HOME: "/home/u" }, "linux"), "/home/u/.config/pqchat/gui.json");
  const c = cleanConfig({ host: 5, port: 99999, room: "r", nickname: "n", settings: { theme: "dark", sound: "no", accept_files: "yes", extra: 1 }, keys: "x" });
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 16384);
  assert.equal(c.room, "r");
  assert.equal(c.settings.theme, "dark");
  assert.equal(c.settings.sound, true);
  assert.equal(c.settings.accept_files, "yes");
  assert.ok(!("keys" in c));
  const dir = mkdtempSync(join(tmpdir(), "pqchat-gui-cfg-unit-"));
  try {
    const file = join(dir, "sub", "pqchat", "gui.json");
    assert.deepEqual(await loadConfig(file), cleanConfig(null));
    assert.equal(await saveConfig(file, c), null);
    assert.deepEqual(await loadConfig(file), c);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "sub", "pqchat")).mode & 0o777, 0o700);
    writeFileSync(file, "{not json");
    assert.deepEqual(await loadConfig(file), cleanConfig(null));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
