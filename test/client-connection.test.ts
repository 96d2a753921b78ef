// The client's TCP link to a relay (src/client/connection.ts) against a real
// loopback server: length-prefixed frames in both directions whatever way the
// bytes are cut, a length prefix over the limit refused before anything is
// allocated (WIRE-NOTES §15.4) with the connection dropped, the reason each
// kind of close reports, named read pauses, and the silence limit (liveness.ts):
// a silent relay is dropped, but not while we ourselves stopped reading.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { after, before, test } from "node:test";
import { Connection, type ConnectionHandlers } from "../src/client/connection.js";
import { FrameDecoder, encodeFrame, type FrameTooLargeError } from "../src/protocol/index.js";

/** A loopback server that hands each accepted socket to the test. */
let server: net.Server;
let port = 0;
const accepted: net.Socket[] = [];
const waiting: ((s: net.Socket) => void)[] = [];

before(async () => {
  server = net.createServer((s) => {
    const w = waiting.shift();
    if (w) w(s);
    else accepted.push(s);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function nextSocket(): Promise<net.Socket> {
  const s = accepted.shift();
  if (s) return Promise.resolve(s);
  return new Promise((r) => waiting.push(r));
}

/** Records everything the connection reports. */
class Recorder implements ConnectionHandlers {
  frames: string[] = [];
  tooLarge: FrameTooLargeError[] = [];
  closed: string[] = [];
  drains = 0;
  private frameWaiters: (() => void)[] = [];
  readonly closedOnce: Promise<string>;
  private resolveClosed!: (r: string) => void;

  constructor() {
    this.closedOnce = new Promise((r) => (this.resolveClosed = r));
  }

  onFrame(payload: Uint8Array): void {
    this.frames.push(Buffer.from(payload).toString("utf8"));
    for (const w of this.frameWaiters.splice(0)) w();
  }
  onFrameTooLarge(err: FrameTooLargeError): void {
    this.tooLarge.push(err);
  }
  onClose(reason: string): void {
    this.closed.push(reason);
    this.resolveClosed(reason);
  }
  onDrain(): void {
    this.drains++;
  }

  async waitFrames(n: number): Promise<void> {
    while (this.frames.length < n) await new Promise<void>((r) => this.frameWaiters.push(r));
  }
}

async function open(maxFrame?: number, silenceLimitMs?: number): Promise<{ conn: Connection; peer: net.Socket; rec: Recorder }> {
  const rec = new Recorder();
  const peerP = nextSocket();
  const conn = await Connection.open("127.0.0.1", port, rec, { maxFrame, silenceLimitMs });
  const peer = await peerP;
  return { conn, peer, rec };
}

test("frames cut at every byte boundary arrive whole and in order", async () => {
  const { conn, peer, rec } = await open();
  const payloads = ["one", "", "{\"type\": 1}", "x".repeat(70_000)];
  const bytes = Buffer.concat(payloads.map((p) => Buffer.from(encodeFrame(Buffer.from(p)))));
  // Header split from its payload, payloads split in the middle: each piece written on its own.
  const cuts = [1, 3, 4, 6, 9, 20, 21, 40_000, bytes.length];
  let from = 0;
  for (const to of cuts) {
    peer.write(bytes.subarray(from, to));
    from = to;
    // Let each piece arrive as its own read.
    await new Promise((r) => setImmediate(r));
  }
  await rec.waitFrames(payloads.length);
  assert.deepEqual(rec.frames, payloads);
  conn.destroy("test over");
  await conn.closedPromise;
  peer.destroy();
});

test("write sends one length-prefixed frame per call; false once the connection is gone", async () => {
  const { conn, peer, rec } = await open();
  const decoder = new FrameDecoder({ maxFrame: 1 << 20, copy: true });
  const got: string[] = [];
  const gotTwo = new Promise<void>((resolve) => {
    peer.on("data", (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) got.push(Buffer.from(f).toString("utf8"));
      if (got.length >= 2) resolve();
    });
  });
  assert.equal(conn.write(Buffer.from("hello")), true);
  assert.equal(conn.write(Buffer.from("")), true);
  await gotTwo;
  assert.deepEqual(got, ["hello", ""]);
  conn.destroy("done");
  await conn.closedPromise;
  assert.equal(conn.closed, true);
  assert.equal(conn.write(Buffer.from("late")), false);
  assert.deepEqual(rec.closed, ["done"]);
  peer.destroy();
});

test("a length prefix over the limit is refused before reading the payload, and the connection is dropped", async () => {
  const { conn, peer, rec } = await open(1024);
  peer.write(encodeFrame(Buffer.from("fine")));
  await rec.waitFrames(1);
  // Announces 1 MiB against a 1 KiB limit; no payload follows.
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1024 * 1024);
  peer.write(header);
  const reason = await rec.closedOnce;
  assert.deepEqual(rec.frames, ["fine"]);
  assert.equal(rec.tooLarge.length, 1);
  assert.equal(rec.tooLarge[0]!.length, 1024 * 1024);
  assert.equal(rec.tooLarge[0]!.max, 1024);
  assert.equal(reason, "The server sent a frame larger than allowed.");
  assert.equal(conn.closed, true);
  peer.destroy();
});

test("close reasons: the server's end, a reset, our own close (the first reason wins), one onClose each", async () => {
  {
    const { rec, peer } = await open();
    peer.end();
    assert.equal(await rec.closedOnce, "The server closed the connection.");
    assert.equal(rec.closed.length, 1);
  }
  {
    const { rec, peer } = await open();
    peer.resetAndDestroy();
    assert.match(await rec.closedOnce, /^Connection error \(ECONNRESET\)\.$|^The server closed the connection\.$/);
    assert.equal(rec.closed.length, 1);
  }
  {
    const { conn, rec, peer } = await open();
    const peerSaw = new Promise<void>((r) => peer.on("end", () => r()));
    conn.close("Leaving.");
    conn.close("Second reason, ignored.");
    await peerSaw; // our close flushes and ends the stream
    peer.end();
    assert.equal(await rec.closedOnce, "Leaving.");
    assert.equal(rec.closed.length, 1);
  }
});

test("reading pauses while any named reason holds it and resumes when the last one is lifted", async () => {
  const { conn, peer, rec } = await open();
  conn.pauseReading("disk");
  conn.pauseReading("view:json");
  assert.equal(conn.readingPaused, true);
  assert.equal(conn.pauses, 1, "a second reason does not start a new pause");
  peer.write(encodeFrame(Buffer.from("while paused")));
  // Round trip through the socket: the frame has reached our side, yet is not read.
  const echoed = new Promise<void>((r) => peer.once("data", () => r()));
  conn.write(Buffer.from("ping"));
  await echoed;
  conn.resumeReading("disk");
  assert.equal(conn.readingPaused, true);
  conn.resumeReading("view:json");
  assert.equal(conn.readingPaused, false);
  await rec.waitFrames(1);
  assert.deepEqual(rec.frames, ["while paused"]);
  conn.pauseReading("disk");
  assert.equal(conn.pauses, 2, "a new pause after a full resume counts again");
  conn.destroy("done");
  await conn.closedPromise;
  peer.destroy();
});

test("a refused connection rejects with the socket error", async () => {
  const probe = net.createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const free = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(Connection.open("127.0.0.1", free, new Recorder()), (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED");
});

test("silence: a relay that sends nothing is closed with a reason that says so", async () => {
  const { conn, peer, rec } = await open(undefined, 200);
  const reason = await rec.closedOnce;
  assert.equal(reason, "The server stopped responding (nothing received for 0.2 s).");
  assert.equal(conn.closed, true);
  peer.destroy();
});

test("silence: while reading is paused the clock stops; after the resume it runs again", async () => {
  const { conn, peer, rec } = await open(undefined, 200);
  conn.pauseReading("view:json");
  // Five limits' worth of our own pause: a watch that counted it would have closed.
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(rec.closed, []);
  assert.equal(conn.closed, false);
  // Bytes the relay sent meanwhile are heard on the resume; then it is silent again.
  peer.write(encodeFrame(Buffer.from("sent during the pause")));
  conn.resumeReading("view:json");
  await rec.waitFrames(1);
  assert.match(await rec.closedOnce, /^The server stopped responding/);
  peer.destroy();
});
