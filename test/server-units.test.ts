// Unit tests of the server's pure parts (options, frame classification, the
// zero-copy frame reader) and of the `pqchat server` command line.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UsageError } from "../src/commands/args.js";
import { FrameTooLargeError } from "../src/protocol/frame.js";
import { classify, pythonIntOf } from "../src/server/classify.js";
import { FrameReader, POOLED_FRAME_MIN } from "../src/server/frame-reader.js";
import { DEFAULT_OPTIONS, type ServerOptions } from "../src/server/options.js";
import { parseServerArgs } from "../src/commands/server.js";
import { parseJoin } from "../src/server/pairing.js";
import { runCli, startServer } from "./helpers/server-process.js";

const wireOf = (payload: Buffer | string): Buffer => {
  const p = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(p.length, 0);
  return Buffer.concat([h, p]);
};
const opts = (argv: string[]): ServerOptions => {
  const r = parseServerArgs(argv);
  assert.equal(r.help, false);
  return (r as { options: ServerOptions }).options;
};

describe("options", () => {
  test("defaults", () => {
    assert.deepEqual(opts([]), DEFAULT_OPTIONS);
    assert.equal(DEFAULT_OPTIONS.maxClients, 2);
    assert.equal(DEFAULT_OPTIONS.port, 16384);
    assert.equal(DEFAULT_OPTIONS.host, "127.0.0.1");
    assert.ok(DEFAULT_OPTIONS.joinWaitMs <= 250);
  });

  test("every flag, with a separate value or =value", () => {
    const o = opts([
      "--host", "0.0.0.0", "--port=0", "--max-clients", "2000", "--keepalive-interval", "200ms",
      "--max-frame", "2MiB", "--log-level=debug", "--join-wait", "100ms", "--exchange-timeout", "5m",
      "--frame-timeout", "1.5", "--drain-timeout", "0", "--metrics", "[::1]:9464", "--log-format", "json",
      "--max-per-address", "0", "--connect-rate=0.5", "--connect-burst", "3", "--max-waiting-per-address", "2",
      "--max-wait", "2h",
    ]);
    assert.deepEqual(o, {
      host: "0.0.0.0", port: 0, maxClients: 2000, keepaliveIntervalMs: 200, maxFrame: 2 * 1048576,
      logLevel: "debug", joinWaitMs: 100, exchangeTimeoutMs: 300_000, frameTimeoutMs: 1500,
      drainTimeoutMs: 0, metrics: { host: "::1", port: 9464 }, logFormat: "json",
      maxPerAddress: 0, connectRate: 0.5, connectBurst: 3, maxWaitingPerAddress: 2, maxWaitMs: 7_200_000,
    });
    assert.deepEqual(parseServerArgs(["--port", "1", "--help"]), { help: true });
    assert.deepEqual(parseServerArgs(["-h"]), { help: true });
  });

  test("bad values are usage errors", () => {
    for (const argv of [
      ["--max-clients", "3"], ["--max-clients", "0"], ["--port", "70000"], ["--port"], ["--bogus"],
      ["--join-wait", "300ms"], ["--keepalive-interval", "soon"], ["--log-level", "chatty"],
      ["--max-frame", "100"], ["--frame-timeout", "0"], ["--host", " "], ["positional"],
      ["--drain-timeout", "-1s"], ["--metrics", "host"], ["--metrics", "h:70000"], ["--log-format", "xml"],
      ["--config"], ["--keepalive-interval", "600h"],
      ["--max-per-address", "-1"], ["--connect-rate", "fast"], ["--connect-rate", "-2"], ["--connect-burst", "0"],
      ["--max-waiting-per-address", "x"], ["--max-wait", "0"], ["--max-wait", "600h"],
    ]) {
      assert.throws(() => parseServerArgs(argv), UsageError, argv.join(" "));
    }
  });
});

