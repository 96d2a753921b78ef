// The load generators of bench:server's 1,000-pair rows, small, against a real
// `pqchat server` process: pairs formed through rooms, frames flowing both ways
// with latency samples, and the relay's own frame counter moving by at least
// what the generator received. The C generator (bench/native/pairs-load.c)
// runs wherever the build made it, and must have been built where the build
// requires native code (CI sets PQCHAT_REQUIRE_NATIVE); the JavaScript one
// always runs.
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import { cGeneratorBuilt, runPairsLoad, type PairsConfig, type PairsGenerator } from "../bench/pairs-generators.js";
import { startServer } from "./helpers/server-process.js";
import { metric } from "./helpers/server-metrics.js";

const PAIRS = 20;
const small = (port: number, relayPid: number): PairsConfig => ({
  port,
  relayPid,
  pairs: PAIRS,
  frameBytes: 1024,
  window: 4,
  warmupSeconds: 0.3,
  seconds: 1,
  ratePerClient: 5,
  rateSeconds: 0.5,
});

test("the C pairs load generator is built where the build requires native code", (t) => {
  const c = cGeneratorBuilt();
  if (!c.built) t.diagnostic(`C load generator not built here: ${c.reason}`);
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(c.built, true, `pairs-load.c did not build: ${c.reason}`);
});

const generators: PairsGenerator[] = cGeneratorBuilt().built ? ["c", "js"] : ["js"];

for (const gen of generators) {
  test(`${gen} pairs load generator: ${PAIRS} pairs through a real relay, frames both ways, counted by the relay`, async () => {
    const server = await startServer(["--max-clients", String(2 * PAIRS), "--log-level", "warn", "--metrics", "127.0.0.1:0"]);
    try {
      const before = await metric(server, "pqchat_relay_frames_relayed_total");
      const r = await runPairsLoad(gen, small(server.port, server.pid), 120_000);
      const relayed = (await metric(server, "pqchat_relay_frames_relayed_total")) - before;
      const sat = r["saturated"] as Record<string, number>;
      const rate = r["atRate"] as Record<string, number>;
      const aToB = r["framesAtoB"] as number;
      const bToA = r["framesBtoA"] as number;
      assert.equal(r["generator"], gen);
      assert.equal(r["pairs"], PAIRS);
      assert.ok(aToB > 0 && bToA > 0, `frames both ways: ${aToB} A to B, ${bToA} B to A`);
      assert.ok(sat["framesPerSec"]! > 0 && sat["samples"]! > 0, "the saturated window received frames and timed them");
      assert.ok(Number.isFinite(sat["p50ms"]) && sat["p99ms"]! >= sat["p50ms"]!, "latency percentiles");
      assert.ok(rate["samples"]! > 0 && Number.isFinite(rate["p99ms"]), "the fixed-rate phase received frames and timed them");
      assert.ok(sat["relayCpuMicrosPerFrame"]! > 0, "the relay's CPU per frame was measured");
      assert.ok(sat["relayUserCpuMicrosPerFrame"]! >= 0 && sat["relayUserCpuMicrosPerFrame"]! <= sat["relayCpuMicrosPerFrame"]!, "its user-space share");
      assert.ok(sat["relayReadsPerFrame"]! > 0, "the relay's reads per frame were measured");
      // The relay also forwarded each pair's INIT and RESPONSE.
      assert.ok(relayed >= aToB + bToA, `the relay counted ${relayed} frames, the generator received ${aToB + bToA}`);
    } finally {
      await server.stop();
    }
  });
}

test(`${generators[0]} pairs load generator fails with an error where no relay listens`, async () => {
  // A port that was free a moment ago: nothing accepts there.
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const port = (srv.address() as AddressInfo).port;
  srv.close();
  await once(srv, "close");
  await assert.rejects(runPairsLoad(generators[0]!, small(port, 0), 60_000), /pairs load generator failed/);
});
