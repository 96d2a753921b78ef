// What the relay leaves behind (SPEC §18): a whole session — texts both ways
// and a file — through a real `pqchat server` at debug log level, between a
// real `pqchat chat --json` client and a raw peer that records every
// encrypted frame on the wire.
// * No file on disk: the server runs with its working directory, TMPDIR and
//   HOME in empty temp dirs, which are still empty afterwards; while a file is
//   relayed, none of its open descriptors is a regular file opened for
//   writing (/proc/PID/fd and fdinfo).
// * No counters, nonces, HMACs, ephemeral keys, ciphertext or message text in
//   the server's log or the client's stderr, even at debug level.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { fromUtf8, parseJsonObject, type JsonObject } from "../src/protocol/index.js";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { HostilePeer } from "./helpers/hostile-peer.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

const dirs: string[] = [];
let server: ServerHandle | null = null;
let j: JsonChat | null = null;
let h: HostilePeer | null = null;
after(async () => {
  h?.close();
  if (j) await quitAll(j);
  await server?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function emptyDir(tag: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), `pqchat-hygiene-${tag}-`));
  dirs.push(d);
  return d;
}

/** Open descriptors of `pid` that are regular files opened for writing (O_WRONLY or O_RDWR). */
function writableFiles(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!statSync(`/proc/${pid}/fd/${fd}`).isFile()) continue;
    } catch {
      continue; // closed meanwhile
    }
    const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & 3) !== 0) out.push(`${fd} -> ${target}`);
  }
  return out;
}

const SECRET_OUT = "the eagle lands at 0400 sharp";
const SECRET_IN = "copy that, bring the blue folder";

test("a whole session through the server: nothing written to disk, no counters, nonces or content in any log", async () => {
  const [cwd, tmp, home, clientDir] = await Promise.all([emptyDir("cwd"), emptyDir("tmp"), emptyDir("home"), emptyDir("client")]);
  server = await startServer(["--log-level", "debug"], {
    cwd,
    env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home },
  });
  j = new JsonChat([`127.0.0.1:${server.port}`, "--download-dir", clientDir], { cwd: clientDir });
  await j.next("waiting_for_peer");
  h = await HostilePeer.connect(server.port, server.host);
  const peer = h;
  await j.next("key_exchange_complete");
  await peer.ready();
  await j.ok("verify", { answer: true });

  await j.ok("send", { text: SECRET_OUT });
  await peer.nextInner((m) => m["text"] === SECRET_OUT);
  await peer.sendInner({ type: 13, text: SECRET_IN });
  await j.next("message", { text: SECRET_IN });

  await writeFile(path.join(clientDir, "report.bin"), Buffer.alloc(2 * 1024 * 1024 + 10, 0x5a));
  await j.ok("file", { path: "report.bin" });
  const meta = await peer.nextInner((m) => m["type"] === 20);
  await peer.sendInner({ type: 21, transfer_id: meta["transfer_id"] as string });
  await peer.binaryCount(2);
  assert.deepEqual(writableFiles(server.pid), [], "no regular file open for writing while relaying");
  await peer.binaryCount(3);
  await peer.sendInner({ type: 24, transfer_id: meta["transfer_id"] as string });
  await j.next("file_sent");

  await quitAll(j);
  peer.close();
  const serverLog = server.stderr() + server.stdout();
  await server.stop();
  server = null;
  for (const d of [cwd, tmp, home]) assert.deepEqual(await readdir(d), [], `the server wrote nothing into ${d}`);

  // The log is really at debug level (so the check below is not vacuous).
  assert.match(serverLog, /debug/);
  const logs = serverLog + "\n" + j.stderr();
  const frames: JsonObject[] = [...peer.sentWires.map((w) => parseJsonObject(fromUtf8(w))!), ...peer.receivedWires];
  assert.ok(frames.length >= 6, `${frames.length} encrypted frames recorded`);
  for (const f of frames) {
    for (const field of ["nonce", "dh_public_key", "verification"] as const) {
      const v = f[field] as string;
      assert.ok(!logs.includes(v), `the ${field} of counter ${String(f["counter"])} appears in a log`);
    }
    assert.ok(!logs.includes((f["ciphertext"] as string).slice(0, 24)), "ciphertext appears in a log");
  }
  assert.doesNotMatch(logs, /counter\W{0,4}\d/i, "no counter values in the logs");
  for (const s of [SECRET_OUT, SECRET_IN, "report.bin"]) assert.ok(!logs.includes(s), `"${s}" appears in a log`);
});