describe("classify", () => {
  const kind = (p: Buffer | string): string => {
    const c = classify(wireOf(p));
    return c.kind === "typed" ? `typed:${c.type}` : c.kind;
  };

  test("pyjson frames take the fast path; everything that could fool a Python client is caught", () => {
    assert.equal(kind('{"type": 10, "counter": 1}'), "typed:10");
    assert.equal(kind('{"type": 42}'), "typed:42");
    assert.equal(kind('{"type":42}'), "typed:42");
    assert.equal(kind(' {"type": 42}'), "typed:42");
    assert.equal(kind('{"type": 10, "type": 42}'), "typed:42");
    assert.equal(kind('{"type": 10, "x": "\\"type\\": 1"}'), "typed:10");
    assert.equal(kind('{"type": 10, "t\\u0079pe": 2}'), "typed:2");
    assert.equal(kind('{"type": "44"}'), "typed:44");
    assert.equal(kind('{"type": " +4_4 "}'), "typed:44");
    assert.equal(kind('{"type": true}'), "typed:1");
    assert.equal(kind('{"type": false}'), "typed:0");
    assert.equal(kind('{"type": 43.9}'), "typed:43");
    assert.equal(kind('{"type": -3}'), "typed:-3");
    assert.equal(kind('{"type": 1e1}'), "typed:10");
    assert.equal(kind('{"type": "\u0664\u0662"}'), "malformed"); // Arabic-Indic digits: int() takes them
    assert.equal(kind('{"type": 42, "timestamp": NaN}'), "typed:42"); // fast path: still a control type
    assert.equal(kind('{"type":42, "timestamp": NaN}'), "malformed"); // full parse: JS rejects NaN
    assert.equal(kind('{"type": 10, "counter": 1'), "typed:10"); // invalid JSON, but Python can't parse it either
    assert.equal(kind("{}"), "malformed");
    assert.equal(kind('{"type": null}'), "malformed");
    assert.equal(kind('{"type": [42]}'), "malformed");
    assert.equal(kind('{"type": "abc"}'), "malformed");
    assert.equal(kind("[42]"), "malformed");
    assert.equal(kind("NaN"), "malformed");
    assert.equal(kind("null"), "malformed");
    assert.equal(kind('"x"'), "malformed");
  });

  test("binary, non-UTF-8 and non-JSON text are opaque", () => {
    assert.equal(kind(Buffer.from([0, 0, 0, 1, 0x7b, 0x22])), "opaque");
    assert.equal(kind(Buffer.from([0x7b, 0xff])), "opaque"); // "{" + invalid UTF-8
    assert.equal(kind(Buffer.from([0x5b, 0xc3, 0x28])), "opaque");
    assert.equal(kind(""), "opaque");
    assert.equal(kind("   "), "opaque");
    assert.equal(kind("hello"), "opaque");
    assert.equal(kind(Buffer.from("\ufeff{\"type\": 42}")), "opaque"); // BOM: Python rejects it too
  });

  test("classification of a frame reassembled from any two reads", () => {
    const w = wireOf('  {"type": 62, "verified": true}');
    for (let cut = 1; cut < w.length; cut++) {
      const got: Buffer[] = [];
      const reader = new FrameReader(1000, (frame) => (got.push(Buffer.from(frame)), true));
      reader.push(w.subarray(0, cut), false);
      reader.push(w.subarray(cut), false);
      assert.equal(got.length, 1, `cut at ${cut}`);
      assert.deepEqual(classify(got[0]!), { kind: "typed", type: 62 }, `cut at ${cut}`);
    }
  });

  test("pythonIntOf", () => {
    assert.equal(pythonIntOf(7), 7);
    assert.equal(pythonIntOf("1_000"), 1000);
    assert.equal(pythonIntOf("1__0"), null);
    assert.equal(pythonIntOf("_1"), null);
    assert.equal(pythonIntOf(undefined), null);
    assert.equal(pythonIntOf({}), null);
  });

  test("JOIN payloads", () => {
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": "abc-DEF_123"}')), "abc-DEF_123");
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": "ok", "future": 1}')), "ok");
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": ""}')), null);
    assert.equal(parseJoin(Buffer.from('{"type": "70", "room": "ok"}')), null);
    assert.equal(parseJoin(Buffer.from('{"type": 70, "room": 5}')), null);
    assert.equal(parseJoin(Buffer.from(`{"type": 70, "room": "${"x".repeat(65)}"}`)), null);
  });
});

