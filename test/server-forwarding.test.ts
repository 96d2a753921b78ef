// The relay's forwarding path through a real server process and real sockets,
// once for each way the server can read and write: into reused buffers (the
// shared read buffer, and large frames straight into pooled frame buffers)
// with every frame copied and written through Node's stream (the default),
// the same with small frames sent straight from the read buffer
// (PQCHAT_RELAY_DIRECT_WRITES=on, direct-writes.ts), and, as where Node lacks
// user-buffer reads, into a fresh chunk per read (PQCHAT_RELAY_READS=stream).
// Frames split at every byte boundary, many frames in one write, the largest
// allowed frame, an oversized prefix, a receiver that stops reading, and the
// bytes compared by hash.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { directWritesBuilt } from "../src/server/direct-writes.js";
import { POOLED_FRAME_MIN } from "../src/server/frame-reader.js";
import type { RawClient } from "./helpers/raw-client.js";
import { completedPair, fakeInit, joinClient, joinFrame, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";
import { metric } from "./helpers/server-metrics.js";

const wireOf = (payload: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
};
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
/** Opaque (binary) payload: first byte 0, like a FILE_CHUNK counter; the rest random. */
const binary = (n: number): Buffer => {
  const b = randomBytes(n);
  if (n > 0) b[0] = 0;
  return b;
};
const MAX_FRAME = 16 * 1024 * 1024;

for (const mode of ["reused buffers", "reused buffers, direct writes", "fresh chunks"] as const) {
  describe(`forwarding (${mode})`, () => {
    let server: ServerHandle;
    let room = 0;
    const pair = (): Promise<[RawClient, RawClient]> => completedPair(server, { room: `fw-${room++}` });

    before(async () => {
      const env = { ...process.env };
      if (mode === "fresh chunks") env["PQCHAT_RELAY_READS"] = "stream";
      else delete env["PQCHAT_RELAY_READS"];
      if (mode === "reused buffers, direct writes") env["PQCHAT_RELAY_DIRECT_WRITES"] = "on";
      else delete env["PQCHAT_RELAY_DIRECT_WRITES"];
      server = await startServer(["--max-clients", "20", "--max-frame", String(MAX_FRAME), "--log-level", "debug", "--metrics", "127.0.0.1:0"], { env });
    });
    after(async () => {
      await server.stop();
    });

    test("the server reads and writes the way this suite is about", async () => {
      const [a, b] = await pair();
      const before = await metric(server, "pqchat_relay_frames_direct_total");
      for (let k = 0; k < 20; k++) {
        const f = binary(100 + k);
        a.sendRaw(wireOf(f));
        assert.equal(sha(await b.nextFrame()), sha(f));
      }
      const direct = (await metric(server, "pqchat_relay_frames_direct_total")) - before;
      a.close();
      b.close();
      const expected = mode === "fresh chunks" ? "(reads as fresh chunks)" : "(reads into reused buffers)";
      assert.ok(server.stderr().includes(expected), `log says ${expected}`);
      // A frame alone in its read, to a receiver with nothing queued, goes out directly.
      if (mode === "reused buffers, direct writes" && (directWritesBuilt || process.env["PQCHAT_REQUIRE_NATIVE"])) assert.equal(direct, 20);
      else assert.equal(direct, 0);
    });

    test("a JOIN that forms the pair and a frame for the new partner in the same read: the frame reaches the partner", async () => {
      const r = `fw-${room++}`;
      const a = await joinClient(server, "A", r);
      const b = await server.connect("B");
      const init = fakeInit();
      // One write: B's JOIN pairs it with A, then its KEY_EXCHANGE_INIT is relayed to A within the same read.
      b.sendRaw(Buffer.concat([wireOf(Buffer.from(joinFrame(r))), wireOf(Buffer.from(init))]));
      assert.equal(await b.nextText(), S.version);
      assert.equal(await a.nextText(), S.initiate);
      assert.equal(await a.nextText(), init);
      a.close();
      b.close();
    });

    test("frames split at every byte boundary (prefix and body) arrive unchanged", async () => {
      const [a, b] = await pair();
      const sentinel = wireOf(Buffer.from('{"type": 10, "sentinel": 1}'));
      const frames = [Buffer.from('{"type": 10, "counter": 7, "ciphertext": "QUJD"}'), binary(61), Buffer.alloc(0)];
      const tail = Buffer.concat(frames.map(wireOf));
      for (let cut = 1; cut < tail.length; cut++) {
        // The sentinel arriving proves the server read the first part before the rest was sent.
        a.sendRaw(Buffer.concat([sentinel, tail.subarray(0, cut)]));
        assert.deepEqual(await b.nextFrame(), sentinel.subarray(4), `cut ${cut}: sentinel`);
        a.sendRaw(tail.subarray(cut));
        for (const [i, f] of frames.entries()) assert.deepEqual(await b.nextFrame(), f, `cut ${cut}: frame ${i}`);
      }
      a.close();
      b.close();
    });

    test("a large frame split anywhere, in two or three writes, arrives unchanged", async () => {
      const [a, b] = await pair();
      const sentinel = wireOf(Buffer.from('{"type": 10, "sentinel": 2}'));
      const big = binary(3 * POOLED_FRAME_MIN + 12_345);
      const after = binary(100);
      const tail = Buffer.concat([wireOf(big), wireOf(after)]);
      const w = wireOf(big).length;
      const cuts = [1, 2, 3, 4, 5, 100, POOLED_FRAME_MIN - 1, POOLED_FRAME_MIN, POOLED_FRAME_MIN + 4, w >> 1, w - 5, w - 1, w, w + 1, w + 3, w + 50];
      for (const cut of cuts) {
        for (const second of [0, 7, 70_000]) {
          const cut2 = Math.min(tail.length, cut + second);
          a.sendRaw(Buffer.concat([sentinel, tail.subarray(0, cut)]));
          assert.deepEqual(await b.nextFrame(), sentinel.subarray(4), `cut ${cut}: sentinel`);
          if (cut2 > cut) a.sendRaw(tail.subarray(cut, cut2));
          a.sendRaw(tail.subarray(cut2));
          const got = await b.nextFrame(10_000);
          assert.equal(sha(got), sha(big), `cut ${cut}/${cut2}: large frame`);
          assert.deepEqual(await b.nextFrame(), after, `cut ${cut}/${cut2}: next frame`);
        }
      }
      a.close();
      b.close();
    });

    test("many frames in one write, of every size class, both ways at once, hash-identical", async () => {
      const [a, b] = await pair();
      const sizes = [0, 1, 3, 4, 5, 1000, 4096, 65_531, 65_532, 65_533, 70_000, 1_048_576, 10, 200_000, 2];
      const make = (): Buffer[] => [...sizes, ...Array.from({ length: 300 }, (_, i) => (i * 37) % 1500)].map(binary);
      const ab = make();
      const ba = make();
      a.sendRaw(Buffer.concat(ab.map(wireOf)));
      b.sendRaw(Buffer.concat(ba.map(wireOf)));
      const receive = async (c: RawClient, n: number): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(sha(await c.nextFrame(10_000)));
        return out;
      };
      const [atB, atA] = await Promise.all([receive(b, ab.length), receive(a, ba.length)]);
      assert.deepEqual(atB, ab.map(sha));
      assert.deepEqual(atA, ba.map(sha));
      a.close();
      b.close();
    });

    test("the largest allowed frame (16 MiB) is relayed; one byte more is refused", async () => {
      const [a, b] = await pair();
      const max = binary(MAX_FRAME);
      a.send(max);
      assert.equal(sha(await b.nextFrame(30_000)), sha(max));
      b.send(max);
      assert.equal(sha(await a.nextFrame(30_000)), sha(max));

      const head = Buffer.alloc(4);
      head.writeUInt32BE(MAX_FRAME + 1, 0);
      a.sendRaw(Buffer.concat([head, Buffer.alloc(1000)]));
      assert.equal(await a.nextText(), S.disconnect(`Frame too large: the limit is ${MAX_FRAME} bytes`));
      await a.expectClosed();
      assert.equal(await b.nextText(), S.reset);
      b.close();
    });

    test("a receiver that stops reading pauses the sender; relay memory stays bounded; nothing is lost", async (t) => {
      const [sender, receiver] = await pair();
      receiver.pauseReading();
      const rssBefore = server.rssBytes();
      const COUNT = 96;
      const frames = Array.from({ length: COUNT }, () => binary(1024 * 1024));
      const s = sender.socket;
      let i = 0;
      // Keep writing while the kernel takes it; stop once the sender's own buffer backs up.
      const flushed = (): number => s.bytesWritten - s.writableLength;
      for (; i < COUNT && s.writableLength < 8 * 1024 * 1024; i++) s.write(wireOf(frames[i]!));
      let last = -1;
      let peakRss = rssBefore;
      for (let k = 0; k < 100; k++) {
        await new Promise((r) => setTimeout(r, 100));
        peakRss = Math.max(peakRss, server.rssBytes());
        for (; i < COUNT && s.writableLength < 8 * 1024 * 1024; i++) s.write(wireOf(frames[i]!));
        const now = flushed();
        if (now === last && s.writableLength > 0) break; // stalled: the relay stopped reading from the sender
        last = now;
      }
      const stalledAt = flushed();
      t.diagnostic(`sender stalled after ${(stalledAt / 1048576).toFixed(1)} MiB; relay RSS +${((peakRss - rssBefore) / 1048576).toFixed(1)} MiB`);
      assert.ok(s.writableLength > 0, "the sender's writes stopped draining");
      assert.ok(stalledAt < (COUNT * 1048580) / 2, `the sender stalled only after ${stalledAt} bytes`);
      assert.ok(peakRss - rssBefore < 64 * 1024 * 1024, `relay RSS grew by ${((peakRss - rssBefore) / 1048576).toFixed(1)} MiB`);

      receiver.resumeReading();
      const pump = (async () => {
        for (; i < COUNT; i++) if (!s.write(wireOf(frames[i]!))) await once(s, "drain");
      })();
      for (let k = 0; k < COUNT; k++) {
        const got = await receiver.nextFrame(20_000);
        assert.equal(sha(got), sha(frames[k]!), `frame ${k}`);
        if (k % 8 === 0) peakRss = Math.max(peakRss, server.rssBytes());
      }
      await pump;
      assert.ok(peakRss - rssBefore < 96 * 1024 * 1024, `relay RSS grew by ${((peakRss - rssBefore) / 1048576).toFixed(1)} MiB`);
      sender.close();
      receiver.close();
    });

    test("small frames queued behind a receiver that stops reading arrive intact (no read buffer reused while queued)", async () => {
      const [sender, receiver] = await pair();
      receiver.pauseReading();
      // More than the kernel buffers on both sides hold, so the relay has to
      // queue writes to the receiver while it keeps reading the sender. How much
      // that is depends on how far the kernel grew them (tcp_rmem allows 32 MiB
      // on some machines): start with ~16 MiB and add ~2.7 MiB until the
      // sender's own queue stops draining.
      const frames: Buffer[] = [];
      const s = sender.socket;
      const send = (count: number): void => {
        const batch = Array.from({ length: count }, (_, i) => binary(1000 + ((frames.length + i) % 700)));
        frames.push(...batch);
        for (let k = 0; k < batch.length; k += 500) s.write(Buffer.concat(batch.slice(k, k + 500).map(wireOf)));
      };
      /** Waits until the relay stops taking the sender's bytes; true if bytes are left queued at the sender. */
      const stalled = async (): Promise<boolean> => {
        let last = -1;
        for (let k = 0; k < 100; k++) {
          await new Promise((r) => setTimeout(r, 100));
          const now = s.bytesWritten - s.writableLength;
          if (now === last) break;
          last = now;
        }
        return s.writableLength > 0;
      };
      send(12_000);
      for (let round = 0; round < 32 && !(await stalled()); round++) send(2_000);
      assert.ok(s.writableLength > 0, "the relay applied backpressure to the sender");
      receiver.resumeReading();
      for (let k = 0; k < frames.length; k++) assert.equal(sha(await receiver.nextFrame(20_000)), sha(frames[k]!), `frame ${k}`);
      sender.close();
      receiver.close();
    });

    test("a sender that leaves in the middle of a large frame: the partner gets KEY_EXCHANGE_RESET, not a torn frame", async () => {
      const [a, b] = await pair();
      const big = binary(2 * POOLED_FRAME_MIN);
      a.sendRaw(wireOf(big).subarray(0, POOLED_FRAME_MIN + 10));
      a.close();
      assert.equal(await b.nextText(), S.reset);
      await b.expectNoFrame();
      b.close();
    });
  });
}
