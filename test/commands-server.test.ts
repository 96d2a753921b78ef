// `pqchat server`'s options and command line (src/commands/server.ts,
// server-config.ts, server-options.ts).
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, test } from "node:test";
import { UsageError } from "../src/commands/args.js";
import { DEFAULT_OPTIONS, type ServerOptions } from "../src/server/options.js";
import { parseServerArgs } from "../src/commands/server.js";
import { runCli, startServer } from "./helpers/server-process.js";

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
      "--max-wait", "2h", "--workers", "3", "--redis", "redis://10.0.0.5:6379", "--cluster-port", "7000",
      "--advertise", "node-a.internal", "--cluster-secret-file", "/etc/pqchat/secret", "--cluster-lease", "5s",
    ]);
    assert.deepEqual(o, {
      host: "0.0.0.0", port: 0, maxClients: 2000, keepaliveIntervalMs: 200, maxFrame: 2 * 1048576,
      logLevel: "debug", joinWaitMs: 100, exchangeTimeoutMs: 300_000, frameTimeoutMs: 1500,
      drainTimeoutMs: 0, metrics: { host: "::1", port: 9464 }, logFormat: "json",
      maxPerAddress: 0, connectRate: 0.5, connectBurst: 3, maxWaitingPerAddress: 2, maxWaitMs: 7_200_000, workers: 3,
      redis: "redis://10.0.0.5:6379", clusterPort: 7000, advertise: "node-a.internal", clusterSecretFile: "/etc/pqchat/secret", clusterLeaseMs: 5000,
    });
    assert.equal(opts(["--workers", "auto"]).workers, availableParallelism());
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
      ["--workers", "0"], ["--workers", "many"], ["--redis", "localhost:6379"], ["--cluster-lease", "100ms"], ["--advertise", " "],
    ]) {
      assert.throws(() => parseServerArgs(argv), UsageError, argv.join(" "));
    }
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