describe("FrameReader", () => {
  /**
   * A reader fed the way the relay feeds it: each chunk is copied into one
   * scratch buffer that is overwritten after every push (the shared read
   * buffer), unless `stable`. Frames are kept with keep(), as forwarding does.
   */
  const collect = (max: number, stable = false) => {
    const frames: Buffer[] = [];
    const pooled: Buffer[] = [];
    const reader: FrameReader = new FrameReader(max, (frame) => {
      frames.push(reader.keep(frame));
      if (reader.keptPool !== null) pooled.push(reader.keptPool);
      return true;
    });
    const scratch = Buffer.alloc(64 * 1024);
    const feed = (part: Buffer): void => {
      if (stable) return reader.push(Buffer.from(part), true);
      for (let off = 0; off < part.length; off += scratch.length) {
        const n = part.copy(scratch, 0, off);
        reader.push(scratch.subarray(0, n), false);
        scratch.fill(0xee); // the next read overwrites it
      }
    };
    return { frames, pooled, reader, feed };
  };

  test("every split of a stream yields the same frames, as their original wire bytes", () => {
    const payloads = [Buffer.from("a"), Buffer.alloc(0), Buffer.from('{"type": 10}'), Buffer.alloc(300, 7)];
    const stream = Buffer.concat(payloads.map(wireOf));
    for (const stable of [false, true]) {
      for (let cut1 = 0; cut1 <= stream.length; cut1 += 3) {
        for (const cut2 of [cut1, Math.min(stream.length, cut1 + 1), Math.min(stream.length, cut1 + 150)]) {
          const { frames, reader, feed } = collect(1000, stable);
          for (const part of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
            if (part.length > 0) feed(part);
          }
          assert.equal(frames.length, payloads.length, `cuts ${cut1}/${cut2}`);
          frames.forEach((w, i) => assert.deepEqual(w, wireOf(payloads[i]!)));
          assert.equal(reader.pending, false);
        }
      }
    }
  });

  test("byte-by-byte feeding, pending flag, and the size limit checked before allocating", () => {
    const { frames, reader, feed } = collect(16);
    const w = wireOf("0123456789abcdef");
    for (let i = 0; i < w.length; i++) {
      feed(w.subarray(i, i + 1));
      assert.equal(reader.pending, i < w.length - 1);
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], w);
    assert.equal(reader.completed, 1);
    assert.throws(() => feed(wireOf("0123456789abcdefg")), FrameTooLargeError);
    const { reader: r2 } = collect(16);
    r2.push(Buffer.from([0xff, 0xff]), false);
    assert.throws(() => r2.push(Buffer.from([0xff, 0xff]), false), FrameTooLargeError);
  });

  test("a large frame is read straight into its own pooled buffer once its length is known", () => {
    const { frames, pooled, reader, feed } = collect(4 << 20);
    const payload = Buffer.alloc(POOLED_FRAME_MIN * 3 + 5);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
    const w = Buffer.concat([wireOf(payload), wireOf("next")]);
    const shared = Buffer.alloc(1000);
    feed(w.subarray(0, 1000)); // prefix and the first bytes arrive in a shared-buffer read
    let off = 1000;
    for (let step = 1; off < w.length; step = step * 3 + 1) {
      const target = reader.readTarget(shared);
      if (target === shared) {
        feed(w.subarray(off)); // the frame is complete: the rest goes through the shared buffer
        break;
      }
      assert.ok(target.length <= wireOf(payload).length - off, "a direct read never goes past the frame");
      const n = w.copy(target, 0, off, off + Math.min(step, target.length));
      reader.fill(n);
      off += n;
    }
    assert.equal(frames.length, 2);
    assert.ok(frames[0]!.equals(wireOf(payload)));
    assert.deepEqual(frames[1], wireOf("next"));
    assert.equal(pooled.length, 1, "the large frame came from the pool and was handed on");
    assert.equal(reader.pending, false);
  });

  test("a handler returning false stops the rest of the chunk", () => {
    let n = 0;
    const reader = new FrameReader(100, () => ++n < 2);
    reader.push(Buffer.concat([wireOf("a"), wireOf("b"), wireOf("c")]), true);
    assert.equal(n, 2);
  });
});

describe("command line", () => {
  test("--help prints the usage and exits 0", async () => {
    const r = await runCli(["server", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: pqchat server/);
    assert.match(r.stdout, /--max-clients N/);
    assert.match(r.stdout, /--join-wait TIME/);
    for (const flag of ["--max-per-address N", "--connect-rate N", "--connect-burst N", "--max-waiting-per-address N", "--max-wait TIME"]) {
      assert.match(r.stdout, new RegExp(flag));
    }
  });

  test("usage errors: one line 'pqchat: ...' on stderr, exit 2", async () => {
    const r = await runCli(["server", "--max-clients", "3"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^pqchat: --max-clients: must be an even number[^\n]*\n$/);
  });

  test("--port 0: the listening line names the chosen port; a busy port is an error, exit 1", async () => {
    const s = await startServer();
    try {
      assert.ok(s.port > 0);
      assert.equal(s.stdout(), `listening on 127.0.0.1:${s.port}\n`);
      const busy = await runCli(["server", "--port", String(s.port)]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /^pqchat: .*EADDRINUSE/);
    } finally {
      await s.stop();
    }
  });
});
