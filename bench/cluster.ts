// `npm run bench:cluster`: a relay cluster of two `pqchat server --redis`
// nodes on one real Redis, driven by bench/server-load.ts in its own process.
// Loopback only, about a minute. Prints:
//   1. 1,000 pairs relaying 1 KiB frames, half of them split across the two
//      nodes: frames/s, and one-way latency p50/p99 for same-node and
//      cross-node pairs, saturated and at a fixed offered rate;
//   2. one pair streaming 1 MiB frames, both clients on one node, then split
//      across the nodes: each node's CPU-seconds per GiB, so the extra CPU of a
//      cross-node hop is the difference.
// On one 2-core machine all processes share the cores: the figures show the
// relative cost of the hop, not what separate machines would reach.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis } from "../test/helpers/redis-server.js";
import { startServer, type ServerHandle } from "../test/helpers/server-process.js";

const LOAD_JS = fileURLToPath(new URL("./server-load.js", import.meta.url));
const PAIRS = 1_000;

async function load(mode: string, cfg: Record<string, unknown>, timeoutMs = 180_000): Promise<Record<string, unknown>> {
  const proc = spawn(process.execPath, [LOAD_JS, mode, JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [code, signal] = (await once(proc, "exit")) as [number | null, string | null];
  clearTimeout(timer);
  const m = /^RESULT (.*)$/m.exec(out);
  if (code !== 0 || !m) throw new Error(`load ${mode} failed (${signal ?? `exit ${code}`})`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}

interface Line {
  name: string;
  value: string;
  note: string;
}

function printTable(title: string, rows: Line[]): void {
  const w = (k: keyof Line) => Math.max(...rows.map((r) => r[k].length));
  process.stdout.write(`\n${title}\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(w("name"))}  ${r.value.padStart(w("value"))}  ${r.note}\n`);
}

const fmt = (n: number | undefined, digits = 0): string =>
  n !== undefined && Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-bench-cluster-"));
  const secret = path.join(dir, "secret");
  await writeFile(secret, randomBytes(32).toString("hex"));
  const redis = await startRedis();
  const node = (): Promise<ServerHandle> =>
    startServer(["--redis", redis.url, "--cluster-port", "0", "--cluster-secret-file", secret, "--max-clients", String(4 * PAIRS), "--log-level", "warn"]);
  const [a, b] = [await node(), await node()];
  try {
    process.stderr.write(`\n== ${PAIRS} pairs, 1 KiB frames, half across nodes ==\n`);
    const pairs = await load("pairs", { port: a.port, port2: b.port, pairs: PAIRS, frameBytes: 1024, window: 4, warmupSeconds: 1, seconds: 5, ratePerClient: 5, rateSeconds: 3 });
    const sat = pairs["saturated"] as Record<string, number> & { cross: Record<string, number> };
    const rate = pairs["atRate"] as Record<string, number> & { cross: Record<string, number> };
    process.stderr.write("\n== 1 MiB stream: one node, then across nodes ==\n");
    const stream = (cross: boolean): Promise<Record<string, number>> =>
      load("stream", { mode: "scp", port: a.port, relayPid: a.pid, ...(cross ? { port2: b.port, relayPid2: b.pid } : {}), frameBytes: 1 << 20, warmupSeconds: 1, seconds: 4, paceMBps: 0 }) as Promise<Record<string, number>>;
    const same = await stream(false);
    const across = await stream(true);
    printTable(`bench:cluster — 2 nodes, one Redis, loopback, ${os.cpus().length} cores shared by every process`, [
      { name: `${PAIRS} pairs saturated (4 in flight): frames/s`, value: fmt(sat["framesPerSec"]), note: `${fmt(sat["payloadMBps"], 1)} MB/s of payload` },
      { name: "  same-node pairs, one-way latency", value: `p50 ${fmt(sat["p50ms"], 2)} ms`, note: `p99 ${fmt(sat["p99ms"], 2)} ms (${fmt(sat["samples"])} samples)` },
      { name: "  cross-node pairs, one-way latency", value: `p50 ${fmt(sat.cross["p50ms"], 2)} ms`, note: `p99 ${fmt(sat.cross["p99ms"], 2)} ms (${fmt(sat.cross["samples"])} samples)` },
      { name: `${PAIRS} pairs at ${fmt(rate["offeredPerSec"])} frames/s offered`, value: `${fmt(rate["framesPerSec"])} frames/s`, note: "" },
      { name: "  same-node pairs, one-way latency", value: `p50 ${fmt(rate["p50ms"], 2)} ms`, note: `p99 ${fmt(rate["p99ms"], 2)} ms` },
      { name: "  cross-node pairs, one-way latency", value: `p50 ${fmt(rate.cross["p50ms"], 2)} ms`, note: `p99 ${fmt(rate.cross["p99ms"], 2)} ms` },
      { name: "1 MiB stream, both clients on one node", value: `${fmt(same["MBps"])} MB/s`, note: `node: ${fmt(same["cpuSecondsPerGiB"], 2)} CPU-s/GiB` },
      {
        name: "1 MiB stream, across the two nodes",
        value: `${fmt(across["MBps"])} MB/s`,
        note: `owner ${fmt(across["cpuSecondsPerGiB"], 2)} + carrier ${fmt(across["relay2CpuSecondsPerGiB"], 2)} CPU-s/GiB`,
      },
      { name: "  extra CPU of the cross-node hop", value: `${fmt(across["cpuSecondsPerGiB"]! + across["relay2CpuSecondsPerGiB"]! - same["cpuSecondsPerGiB"]!, 2)} CPU-s/GiB`, note: "both nodes' CPU across, minus one node's alone" },
    ]);
  } finally {
    await a.stop("SIGTERM", 10_000);
    await b.stop("SIGTERM", 10_000);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
