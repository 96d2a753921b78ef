// Operator features of `pqchat server` against real processes: the metrics
// and health endpoint (--metrics), the graceful drain on SIGTERM
// (--drain-timeout) and --log-format json.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Reason } from "../src/server/relay.js";
import { runCli, startServer, type ServerHandle } from "./helpers/server-process.js";
import { completedPair, joinClient, S } from "./helpers/scenarios.js";

/** The metrics address from the "metrics on HOST:PORT" line (printed before the listening line). */
function metricsUrl(server: ServerHandle, path: string): string {
  const m = /^metrics on (\S+)$/m.exec(server.stdout());
  assert.ok(m, `no metrics line in ${JSON.stringify(server.stdout())}`);
  return `http://${m[1]}${path}`;
}

async function get(server: ServerHandle, path: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const r = await fetch(metricsUrl(server, path), init);
  return { status: r.status, body: await r.text() };
}

/** `name{labels} value` samples of a Prometheus text exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const metric = (s: Map<string, number>, name: string): number => {
  const v = s.get(name);
  assert.ok(v !== undefined, `metric ${name} missing`);
  return v;
};

describe("metrics and health endpoint", () => {
  test("counters move with a real chat; gauges, refusals, process metrics; no address or room in the output", async () => {
    const server = await startServer(["--max-clients", "4", "--metrics", "127.0.0.1:0"]);
    try {
      assert.match(server.stdout(), /^metrics on 127\.0\.0\.1:\d+\nlistening on /);
      assert.deepEqual(await get(server, "/healthz"), { status: 200, body: "ok\n" });
      assert.deepEqual(await get(server, "/readyz"), { status: 200, body: "ready\n" });

      const [a, b] = await completedPair(server, { room: "secret-room-42" });
      const before = samples((await get(server, "/metrics")).body);
      assert.equal(metric(before, "pqchat_relay_frames_relayed_total"), 2); // INIT and RESPONSE

      a.send("m".repeat(1000));
      assert.equal((await b.nextFrame()).length, 1000);
      b.send("ok");
      assert.equal((await a.nextFrame()).length, 2);
      const w = await joinClient(server, "W", "other-room-7");
      const x = await joinClient(server, "X"); // lobby
      // Full: a newcomer for the lobby (x is its partner-to-be) takes w's place...
      const y = await server.connect("Y");
      assert.equal(await y.nextText(), S.version);
      assert.equal(await w.nextText(), S.disconnect(Reason.evicted));
      assert.equal(await x.nextText(), S.initiate);
      // ...and with two pairs and nobody waiting, the next one is refused.
      const full = await server.connect("full");
      assert.equal(await full.nextText(), S.full);
      await full.expectClosed();

      const res = await fetch(metricsUrl(server, "/metrics"));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const after = samples(text);
      assert.equal(metric(after, "pqchat_relay_frames_relayed_total") - metric(before, "pqchat_relay_frames_relayed_total"), 2);
      assert.equal(metric(after, "pqchat_relay_bytes_relayed_total") - metric(before, "pqchat_relay_bytes_relayed_total"), 1004 + 6);
      assert.equal(metric(after, "pqchat_relay_connections"), 4);
      assert.equal(metric(after, "pqchat_relay_clients_paired"), 4);
      assert.equal(metric(after, "pqchat_relay_clients_waiting"), 0);
      assert.equal(metric(after, "pqchat_relay_clients_pending"), 0);
      assert.equal(metric(after, "pqchat_relay_rooms"), 2);
      assert.equal(metric(after, "pqchat_relay_pairs_formed_total"), 2);
      assert.equal(metric(after, "pqchat_relay_connections_accepted_total"), 5);
      assert.equal(metric(after, 'pqchat_relay_refusals_total{reason="server_full"}'), 1);
      assert.equal(metric(after, 'pqchat_relay_evictions_total{reason="make_room"}'), 1);
      assert.equal(metric(after, 'pqchat_relay_evictions_total{reason="max_wait"}'), 0);
      assert.equal(metric(after, 'pqchat_relay_refusals_total{reason="per_address"}'), 0);
      assert.equal(metric(after, 'pqchat_relay_refusals_total{reason="draining"}'), 0);
      assert.equal(metric(after, 'pqchat_relay_disconnects_total{reason="keepalive_timeout"}'), 0);
      assert.equal(metric(after, "pqchat_relay_draining"), 0);
      assert.ok(metric(after, "process_cpu_seconds_total") > 0);
      assert.ok(metric(after, "process_resident_memory_bytes") > 10 * 1024 * 1024);
      assert.match(text, /^# TYPE pqchat_relay_evictions_total counter$/m);
      assert.match(text, /^# TYPE pqchat_relay_limiter_drops_total counter$/m);

      // Nothing about users: no address, no room code, no message bytes; labels only from a fixed vocabulary.
      assert.doesNotMatch(text, /127\.0\.0\.1|::ffff|secret-room|other-room|mmmm/);
      for (const line of text.split("\n")) {
        if (!line.startsWith("pqchat_")) continue;
        const labels = /\{([^}]*)\}/.exec(line)?.[1];
        if (labels !== undefined) assert.match(labels, /^(reason|limiter)="[a-z_]+"$/, line);
      }

      assert.equal((await get(server, "/nope")).status, 404);
      assert.equal((await get(server, "/metrics", { method: "POST" })).status, 405);
      for (const c of [a, b, w, x, y]) c.close();
    } finally {
      await server.stop();
    }
  });

  test("--metrics PORT alone listens on loopback; a busy metrics port is one line and exit 1, not a half-started relay", async () => {
    const server = await startServer(["--metrics", "0"]);
    try {
      assert.match(server.stdout(), /^metrics on 127\.0\.0\.1:\d+$/m);
      assert.equal((await get(server, "/healthz")).status, 200);
      const busy = /^metrics on 127\.0\.0\.1:(\d+)$/m.exec(server.stdout())![1]!;
      const r = await runCli(["server", "--port", "0", "--metrics", busy], 20_000);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`^pqchat: --metrics 127\\.0\\.0\\.1:${busy}: .*EADDRINUSE[^\n]*\n$`));
    } finally {
      await server.stop();
    }
  });
});

describe("graceful drain", () => {
  test("SIGTERM: /readyz 503 at once, waiting and pending clients told, no new connections, sessions keep relaying; the last one leaving ends the process", async () => {
    const server = await startServer(["--max-clients", "10", "--metrics", "127.0.0.1:0", "--drain-timeout", "120s"]);
    const [a, b] = await completedPair(server, { room: "stay" });
    const waiting = await joinClient(server, "waiting", "alone");
    const pending = await server.connect("pending");
    const port = server.port;

    server.proc.kill("SIGTERM");
    assert.equal(await waiting.nextText(), S.shutdown);
    await waiting.expectClosed();
    assert.equal(await pending.nextText(), S.shutdown);
    await pending.expectClosed();
    assert.deepEqual(await get(server, "/readyz"), { status: 503, body: "draining\n" });
    assert.deepEqual(await get(server, "/healthz"), { status: 200, body: "ok\n" });
    assert.equal(metric(samples((await get(server, "/metrics")).body), "pqchat_relay_draining"), 1);
    await assert.rejects(server.connect("late"), /ECONNREFUSED/);

    // The session is untouched: both ways, several frames.
    for (let i = 0; i < 3; i++) {
      a.send(`{"type": 10, "from": "a", "i": ${i}}`);
      assert.equal(await b.nextText(), `{"type": 10, "from": "a", "i": ${i}}`);
      b.send(`{"type": 10, "from": "b", "i": ${i}}`);
      assert.equal(await a.nextText(), `{"type": 10, "from": "b", "i": ${i}}`);
    }
    assert.equal(server.proc.exitCode, null);

    // a leaves: nobody new will come, so b is told and closed, and the drain is over.
    a.send('{"type": 50}');
    assert.equal(await b.nextText(), S.shutdown);
    await b.expectClosed();
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.match(server.stderr(), /SIGTERM: draining; 1 sessions may go on for up to 120s/);
    assert.equal(port, server.port);
  });

  test("--drain-timeout: sessions still running when it expires get the reference's 'Server shutting down'; exit 0", async () => {
    const server = await startServer(["--max-clients", "4", "--drain-timeout", "2s"]);
    const [a, b] = await completedPair(server, { room: "until-timeout" });
    a.answerKeepalives();
    b.answerKeepalives();
    server.proc.kill("SIGTERM");
    // Nothing else ends the session: the timeout does.
    assert.equal(await a.nextText(30_000), S.shutdown);
    assert.equal(await b.nextText(30_000), S.shutdown);
    await a.expectClosed();
    await b.expectClosed();
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test("a second signal ends at once", async () => {
    const server = await startServer(["--max-clients", "4", "--metrics", "127.0.0.1:0", "--drain-timeout", "600s"]);
    const [a, b] = await completedPair(server, { room: "impatient" });
    server.proc.kill("SIGTERM");
    // The drain has begun once /readyz says so.
    for (;;) {
      if ((await get(server, "/readyz")).status === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    server.proc.kill("SIGINT");
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    await a.expectClosed(10_000, true);
    await b.expectClosed(10_000, true);
    assert.match(server.stderr(), /SIGINT again: stopping now/);
  });
});

describe("--log-format json", () => {
  test("one JSON object per line; no address, room or content at info; addresses only at debug", async () => {
    const server = await startServer(["--max-clients", "4", "--log-format", "json"]);
    const [a, b] = await completedPair(server, { room: "log-room-9" });
    a.send('{"type": 10, "secret": "do not log me"}');
    await b.nextText();
    a.close();
    assert.equal(await b.nextText(), S.reset);
    assert.deepEqual(await server.stop("SIGTERM"), { code: 0, signal: null });
    const lines = server.stderr().trim().split("\n");
    assert.ok(lines.length >= 3, server.stderr());
    for (const l of lines) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      assert.deepEqual(Object.keys(rec), ["time", "level", "msg"]);
      assert.ok(["error", "warn", "info"].includes(rec["level"] as string), l);
      assert.ok(!Number.isNaN(Date.parse(rec["time"] as string)), l);
    }
    assert.doesNotMatch(server.stderr(), /127\.0\.0\.1|log-room|secret|do not log/);

    const debug = await startServer(["--log-format", "json", "--log-level", "debug"]);
    const x = await joinClient(debug, "X", "log-room-9");
    x.close();
    await debug.stop();
    const recs = debug.stderr().trim().split("\n").map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.ok(recs.some((r) => r.level === "debug" && /127\.0\.0\.1/.test(r.msg)));
    assert.ok(recs.every((r) => r.level === "debug" || !/127\.0\.0\.1/.test(r.msg)));
    assert.doesNotMatch(debug.stderr(), /log-room/);
  });
});
