// Large binary frames moved by splice (src/server/frame-splice.ts) through a
// real server process and real sockets: bytes identical and in order beside
// small frames both ways, the splice counter moving (and not with
// without PQCHAT_RELAY_SPLICE=on, the default), and every way a job can end early — a sender that
// vanishes or stalls mid-frame, a partner that leaves while the frame is in
// the pipe, a shutdown during a job — handled as the buffered path handles it.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { afterSplice, SPLICE_MAX_REST, SpliceEnd, spliceBuilt } from "../src/server/frame-splice.js";
import { completedPair, completeExchange, joinClient, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";
import { metric } from "./helpers/server-metrics.js";

const wireOf = (payload: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
};
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
/** A FILE_CHUNK-sized binary payload (first byte 0, like its counter). */
const chunk = (n = 1024 * 1024 + 40): Buffer => {
  const b = randomBytes(n);
  b[0] = 0;
  return b;
};

/** Resolves once the relay reports a frame being spliced (or at once where nothing is spliced). */
async function spliceStarted(server: ServerHandle, expected: boolean): Promise<void> {
  if (!expected) return;
  while ((await metric(server, "pqchat_relay_frames_splicing")) < 1) await new Promise((r) => setImmediate(r));
}

test("the splice addon is built where the build requires native code", () => {
  const report = JSON.parse(readFileSync(fileURLToPath(new URL("../native-build.json", import.meta.url)), "utf8")) as Record<
    string,
    { built: boolean; reason?: string }
  >;
  const r = report["splice.c"];
  assert.ok(r, "splice.c is in dist/native-build.json");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) {
    assert.equal(r.built, true, `splice.c did not build: ${r.reason}`);
    assert.equal(spliceBuilt, process.platform === "linux");
  }
});

test("afterSplice: who is closed after each ending", () => {
  assert.deepEqual(afterSplice(SpliceEnd.done, true, true, true), { cutOff: null, closeFrom: null, fromTimedOut: false, toFailed: false });
  // Nothing reached the partner before the frame was whole: the sender's failure is the sender's alone.
  assert.deepEqual(afterSplice(SpliceEnd.sourceClosed, false, true, true), { cutOff: null, closeFrom: "connection lost", fromTimedOut: false, toFailed: false });
  assert.deepEqual(afterSplice(SpliceEnd.timedOut, false, true, true), {
    cutOff: null,
    closeFrom: "incomplete frame timed out",
    fromTimedOut: true,
    toFailed: false,
  });
  assert.deepEqual(afterSplice(SpliceEnd.destinationFailed, true, true, true), { cutOff: null, closeFrom: null, fromTimedOut: false, toFailed: true });
  // Cancelled while writing to the partner: it holds part of a frame.
  assert.equal(afterSplice(SpliceEnd.cancelled, true, false, true).cutOff, "partner's frame cut off");
  // Cancelled before anything was written: the partner's stream is intact.
  assert.equal(afterSplice(SpliceEnd.cancelled, false, false, true).cutOff, null);
  assert.equal(afterSplice(SpliceEnd.cancelled, true, true, false).cutOff, null);
});

