// The resumable-transfer acceptance scenario with real processes, shared by
// test/json-api-resume.test.ts (a small file) and bench/resume.ts (256 MiB):
// two `pqchat chat --json` clients verify each other through `pqchat server`
// (then auto_verify is "ask" again), one sends a random file, the relay is
// killed with SIGKILL at `killAt` of the file and started again on the same
// port `restartDelayMs` later; the receiver must end with file_received,
// hash_ok and resumed_from, without any command after the restart when the
// clients reconnect by themselves.
import { randomBytes } from "node:crypto";
import { open, rm } from "node:fs/promises";
import * as path from "node:path";
import { JsonChat, quitAll, tempDir, type Ev } from "./cli-proc.js";
import { startServer, type ServerHandle } from "./server-process.js";

export interface ResumeScenario {
  sizeBytes: number;
  /** Fraction of the file the receiver holds when the relay is killed. */
  killAt: number;
  restartDelayMs: number;
  /** From the restart, how long file_received may take. */
  deadlineMs: number;
  /** Extra flags of both chat processes. */
  chatArgs?: string[];
}

export interface ResumeFigures {
  /** Bytes the receiver held when the relay was killed (its last progress). */
  killedAtBytes: number;
  /** Milliseconds from the relay's restart to file_received. */
  afterRestartMs: number;
  /** Milliseconds from the offer to file_received. */
  totalMs: number;
  received: Ev;
  /** Commands sent to either client after the restart (0 when the clients reconnect by themselves). */
  commandsAfterRestart: number;
}

/** A file of random bytes, written in 8 MiB pieces. */
async function randomFile(dir: string, size: number): Promise<string> {
  const file = path.join(dir, "payload.bin");
  const fh = await open(file, "w");
  try {
    for (let off = 0; off < size; off += 8 << 20) await fh.write(randomBytes(Math.min(8 << 20, size - off)));
  } finally {
    await fh.close();
  }
  return file;
}

/** Whether the chat process reconnects by itself: it announced `reconnecting` after the disconnect (the builds that have it do at once). */
function reconnectsByItself(c: JsonChat, from: number): boolean {
  return c.items.slice(from).some((e) => e.event === "reconnecting");
}

export async function runResumeScenario(s: ResumeScenario): Promise<ResumeFigures> {
  const dirA = tempDir("pqchat-resume-a-");
  const dirB = tempDir("pqchat-resume-b-");
  const servers: ServerHandle[] = [];
  const chats: JsonChat[] = [];
  try {
    const first = await startServer();
    servers.push(first);
    const room = `acc${randomBytes(6).toString("hex")}`;
    const file = await randomFile(dirA.path, s.sizeBytes);
    const args = [`127.0.0.1:${first.port}`, "--room", room, ...(s.chatArgs ?? [])];
    const a = new JsonChat(args, { cwd: dirA.path });
    chats.push(a);
    await a.next("waiting_for_peer");
    const b = new JsonChat([...args, "--download-dir", dirB.path], { cwd: dirB.path });
    chats.push(b);
    await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    await Promise.all([a.ok("auto_verify", { value: true }), b.ok("auto_verify", { value: true })]);
    await Promise.all([a.next("verified", { verified: true }), b.next("verified", { verified: true })]);
    await Promise.all([a.ok("auto_verify", { value: "ask" }), b.ok("auto_verify", { value: "ask" })]);
    await b.ok("accept_files", { value: true });

    const t0 = performance.now();
    const offered = await a.ok("file", { path: file });
    const id = String(offered["transfer_id"]);
    const killAt = Math.floor(s.sizeBytes * s.killAt);
    const progress = await b.waitFor((e) => e.event === "file_progress" && e["transfer_id"] === id && Number(e["bytes"]) >= killAt, "progress to the kill point", {
      timeoutMs: 600_000,
    });
    const [ma, mb] = [a.mark(), b.mark()];
    await first.stop("SIGKILL");
    await Promise.all([a.next("disconnected", {}, { from: ma }), b.next("disconnected", {}, { from: mb })]);
    await new Promise((r) => setTimeout(r, s.restartDelayMs));
    const second = await startServer(["--port", String(first.port)]);
    servers.push(second);
    const tRestart = performance.now();
    let commandsAfterRestart = 0;
    if (!reconnectsByItself(a, ma)) {
      // This build has no automatic reconnect: the same process connects again by command.
      commandsAfterRestart = 2;
      await a.ok("connect", { host: "127.0.0.1", port: second.port });
      await a.next("waiting_for_peer", {}, { from: ma });
      await b.ok("connect", { host: "127.0.0.1", port: second.port });
    }
    const received = await b.waitFor((e) => e.event === "file_received" && e["transfer_id"] === id, "file_received after the restart", {
      from: mb,
      timeoutMs: s.deadlineMs,
    });
    const t1 = performance.now();
    await rm(String(received["path"]), { force: true });
    return { killedAtBytes: Number(progress["bytes"]), afterRestartMs: t1 - tRestart, totalMs: t1 - t0, received, commandsAfterRestart };
  } finally {
    await quitAll(...chats);
    await Promise.all(servers.map((x) => x.stop("SIGKILL")));
    dirA.remove();
    dirB.remove();
  }
}
