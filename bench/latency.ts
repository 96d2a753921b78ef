// `npm run bench:latency`: how long a small file takes from the sender's `file`
// command to the receiver's `file_received`, between two `pqchat chat --json`
// processes through one `pqchat server`, on an idle session (dummies running).
// Each run waits a random 1.1–1.6 s first (idle: no file in the last second),
// so the runs land at every phase of the 250 ms send tick (WIRE-NOTES §12.5);
// the median of the runs is the figure.
// Also shows where the time went: until the receiver saw the offer (the
// FILE_METADATA wait), until the sender saw FILE_ACCEPT, and the rest (chunk,
// hash, move). Not a test.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN_JS, startServer } from "../test/helpers/server-process.js";
import { median, printTable, type Row } from "./util.js";

const RUNS = Number(process.env["LATENCY_RUNS"] ?? 15);
const FILE_BYTES = 100_000;
/** Idle before each run: longer than the one-second window in which pacing.ts lets one frame skip the tick. */
const IDLE_MS = 1100;

type Ev = Record<string, unknown> & { event: string; at: number };

/** One `pqchat chat --json` process: its events, each stamped with this process's clock on arrival. */
class Chat {
  readonly proc: ChildProcess;
  private readonly events: Ev[] = [];
  private waiters: { pred: (e: Ev) => boolean; resolve: (e: Ev) => void }[] = [];

  constructor(args: string[], cwd: string) {
    this.proc = spawn(process.execPath, [MAIN_JS, "chat", "--json", ...args], { cwd, stdio: ["pipe", "pipe", "inherit"] });
    let buf = "";
    this.proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const e = { ...(JSON.parse(buf.slice(0, i)) as Record<string, unknown>), at: performance.now() } as Ev;
        buf = buf.slice(i + 1);
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
      }
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.proc.stdin!.write(JSON.stringify(cmd) + "\n");
  }

  next(pred: (e: Ev) => boolean, what: string, timeoutMs = 30000): Promise<Ev> {
    const hit = this.events.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  stop(): void {
    this.proc.kill("SIGTERM");
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pqchat-latency-"));
  const server = await startServer();
  const addr = `127.0.0.1:${server.port}`;
  const common = ["--accept-files", "yes", "--download-dir", dir];
  const tx = new Chat([addr, ...common], dir);
  const rx = new Chat([addr, ...common], dir);
  try {
    for (const c of [tx, rx]) c.send({ cmd: "auto_verify", value: true });
    // Both answered (our KEY_VERIFICATION sent) and both heard the peer's: the session is idle from here.
    for (const c of [tx, rx]) {
      await c.next((e) => e.event === "verified", "verified");
      await c.next((e) => e.event === "peer_verified", "peer_verified");
    }
    await sleep(1500);
    const total: number[] = [];
    const prepare: number[] = [];
    const offer: number[] = [];
    const accept: number[] = [];
    const rest: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const path = join(dir, `small-${run}.bin`);
      writeFileSync(path, randomBytes(FILE_BYTES));
      await sleep(IDLE_MS + Math.random() * 500);
      const t0 = performance.now();
      tx.send({ cmd: "file", path });
      const offered = await tx.next((e) => e.event === "file_offered" && e.path === path, "file_offered");
      const id = offered["transfer_id"];
      const seen = await rx.next((e) => e.event === "file_offer" && e["transfer_id"] === id, "file_offer");
      const accepted = await tx.next((e) => e.event === "file_accepted" && e["transfer_id"] === id, "file_accepted");
      const received = await rx.next((e) => e.event === "file_received" && e["transfer_id"] === id, "file_received");
      await tx.next((e) => e.event === "file_complete" && e["transfer_id"] === id, "file_complete");
      total.push(received.at - t0);
      prepare.push(offered.at - t0);
      offer.push(seen.at - offered.at);
      accept.push(accepted.at - seen.at);
      rest.push(received.at - accepted.at);
    }
    const rows: Row[] = [
      { name: "100 KB file: `file` to `file_received`", value: ms(median(total)), target: "no 250 ms tick that is not needed", reference: `before this change ~470 ms; min ${ms(Math.min(...total))}, max ${ms(Math.max(...total))}` },
      { name: "  of which `file` to file_offered", value: ms(median(prepare)), reference: "hash and gzip the file, queue the offer" },
      { name: "  of which file_offered to the peer's file_offer", value: ms(median(offer)), reference: "the FILE_METADATA wait" },
      { name: "  of which file_offer to file_accepted", value: ms(median(accept)), reference: "the FILE_ACCEPT wait" },
      { name: "  of which file_accepted to file_received", value: ms(median(rest)), reference: "chunk, hash check, move" },
    ];
    printTable(`small-file latency, idle session, ${RUNS} runs (medians)`, rows);
  } finally {
    tx.stop();
    rx.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