for (const mode of ["splice", "off"] as const) {
  describe(`large frames (${mode === "splice" ? "PQCHAT_RELAY_SPLICE=on" : "buffered, the default"})`, () => {
    let server: ServerHandle;
    let room = 0;
    const pair = () => completedPair(server, { room: `sp-${room++}` });
    const splicing = mode === "splice" && spliceBuilt;

    before(async () => {
      const env = { ...process.env };
      if (mode === "splice") env["PQCHAT_RELAY_SPLICE"] = "on";
      else delete env["PQCHAT_RELAY_SPLICE"];
      server = await startServer(["--max-clients", "20", "--metrics", "127.0.0.1:0", "--frame-timeout", "3s"], { env });
    });
    after(async () => {
      await server.stop();
    });

    test("chunk-sized frames beside small ones, both ways at once, arrive hash-identical and in order", async () => {
      const [a, b] = await pair();
      const before = await metric(server, "pqchat_relay_frames_spliced_total");
      const make = (): Buffer[] => Array.from({ length: 24 }, (_, i) => (i % 3 === 2 ? chunk(100 + i) : chunk(SPLICE_MAX_REST - 5000 + i * 997)));
      const ab = make();
      const ba = make();
      const pump = async (from: typeof a, frames: Buffer[]): Promise<void> => {
        for (const f of frames) if (!from.socket.write(wireOf(f))) await new Promise((r) => from.socket.once("drain", r));
      };
      const receive = async (c: typeof a, n: number): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(sha(await c.nextFrame(20_000)));
        return out;
      };
      const [atB, atA] = await Promise.all([receive(b, ab.length), receive(a, ba.length), pump(a, ab), pump(b, ba)]);
      assert.deepEqual(atB, ab.map(sha));
      assert.deepEqual(atA, ba.map(sha));
      const spliced = (await metric(server, "pqchat_relay_frames_spliced_total")) - before;
      if (!splicing) assert.equal(spliced, 0);
      else assert.ok(spliced > 0, "some chunk frames were spliced");
      a.close();
      b.close();
    });

    test("a sender that vanishes mid-frame: the partner gets KEY_EXCHANGE_RESET, never part of the frame", async () => {
      const [a, b] = await pair();
      const big = wireOf(chunk());
      a.sendRaw(big.subarray(0, 300_000));
      await spliceStarted(server, splicing);
      a.close();
      assert.equal(await b.nextText(), S.reset);
      await b.expectNoFrame();
      b.close();
    });

    test("a sender that stalls mid-frame is closed after the frame timeout; its partner gets KEY_EXCHANGE_RESET", async () => {
      const [a, b] = await pair();
      a.sendRaw(wireOf(chunk()).subarray(0, 400_000));
      await spliceStarted(server, splicing);
      assert.equal(await a.nextText(10_000), S.disconnect("Frame timeout: incomplete frame"));
      await a.expectClosed();
      assert.equal(await b.nextText(10_000), S.reset);
      b.close();
    });

    test("a partner that leaves while a frame is on its way: the sender stays, skips the rest, and its next partner gets intact frames", async () => {
      const r = `sp-${room++}`;
      const [a, b] = await completedPair(server, { room: r });
      const big = wireOf(chunk());
      a.sendRaw(big.subarray(0, 500_000));
      await spliceStarted(server, splicing);
      b.close();
      a.sendRaw(big.subarray(500_000));
      assert.equal(await a.nextText(10_000), S.reset);
      // A new partner in the same room: a is the one waiting, so it initiates.
      const c = await joinClient(server, "C", r);
      assert.equal(await a.nextText(), S.initiate);
      await completeExchange(a, c);
      const after = [chunk(), chunk(2000), chunk()];
      for (const f of after) a.send(f);
      for (const f of after) assert.equal(sha(await c.nextFrame(20_000)), sha(f));
      a.close();
      c.close();
    });

    test("shutdown during a frame: both clients get 'Server shutting down', the relay exits cleanly", async () => {
      const env = { ...process.env, PQCHAT_RELAY_SPLICE: mode === "splice" ? "on" : "" };
      const own = await startServer(["--max-clients", "4", "--metrics", "127.0.0.1:0"], { env });
      const [a, b] = await completedPair(own, { room: "sp-shutdown" });
      a.sendRaw(wireOf(chunk()).subarray(0, 600_000));
      await spliceStarted(own, splicing);
      own.proc.kill("SIGINT");
      assert.equal(await a.nextText(10_000), S.shutdown);
      assert.equal(await b.nextText(10_000), S.shutdown);
      const status = await own.exited;
      assert.equal(status.code, 0);
      a.close();
      b.close();
    });
  });
}
