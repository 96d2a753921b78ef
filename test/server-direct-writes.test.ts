// DirectRun (src/server/direct-writes.ts) on a real loopback socket pair:
// frames back to back in one buffer leave in one send, a run the kernel only
// partly takes has its rest copied and queued (the buffer may then be reused),
// nothing starts a run while writes are queued, and the bytes arrive in order.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

// Direct writes are opt-in; this file tests the module itself, so it turns them on before loading it.
process.env["PQCHAT_RELAY_DIRECT_WRITES"] = "on";
const { DirectRun, directWritesBuilt, directWritesOn, flushAllRuns } = await import("../src/server/direct-writes.js");

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** A connected pair: `out` (the relay's side, written with DirectRun) and `peer` (paused until the test reads). */
async function socketPair(): Promise<{ out: Socket; peer: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const accepted = once(server, "connection") as Promise<[Socket]>;
  const peer = connect({ port, host: "127.0.0.1" });
  peer.pause();
  const [[out]] = await Promise.all([accepted, once(peer, "connect")]);
  return {
    out,
    peer,
    close: () => {
      out.destroy();
      peer.destroy();
      server.close();
    },
  };
}

/** Reads exactly `n` bytes from a paused socket. */
async function readAll(peer: Socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  peer.on("data", (c: Buffer) => {
    parts.push(c);
    have += c.length;
  });
  peer.resume();
  while (have < n) await once(peer, "data");
  return Buffer.concat(parts);
}

/** Without the addon nothing joins a run: every frame takes the ordinary path. */
async function withoutAddon(out: Socket, close: () => void): Promise<boolean> {
  if (directWritesOn) return false;
  assert.equal(new DirectRun(out).add(randomBytes(100)), false);
  close();
  return true;
}

test("the send-now addon is built where the build requires native code", () => {
  const report = JSON.parse(readFileSync(fileURLToPath(new URL("../native-build.json", import.meta.url)), "utf8")) as Record<
    string,
    { built: boolean; reason?: string }
  >;
  const r = report["send-now.c"];
  assert.ok(r, "send-now.c is in dist/native-build.json");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) {
    assert.equal(r.built, true, `send-now.c did not build: ${r.reason}`);
    assert.equal(directWritesBuilt, process.platform === "linux");
    assert.equal(directWritesOn, directWritesBuilt, "PQCHAT_RELAY_DIRECT_WRITES=on turns them on where built");
  }
});

test("frames back to back in one buffer join one run; a gap or another buffer starts a new one", async () => {
  const { out, peer, close } = await socketPair();
  if (await withoutAddon(out, close)) return;
  const shared = randomBytes(4096);
  const other = randomBytes(512);
  const run = new DirectRun(out);
  // [0,100) + [100,300) one run; [400,500) after a gap; then a view into another buffer.
  assert.equal(run.add(shared.subarray(0, 100)), true);
  assert.equal(run.add(shared.subarray(100, 300)), true);
  assert.equal(run.add(shared.subarray(400, 500)), true);
  assert.equal(run.add(other.subarray(0, 512)), true);
  run.flush();
  assert.equal(out.writableLength, 0, "the kernel took these small runs at once: nothing was queued");
  // The shared bytes may change now: what was sent is already in the kernel.
  const expected = Buffer.concat([shared.subarray(0, 300), shared.subarray(400, 500), other]);
  shared.fill(0xee);
  other.fill(0xee);
  assert.equal(sha(await readAll(peer, expected.length)), sha(expected));
  close();
});

test("flushAllRuns sends the runs of every socket that got one, once", async () => {
  const one = await socketPair();
  const two = await socketPair();
  if (await withoutAddon(one.out, one.close)) return two.close();
  const shared = randomBytes(2000);
  const r1 = new DirectRun(one.out);
  const r2 = new DirectRun(two.out);
  assert.equal(r1.add(shared.subarray(0, 700)), true);
  assert.equal(r2.add(shared.subarray(700, 1500)), true);
  assert.equal(r1.add(shared.subarray(1500, 2000)), true); // not contiguous with r1's run: r1 sends [0,700) first
  const expected1 = Buffer.concat([shared.subarray(0, 700), shared.subarray(1500, 2000)]);
  const expected2 = Buffer.from(shared.subarray(700, 1500));
  flushAllRuns();
  flushAllRuns(); // nothing left: sends nothing twice
  shared.fill(0);
  assert.equal(sha(await readAll(one.peer, expected1.length)), sha(expected1));
  assert.equal(sha(await readAll(two.peer, expected2.length)), sha(expected2));
  one.close();
  two.close();
});

test("a run the kernel takes only in part: the rest is copied and queued, later frames wait behind it, order is kept", async () => {
  const { out, peer, close } = await socketPair();
  if (await withoutAddon(out, close)) return;
  const run = new DirectRun(out);
  const sent: Buffer[] = [];
  // Fill the kernel's buffers (the peer does not read) until a flush leaves bytes queued.
  const buf = Buffer.alloc(64 * 1024);
  for (let i = 0; out.writableLength === 0; i++) {
    assert.ok(i < 100_000, "the socket never backed up");
    randomBytes(buf.length).copy(buf);
    for (let o = 0; o < buf.length; o += 16 * 1024) assert.equal(run.add(buf.subarray(o, o + 16 * 1024)), true);
    run.flush();
    sent.push(Buffer.from(buf));
    buf.fill(0xaa); // the read buffer is reused at once: whatever was queued must be a copy
  }
  // Bytes are queued now: a new frame may not start a run ahead of them.
  const late = randomBytes(700);
  assert.equal(run.add(late), false);
  out.write(late);
  sent.push(late);
  const expected = Buffer.concat(sent);
  const got = await readAll(peer, expected.length);
  assert.equal(got.length, expected.length);
  assert.equal(sha(got), sha(expected), "every byte arrived, in order");
  close();
});

test("a destroyed socket: a pending run is dropped, and no run starts", async () => {
  const { out, close } = await socketPair();
  if (await withoutAddon(out, close)) return;
  const run = new DirectRun(out);
  const shared = randomBytes(1000);
  assert.equal(run.add(shared.subarray(0, 500)), true);
  out.destroy();
  run.flush(); // must not throw nor write to a closed descriptor
  assert.equal(out.writableLength, 0);
  assert.equal(run.add(shared.subarray(500)), false);
  close();
});
