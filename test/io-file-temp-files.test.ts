// Temp files never outlive a crash (src/io/file/temp-files.ts): a real
// receiving `pqchat chat --json` is SIGKILLed mid-transfer, leaving its
// `.pqchat-<pid>-….part` (plaintext) behind; the next start removes it — and
// only it: a same-pattern file of a live pid, non-matching names, a symlink
// and a directory that match the pattern all survive. disconnect() resolves
// only once the transfers' temp files are gone. The GUI removes what a crashed
// GUI left in the temp dir (upload copies, gzip temp files).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { JsonChat, quitAll, sharedRelay } from "./helpers/cli-proc.js";
import { TestClient, pair, removeDir, tempDir, tempFilesIn } from "./helpers/client-harness.js";
import { startGui } from "./helpers/gui-proc.js";

const relay = sharedRelay();
const work = mkdtempSync(join(tmpdir(), "pqchat-temp-cleanup-"));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The pid of a process that has exited (not reused this quickly in practice; checked). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((r) => p.once("exit", r));
  const pid = p.pid!;
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  return pid;
}

test("a receiving client SIGKILLed mid-transfer: the next start removes its .part file and nothing else", async () => {
  const dl = join(work, "downloads");
  const src = join(work, "src");
  mkdirSync(dl);
  mkdirSync(src);
  const big = join(src, "big.bin");
  writeFileSync(big, randomBytes(48 * 1024 * 1024));
  const recv = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", "crash", "--download-dir", dl]);
  relay.procs.push(recv);
  await recv.next("waiting_for_peer");
  const send = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", "crash", "--no-dummy"], { cwd: src });
  relay.procs.push(send);
  await Promise.all([recv.next("key_exchange_complete"), send.next("key_exchange_complete")]);
  await Promise.all([recv.ok("verify", { answer: true }), send.ok("verify", { answer: true })]);
  await send.ok("file", { path: big, compress: false });
  const offer = await recv.next("file_offer");
  await recv.ok("accept", { transfer_id: offer["transfer_id"] });
  // Mid-transfer: some bytes written, not all.
  await recv.waitFor((e) => e.event === "file_progress" && (e["bytes"] as number) > 0 && (e["bytes"] as number) < (e["total"] as number), "progress", {
    timeoutMs: 60000,
  });
  const pid = recv.proc.pid!;
  recv.kill();
  await recv.waitExit();
  const left = readdirSync(dl).filter((n) => n.startsWith(`.pqchat-${pid}-`) && n.endsWith(".part"));
  assert.equal(left.length, 1, `the killed client left its partial download: ${readdirSync(dl).join(", ")}`);

  // Things that must survive the sweep.
  const dead = await deadPid();
  const livePart = `.pqchat-${process.pid}-0123456789abcdef.part`; // a live process's transfer
  writeFileSync(join(dl, livePart), "in use");
  writeFileSync(join(dl, ".pqchat-notours.part"), "other");
  writeFileSync(join(dl, "keep.txt"), "mine");
  const outside = join(work, "outside.txt");
  writeFileSync(outside, "target");
  symlinkSync(outside, join(dl, `.pqchat-${dead}-fedcba9876543210.part`));
  mkdirSync(join(dl, `.pqchat-${dead}-00112233445566aa.part`));
  // …and one more dead process's file of our own pattern, which must go.
  writeFileSync(join(dl, `.pqchat-${dead}-abcdefabcdefabcd.out`), "stale");

  const again = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", "crash-restart", "--download-dir", dl]);
  relay.procs.push(again);
  await again.next("waiting_for_peer");
  const now = readdirSync(dl).sort();
  assert.ok(!now.includes(left[0]!), `the stale part file is gone: ${now.join(", ")}`);
  assert.ok(!now.includes(`.pqchat-${dead}-abcdefabcdefabcd.out`));
  for (const n of [livePart, ".pqchat-notours.part", "keep.txt", `.pqchat-${dead}-fedcba9876543210.part`, `.pqchat-${dead}-00112233445566aa.part`]) {
    assert.ok(now.includes(n), `${n} must survive: ${now.join(", ")}`);
  }
  assert.equal(readFileSync(outside, "utf8"), "target", "a symlink's target is never touched");
  await quitAll(again, send);
});

test("disconnect() resolves only after the transfers' temp files are removed", async () => {
  const a = new TestClient("A", await tempDir("pqchat-tc-a-"), { dummyTraffic: false });
  const b = new TestClient("B", await tempDir("pqchat-tc-b-"), { dummyTraffic: false });
  try {
    await pair(relay.server, a, b, { room: "disc" });
    const file = join(work, "disc.bin");
    writeFileSync(file, randomBytes(24 * 1024 * 1024));
    await a.core.sendFile(file, { compress: false });
    const offer = await b.next("file_offer");
    b.core.acceptFile(offer.transfer_id);
    await b.next("file_progress", (p) => p.bytes > 0 && p.bytes < p.total, 60000);
    assert.equal((await tempFilesIn(b.downloadDir)).length, 1, "a partial download exists");
    await b.core.disconnect();
    assert.deepEqual(await tempFilesIn(b.downloadDir), [], "nothing left when disconnect() resolves");
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([removeDir(a.downloadDir), removeDir(b.downloadDir)]);
  }
});

test("the GUI removes a crashed GUI's upload copies and gzip temp files, and nothing else", async () => {
  const tmp = mkdtempSync(join(work, "tmp-"));
  const dead = await deadPid();
  const staleUpload = join(tmp, `pqchat-upload-${dead}-aB3xYz`);
  mkdirSync(staleUpload);
  writeFileSync(join(staleUpload, "secret.txt"), "plaintext copy");
  const liveUpload = join(tmp, `pqchat-upload-${process.pid}-Qw12er`);
  mkdirSync(liveUpload);
  const staleGz = join(tmp, `.pqchat-${dead}-0123456789abcdef.gz.tmp`);
  writeFileSync(staleGz, "gz");
  const other = join(tmp, `pqchat-uploads-${dead}-aB3xYz`);
  mkdirSync(other);
  const gui = await startGui({ env: { TMPDIR: tmp } });
  try {
    // The address line is printed after the sweep.
    assert.equal(existsSync(staleUpload), false);
    assert.equal(existsSync(staleGz), false);
    assert.equal(existsSync(liveUpload), true);
    assert.equal(existsSync(other), true);
  } finally {
    await gui.stop();
    gui.cleanup();
  }
});
