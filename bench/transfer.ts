// End-to-end file transfer benchmark (`npm run bench:transfer`): a spawned
// `pqchat server` on loopback and two ClientCore child processes (this same
// script in --role sender / --role receiver), so that each process's peak RSS
// (VmHWM) can be read separately. Measures MB/s from "offer accepted" (the
// sender's file_accepted) to "hash verified" (the receiver's file_received),
// for a 256 MiB random file and a 256 MiB text file generated in os.tmpdir
// (plus "log.txt", log-like lines that compress ~5x, with BENCH_FILES=random,text,log).
// The preparation (hash + gzip, before the offer) is reported separately, and
// "end to end" adds it. BENCH_NODE_ARGS passes flags to the two client
// processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ClientCore } from "../src/client/core.js";
import { startServer } from "../test/helpers/server-process.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env["BENCH_MIB"] ?? 256) * MiB;
const SELF = fileURLToPath(import.meta.url);

function vmHWM(pid: number | "self"): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU seconds (user + system, all threads) a process used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function out(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// ------------------------------------------------------------------ child roles

async function runRole(role: string, port: number, arg: string): Promise<void> {
  const core = new ClientCore({ downloadDir: role === "receiver" ? arg : os.tmpdir(), autoVerify: true, acceptFiles: true });
  core.on("error", (e) => process.stderr.write(`[${role}] error ${e.kind}: ${e.text}\n`));
  const done = new Promise<void>((resolve, reject) => {
    core.on("disconnected", (d) => reject(new Error(`[${role}] disconnected: ${d.reason}`)));
    if (role === "sender") {
      core.on("peer_verified", () => {
        const t0 = Date.now();
        core.sendFile(arg, { compress: true }).then((info) => out({ event: "offered", info, t: Date.now(), prepare: (Date.now() - t0) / 1000 }), reject);
      });
      core.on("file_accepted", () => out({ event: "accepted", t: Date.now(), cpu: cpuSeconds(process.pid) }));
      core.on("file_complete", () => resolve());
      core.on("file_send_failed", (e) => reject(new Error(e.error)));
    } else {
      core.on("file_accepted", () => out({ event: "accepted", t: Date.now(), cpu: cpuSeconds(process.pid) }));
      core.on("file_received", (r) => {
        out({ event: "received", t: Date.now(), hash_ok: r.hash_ok, size: r.size, path: r.path, cpu: cpuSeconds(process.pid) });
        // Stay until the sender got FILE_COMPLETE (it goes out on the next tick).
        setTimeout(resolve, 600);
      });
      core.on("file_receive_failed", (e) => reject(new Error(`${e.kind}: ${e.error}`)));
    }
  });
  await core.connect({ host: "127.0.0.1", port, room: "bench" });
  await done;
  out({ event: "rss", hwm: vmHWM("self"), cpu: cpuSeconds(process.pid) });
  await core.disconnect();
}

// ------------------------------------------------------------------ driver

type Line = Record<string, unknown> & { event: string };

function child(role: string, port: number, arg: string): { lines: Line[]; waitFor: (ev: string) => Promise<Line>; exited: Promise<number | null> } {
  const extra = (process.env["BENCH_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "");
  const p = spawn(process.execPath, [...extra, SELF, "--role", role, String(port), arg], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: Line[] = [];
  const waiters: { ev: string; resolve: (l: Line) => void }[] = [];
  createInterface({ input: p.stdout }).on("line", (s) => {
    const l = JSON.parse(s) as Line;
    lines.push(l);
    for (const w of waiters.filter((x) => x.ev === l.event)) w.resolve(l);
  });
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  return {
    lines,
    exited,
    waitFor: (ev) => {
      const hit = lines.find((l) => l.event === ev);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        waiters.push({ ev, resolve });
        void exited.then((code) => reject(new Error(`${role} exited (${code}) before "${ev}"`)));
      });
    },
  };
}

type Kind = "random" | "text" | "log";

async function generate(file: string, kind: Kind): Promise<void> {
  const fh = await open(file, "w");
  if (kind === "log") {
    // Log-like lines with varying numbers: compresses ~5x at level 6, like real text.
    let i = 0;
    for (let off = 0; off < SIZE; ) {
      const lines: string[] = [];
      while (lines.length < 12000) {
        i++;
        lines.push(`2024-05-${String(1 + (i % 28)).padStart(2, "0")} ${String(i % 86400).padStart(5, "0")} worker-${i % 17} INFO request ${(i * 7919) % 1000003} took ${(i * 31) % 997} ms status=${i % 13 === 0 ? 500 : 200}\n`);
      }
      const b = Buffer.from(lines.join("")).subarray(0, SIZE - off);
      await fh.write(b);
      off += b.length;
    }
    await fh.close();
    return;
  }
  const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor 0123456789\n";
  const textBlock = Buffer.from(line.repeat(Math.ceil(MiB / line.length))).subarray(0, MiB);
  for (let off = 0; off < SIZE; off += MiB) {
    const n = Math.min(MiB, SIZE - off);
    let b: Buffer;
    if (kind === "random") b = randomBytes(n);
    else {
      b = Buffer.from(textBlock.subarray(0, n));
      b.write(String(off), 0); // a little variety per block
    }
    await fh.write(b);
  }
  await fh.close();
}

interface Row {
  name: string;
  size: number;
  processed: number;
  compressed: boolean;
  prepare: number;
  seconds: number;
  mibps: number;
  sender: number;
  relay: number;
  receiver: number;
  cpuSender: number;
  cpuRelay: number;
  cpuReceiver: number;
}

async function runOne(name: string, kind: Kind, dir: string): Promise<Row> {
  const file = path.join(dir, name);
  await generate(file, kind);
  const dl = path.join(dir, `dl-${kind}`);
  await rm(dl, { recursive: true, force: true });
  await mkdir(dl);
  const server = await startServer();
  try {
    const rx = child("receiver", server.port, dl);
    // Let the receiver register first (it becomes the initiator); order does not matter otherwise.
    await new Promise((r) => setTimeout(r, 200));
    const tx = child("sender", server.port, file);
    const offered = await tx.waitFor("offered");
    const relayCpu0 = cpuSeconds(server.pid);
    const accepted = await tx.waitFor("accepted");
    const rxAccepted = await rx.waitFor("accepted");
    const received = await rx.waitFor("received");
    const relayCpu = cpuSeconds(server.pid) - relayCpu0;
    const [sr, rr] = await Promise.all([tx.waitFor("rss"), rx.waitFor("rss")]);
    const relay = vmHWM(server.pid);
    await Promise.all([tx.exited, rx.exited]);
    if (received["hash_ok"] !== true || received["size"] !== SIZE) throw new Error("hash check failed");
    const seconds = ((received["t"] as number) - (accepted["t"] as number)) / 1000;
    const info = offered["info"] as { processed_size: number; compressed: boolean };
    await rm(received["path"] as string, { force: true });
    return {
      name,
      size: SIZE,
      processed: info.processed_size,
      compressed: info.compressed,
      prepare: offered["prepare"] as number,
      seconds,
      mibps: SIZE / MiB / seconds,
      sender: sr["hwm"] as number,
      relay,
      receiver: rr["hwm"] as number,
      // CPU seconds during the transfer (sender: accepted → its exit, so slightly more than the transfer).
      cpuSender: (sr["cpu"] as number) - (accepted["cpu"] as number),
      cpuRelay: relayCpu,
      cpuReceiver: (received["cpu"] as number) - (rxAccepted["cpu"] as number),
    };
  } finally {
    await server.stop();
    await rm(file, { force: true });
    await rm(dl, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--role") {
    await runRole(argv[1]!, Number(argv[2]), argv[3]!);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-bench-"));
  const rows: Row[] = [];
  try {
    const files = (process.env["BENCH_FILES"] ?? "random,text").split(",");
    const names: Record<string, string> = { random: "random.bin", text: "text.txt", log: "log.txt" };
    for (const f of files) {
      if (!(f in names)) throw new Error(`unknown BENCH_FILES entry ${f}`);
      rows.push(await runOne(names[f]!, f as Kind, dir));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const mb = (n: number) => (n / MiB).toFixed(0);
  // The end-to-end throughput targets of the first performance round, beside the Python reference's figures on this machine.
  const goals: Record<string, { target: string; reference: string }> = {
    "random.bin": { target: ">= 250", reference: "65" },
    "text.txt": { target: ">= 70", reference: "14" },
  };
  const header = [
    "file",
    "size MiB",
    "on wire MiB",
    "gzip",
    "prepare s",
    "transfer s",
    "transfer MiB/s",
    "end to end MiB/s",
    "target",
    "Python reference",
    "sender peak RSS MiB",
    "relay peak RSS MiB",
    "receiver peak RSS MiB",
  ];
  const table = [
    header,
    ...rows.map((r) => [
      r.name,
      mb(r.size),
      mb(r.processed),
      r.compressed ? "yes" : "no",
      r.prepare.toFixed(2),
      r.seconds.toFixed(2),
      r.mibps.toFixed(1),
      (r.size / MiB / (r.prepare + r.seconds)).toFixed(1),
      goals[r.name]?.target ?? "",
      goals[r.name]?.reference ?? "",
      mb(r.sender),
      mb(r.relay),
      mb(r.receiver),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => "| " + row.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  process.stdout.write(`pqchat transfer benchmark: ${mb(SIZE)} MiB per file, through pqchat server on loopback, node ${process.version}, ${os.cpus().length} CPUs\n`);
  process.stdout.write("transfer MiB/s = MiB of original file per second, from offer accepted to hash verified on the receiver;\n");
  process.stdout.write("end to end also counts the sender's preparation (one read: hash + gzip) before the offer\n\n");
  process.stdout.write(fmt(table[0]!) + "\n" + "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|\n");
  for (const row of table.slice(1)) process.stdout.write(fmt(row) + "\n");
  process.stdout.write("\nCPU seconds used during the transfer (all threads; from accept to hash verified, the sender's until it exits):\n");
  for (const r of rows) {
    process.stdout.write(
      `  ${r.name}: sender ${r.cpuSender.toFixed(2)} s, relay ${r.cpuRelay.toFixed(2)} s, receiver ${r.cpuReceiver.toFixed(2)} s` +
        ` — ${((r.cpuSender + r.cpuRelay + r.cpuReceiver) / r.seconds).toFixed(2)} cores busy on average over ${os.cpus().length}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:transfer failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
