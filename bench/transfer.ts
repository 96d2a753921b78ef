// End-to-end file transfer benchmark (`npm run bench:transfer`): a spawned
// `pqchat server` on loopback and two ClientCore child processes (this same
// script in --role sender / --role receiver), so that each process's peak RSS
// (VmHWM) can be read separately. Measures MB/s from "offer accepted" (the
// sender's file_accepted) to "hash verified" (the receiver's file_received),
// for a 256 MiB random file and a 256 MiB text file generated in os.tmpdir.
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
        core.sendFile(arg, { compress: true }).then((info) => out({ event: "offered", info, t: Date.now() }), reject);
      });
      core.on("file_accepted", () => out({ event: "accepted", t: Date.now() }));
      core.on("file_complete", () => resolve());
      core.on("file_send_failed", (e) => reject(new Error(e.error)));
    } else {
      core.on("file_received", (r) => {
        out({ event: "received", t: Date.now(), hash_ok: r.hash_ok, size: r.size, path: r.path });
        // Stay until the sender got FILE_COMPLETE (it goes out on the next tick).
        setTimeout(resolve, 600);
      });
      core.on("file_receive_failed", (e) => reject(new Error(`${e.kind}: ${e.error}`)));
    }
  });
  await core.connect({ host: "127.0.0.1", port, room: "bench" });
  await done;
  out({ event: "rss", hwm: vmHWM("self") });
  await core.disconnect();
}

// ------------------------------------------------------------------ driver

type Line = Record<string, unknown> & { event: string };

function child(role: string, port: number, arg: string): { lines: Line[]; waitFor: (ev: string) => Promise<Line>; exited: Promise<number | null> } {
  const p = spawn(process.execPath, [SELF, "--role", role, String(port), arg], { stdio: ["ignore", "pipe", "inherit"] });
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

async function generate(file: string, kind: "random" | "text"): Promise<void> {
  const fh = await open(file, "w");
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
  seconds: number;
  mbps: number;
  sender: number;
  relay: number;
  receiver: number;
}

async function runOne(name: string, kind: "random" | "text", dir: string): Promise<Row> {
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
    const accepted = await tx.waitFor("accepted");
    const received = await rx.waitFor("received");
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
      seconds,
      mbps: SIZE / 1e6 / seconds,
      sender: sr["hwm"] as number,
      relay,
      receiver: rr["hwm"] as number,
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
    rows.push(await runOne("random.bin", "random", dir));
    rows.push(await runOne("text.txt", "text", dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const mb = (n: number) => (n / MiB).toFixed(0);
  const header = ["file", "size MiB", "on wire MiB", "gzip", "seconds", "MB/s", "sender peak RSS MiB", "relay peak RSS MiB", "receiver peak RSS MiB"];
  const table = [header, ...rows.map((r) => [r.name, mb(r.size), mb(r.processed), r.compressed ? "yes" : "no", r.seconds.toFixed(2), r.mbps.toFixed(1), mb(r.sender), mb(r.relay), mb(r.receiver)])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => "| " + row.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  process.stdout.write(`pqchat transfer benchmark: ${mb(SIZE)} MiB per file, through pqchat server on loopback, node ${process.version}, ${os.cpus().length} CPUs\n`);
  process.stdout.write("MB/s = 10^6 bytes of original file per second, from offer accepted to hash verified on the receiver\n\n");
  process.stdout.write(fmt(table[0]!) + "\n" + "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|\n");
  for (const row of table.slice(1)) process.stdout.write(fmt(row) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:transfer failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
