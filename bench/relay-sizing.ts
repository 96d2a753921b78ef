// `npm run bench:sizing`: what a public relay needs, for the README's sizing
// table. For 1,000, 5,000 and 10,000 idle connections (reference-style
// clients paired in the lobby, answering keepalives) on one `pqchat server
// --metrics` process: resident memory, memory per connection, CPU while idle,
// and the cost of one /metrics scrape (the gauges walk every connection).
// CPU is measured in CPU-seconds of the server process (/proc), not wall time,
// so other load on the machine disturbs it little.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { rssOf, startServer } from "../test/helpers/server-process.js";

const LOAD_JS = fileURLToPath(new URL("./server-load.js", import.meta.url));
const COUNTS = [1000, 5000, 10_000];
const IDLE_SECONDS = 10;
const SCRAPES = 20;

/** utime + stime of a process in seconds (Linux /proc, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ensureFdLimit(): void {
  const soft = Number(spawnSync("sh", ["-c", "ulimit -Sn"], { encoding: "utf8" }).stdout.trim());
  if (soft >= 12_000 || process.env["PQCHAT_BENCH_REEXEC"] === "1") return;
  const r = spawnSync("sh", ["-c", `ulimit -n 65536 && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, PQCHAT_BENCH_REEXEC: "1" },
  });
  process.exit(r.status ?? 1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

async function measure(count: number): Promise<string[]> {
  const s = await startServer(["--log-level", "warn", "--max-clients", String(count), "--metrics", "127.0.0.1:0"]);
  try {
    const url = `http://${/^metrics on (\S+)$/m.exec(s.stdout())![1]}/metrics`;
    await sleep(300);
    const base = s.rssBytes();
    const proc = spawn(process.execPath, [LOAD_JS, "idle", JSON.stringify({ port: s.port, count })], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    while (!/READY \d+/.test(out)) {
      if (proc.exitCode !== null) throw new Error("idle load exited");
      await sleep(100);
    }
    await sleep(2000);
    const cpu0 = cpuSeconds(s.pid);
    await sleep(IDLE_SECONDS * 1000);
    const idleCpu = cpuSeconds(s.pid) - cpu0;
    const rss = rssOf(s.pid);

    const scrapeCpu0 = cpuSeconds(s.pid);
    const t0 = performance.now();
    let body = "";
    for (let i = 0; i < SCRAPES; i++) body = await (await fetch(url)).text();
    const wallMs = (performance.now() - t0) / SCRAPES;
    const scrapeCpuMs = ((cpuSeconds(s.pid) - scrapeCpu0) * 1000) / SCRAPES;
    const paired = /^pqchat_relay_clients_paired (\d+)$/m.exec(body)?.[1];
    proc.stdin.end();
    await once(proc, "exit");
    return [
      count.toLocaleString("en-US"),
      mib(rss),
      `${((rss - base) / count / 1024).toFixed(1)} KiB`,
      `${((idleCpu / IDLE_SECONDS) * 100).toFixed(2)} %`,
      `${scrapeCpuMs.toFixed(1)} ms CPU, ${wallMs.toFixed(1)} ms wall (${paired} paired)`,
    ];
  } finally {
    await s.stop("SIGTERM", 10_000);
  }
}

async function main(): Promise<void> {
  ensureFdLimit();
  const rows: string[][] = [];
  for (const n of COUNTS) rows.push(await measure(n));
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`\npqchat server sizing: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${load}\n`);
  const header = ["idle connections", "server RSS", "RSS per connection", "CPU while idle", "one /metrics scrape"];
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of [header, w.map((n) => "-".repeat(n)), ...rows]) console.log("| " + r.map((c, i) => c.padEnd(w[i]!)).join(" | ") + " |");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
