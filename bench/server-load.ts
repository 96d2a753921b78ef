// Load generator for bench/server.ts, run as its own process so that it does
// not share an event loop (or a CPU) with the server it measures. Loopback only.
//
//   node dist/bench/server-load.js pairs  '{"port": P, "pairs": 1000, ...}'
//   node dist/bench/server-load.js stream '{"port": P, "mode": "scp" | "raw" | "direct", ...}'
//   node dist/bench/server-load.js idle   '{"port": P, "count": 10000}'
//   node dist/bench/server-load.js bare-relay
//
// Results are printed as one line `RESULT <json>` on stdout; progress goes to stderr.
import { once } from "node:events";
import { connect as netConnect, createServer, type AddressInfo, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { encryptedLike, frameOf, INIT, joinFrame, KEEPALIVE_RESPONSE, RESPONSE } from "./load-frames.js";
import type { PairsConfig } from "./pairs-generators.js";

const HOST = "127.0.0.1";
/** The read buffer the generator's clients share (see LoadClient.open). */
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);
const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => void process.stderr.write(`[load] ${msg}\n`);

/**
 * A client socket with a minimal frame decoder. Payloads are handed to
 * `onFrame` as views (copies only for frames that straddle reads).
 */
class LoadClient {
  /** Setup phase: frames are queued for next(); the measurement phases replace this handler. */
  onFrame: (payload: Buffer) => void = (p) => this.enqueue(p);
  private readonly queue: Buffer[] = [];
  private waiter: ((f: Buffer) => void) | null = null;
  private rest: Buffer | null = null;
  /** Send timestamps of frames in flight towards the partner (FIFO: TCP keeps order). */
  sent: number[] = [];
  sentHead = 0;
  partner: LoadClient | null = null;
  /** Its pair's two clients reached different relay nodes (bench:cluster). */
  cross = false;
  /** The pair's first client (it joined first): frames it receives went from B to A. */
  isA = false;
  /**
   * Set for a stream's receiver once it is paired: every byte read is only
   * counted, never parsed or copied (so the generator is not what limits the
   * stream through the relay).
   */
  onBytes: ((n: number) => void) | null = null;

  constructor(readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on("error", () => {});
  }

  /**
   * Connects a client whose socket reads into `readBuffer` (net's onread)
   * instead of a fresh 64 KiB buffer per read: fresh pages cost several µs
   * each on these machines, and a generator allocating them would measure
   * itself rather than the relay. By default every client shares one buffer:
   * reads are handled one at a time and nothing keeps a view into it.
   */
  static async open(port: number, readBuffer: Buffer = SHARED_READ_BUFFER): Promise<LoadClient> {
    let client: LoadClient | null = null;
    const sock = netConnect({
      port,
      host: HOST,
      onread: {
        buffer: readBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          const c = client!;
          if (c.onBytes !== null) c.onBytes(n);
          else c.feed(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    client = new LoadClient(sock);
    await once(sock, "connect");
    return client;
  }

  /** A stream's receiver: its own 1 MiB read buffer (fewer, larger reads). */
  static openForStream(port: number): Promise<LoadClient> {
    return LoadClient.open(port, Buffer.allocUnsafeSlow(1 << 20));
  }

  private feed(chunk: Buffer): void {
    let data = chunk;
    if (this.rest !== null) {
      const rest = this.rest;
      if (rest.length < 4) {
        data = Buffer.concat([rest, chunk]);
        this.rest = null;
      } else {
        const need = 4 + rest.readUInt32BE(0) - rest.length;
        if (chunk.length < need) {
          this.rest = Buffer.concat([rest, chunk]);
          return;
        }
        const whole = Buffer.concat([rest, chunk.subarray(0, need)]);
        this.rest = null;
        this.onFrame(whole.subarray(4));
        data = chunk.subarray(need);
      }
    }
    let i = 0;
    while (data.length - i >= 4) {
      const n = data.readUInt32BE(i);
      if (data.length - i - 4 < n) break;
      this.onFrame(data.subarray(i + 4, i + 4 + n));
      i += 4 + n;
    }
    if (i < data.length) this.rest = Buffer.from(data.subarray(i));
  }

  private enqueue(p: Buffer): void {
    const copy = Buffer.from(p);
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w(copy);
    } else this.queue.push(copy);
  }

  /** Resolves with the next frame (setup phase only). */
  next(): Promise<Buffer> {
    const q = this.queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  async expect(prefix: string): Promise<Buffer> {
    for (;;) {
      const f = await this.next();
      const t = f.subarray(0, Math.max(12, prefix.length)).toString("latin1");
      if (t.startsWith('{"type": 44,')) {
        this.sock.write(KEEPALIVE_RESPONSE);
        continue;
      }
      if (!t.startsWith(prefix)) throw new Error(`expected ${prefix}..., got ${f.subarray(0, 60).toString("latin1")}`);
      return f;
    }
  }
}

/** Which pairs put their second client on a second relay node (bench:cluster). */
type CrossMode = "none" | "half" | "all";

/**
 * Forms `pairs` pairs through the server (rooms, so pairing is deterministic)
 * and completes their exchanges. With `port2`, the second client of the pairs
 * `cross` selects connects to that other node of a relay cluster.
 */
async function formPairs(
  port: number,
  pairs: number,
  batch = 200,
  port2 = 0,
  cross: CrossMode = "none",
  openB: (port: number) => Promise<LoadClient> = LoadClient.open,
): Promise<[LoadClient, LoadClient][]> {
  const out: [LoadClient, LoadClient][] = [];
  for (let start = 0; start < pairs; start += batch) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(batch, pairs - start) }, async (_, k) => {
        const room = `bench-${start + k}`;
        const a = await LoadClient.open(port);
        const aGreeting = a.expect('{"type": 41');
        a.sock.write(joinFrame(room));
        await aGreeting;
        const aInitiate = a.expect('{"type": 1,');
        const crossed = port2 > 0 && (cross === "all" || (cross === "half" && (start + k) % 2 === 1));
        const b = await openB(crossed ? port2 : port);
        a.cross = b.cross = crossed;
        const bGreeting = b.expect('{"type": 41');
        b.sock.write(joinFrame(room));
        await bGreeting;
        await aInitiate;
        const bInit = b.expect('{"version": "6.0.1", "type": 5');
        a.sock.write(INIT);
        await bInit;
        const aResp = a.expect('{"version": "6.0.1", "type": 4').then(() => a.expect('{"type": 2,'));
        const bDone = b.expect('{"type": 2,');
        b.sock.write(RESPONSE);
        await Promise.all([aResp, bDone]);
        a.partner = b;
        b.partner = a;
        a.isA = true;
        return [a, b] as [LoadClient, LoadClient];
      }),
    );
    out.push(...chunk);
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---------------------------------------------------------------- modes

async function runPairs(
  cfg: Omit<PairsConfig, "relayPid"> & {
    /** The relay process whose CPU time per relayed frame is measured over the saturated window (0: none). */
    relayPid?: number;
    /** A second cluster node: half of the pairs are split across the two (bench:cluster). */
    port2?: number;
  },
): Promise<unknown> {
  const t0 = now();
  const pairs = await formPairs(cfg.port, cfg.pairs, 200, cfg.port2 ?? 0, cfg.port2 ? "half" : "none");
  log(`${pairs.length} pairs formed in ${((now() - t0) / 1000).toFixed(1)} s`);
  const clients = pairs.flat();
  const frame = frameOf(encryptedLike(cfg.frameBytes));

  let recording = false;
  let sending = true;
  let closedLoop = true;
  let received = 0;
  /** Frames received in each direction over the whole run (the tests check both flowed). */
  let aToB = 0;
  let bToA = 0;
  let lat: number[] = [];
  let latCross: number[] = [];
  const send = (c: LoadClient): void => {
    c.sent.push(now());
    c.sock.write(frame);
  };
  for (const c of clients) {
    c.onFrame = (p) => {
      if (p.length !== cfg.frameBytes) {
        if (p.subarray(0, 12).toString("latin1").startsWith('{"type": 44,')) c.sock.write(KEEPALIVE_RESPONSE);
        return;
      }
      const from = c.partner!;
      const sentAt = from.sent[from.sentHead++]!;
      if (c.isA) bToA++;
      else aToB++;
      if (from.sentHead > 4096) {
        from.sent = from.sent.slice(from.sentHead);
        from.sentHead = 0;
      }
      if (recording) {
        received++;
        (c.cross ? latCross : lat).push(now() - sentAt);
      }
      if (sending && closedLoop) send(from);
    };
  }

  // Phase 1: saturation, closed loop with `window` frames in flight per direction.
  for (const c of clients) for (let k = 0; k < cfg.window; k++) send(c);
  await sleep(cfg.warmupSeconds * 1000);
  const relayPid = cfg.relayPid ?? 0;
  const costs0 = costsNow(relayPid);
  recording = true;
  const m0 = now();
  await sleep(cfg.seconds * 1000);
  const elapsed = (now() - m0) / 1000;
  recording = false;
  const satCosts = costsPerFrame(costs0, costsNow(relayPid), received);
  const satLat = Float64Array.from(lat).sort();
  const satCross = Float64Array.from(latCross).sort();
  const saturated = {
    framesPerSec: received / elapsed,
    payloadMBps: (received * cfg.frameBytes) / elapsed / 1e6,
    p50ms: percentile(satLat, 50),
    p99ms: percentile(satLat, 99),
    samples: satLat.length,
    ...satCosts,
    cross: { p50ms: percentile(satCross, 50), p99ms: percentile(satCross, 99), samples: satCross.length },
  };
  sending = false;
  closedLoop = false;
  // Let everything in flight arrive.
  const inFlight = (): number => clients.reduce((s, c) => s + (c.sent.length - c.sentHead), 0);
  for (let i = 0; i < 100 && inFlight() > 0; i++) await sleep(50);

  // Phase 2: fixed offered rate (open loop), spread evenly over time.
  lat = [];
  latCross = [];
  received = 0;
  recording = true;
  sending = true;
  const rateCosts0 = costsNow(relayPid);
  const tickMs = 1;
  const perTick = (clients.length * cfg.ratePerClient * tickMs) / 1000;
  let cursor = 0;
  let credit = 0;
  const r0 = now();
  let last = now();
  const timer = setInterval(() => {
    // Credit by elapsed time (timers fire late under load), sent as evenly as the timer allows.
    const t = now();
    credit += (perTick * (t - last)) / tickMs;
    last = t;
    while (credit >= 1) {
      send(clients[cursor]!);
      cursor = (cursor + 1) % clients.length;
      credit -= 1;
    }
  }, tickMs);
  await sleep(cfg.rateSeconds * 1000);
  clearInterval(timer);
  const rElapsed = (now() - r0) / 1000;
  for (let i = 0; i < 100 && inFlight() > 0; i++) await sleep(20);
  recording = false;
  const rateCosts = costsPerFrame(rateCosts0, costsNow(relayPid), received);
  const rateLat = Float64Array.from(lat).sort();
  const rateCross = Float64Array.from(latCross).sort();
  const atRate = {
    offeredPerSec: clients.length * cfg.ratePerClient,
    framesPerSec: received / rElapsed,
    p50ms: percentile(rateLat, 50),
    p99ms: percentile(rateLat, 99),
    samples: rateLat.length,
    ...rateCosts,
    cross: { p50ms: percentile(rateCross, 50), p99ms: percentile(rateCross, 99), samples: rateCross.length },
  };
  for (const c of clients) c.sock.destroy();
  return { pairs: pairs.length, generator: "js", saturated, atRate, framesAtoB: aToB, framesBtoA: bToA };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux Node runs on). */
const USER_HZ = 100;

/** User and system CPU seconds a process has used so far (Linux /proc), NaN without them. */
function cpuTimesOf(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(rest[11]) / USER_HZ, system: Number(rest[12]) / USER_HZ };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** User + system CPU seconds a process has used so far, or NaN. */
function cpuSecondsOf(pid: number): number {
  const t = cpuTimesOf(pid);
  return t.user + t.system;
}

/** What the relay (0: none) and this generator had spent at one moment. */
interface Costs {
  relayUser: number;
  relaySystem: number;
  relayReads: number;
  relayWrites: number;
  ownCpuMicros: number;
}

function costsNow(relayPid: number): Costs {
  const calls = relayPid > 0 ? syscallsOf(relayPid) : { reads: Number.NaN, writes: Number.NaN };
  const own = process.cpuUsage();
  const relay = relayPid > 0 ? cpuTimesOf(relayPid) : { user: Number.NaN, system: Number.NaN };
  return {
    relayUser: relay.user,
    relaySystem: relay.system,
    relayReads: calls.reads,
    relayWrites: calls.writes,
    ownCpuMicros: own.user + own.system,
  };
}

/** CPU µs and system calls per frame between two moments. */
function costsPerFrame(a: Costs, b: Costs, frames: number): Record<string, number> {
  return {
    relayCpuMicrosPerFrame: ((b.relayUser + b.relaySystem - a.relayUser - a.relaySystem) * 1e6) / frames,
    /** Of it, the relay's own code (the rest is the kernel's). */
    relayUserCpuMicrosPerFrame: ((b.relayUser - a.relayUser) * 1e6) / frames,
    /** This generator's own CPU per frame: with the relay on the same cores, the two share them. */
    generatorCpuMicrosPerFrame: (b.ownCpuMicros - a.ownCpuMicros) / frames,
    /** The relay's read and write system calls per frame: how many frames each of its reads and writes carried. */
    relayReadsPerFrame: (b.relayReads - a.relayReads) / frames,
    relayWritesPerFrame: (b.relayWrites - a.relayWrites) / frames,
  };
}

/** Read and write system calls a process has made so far (Linux /proc/<pid>/io), NaN without them. */
function syscallsOf(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    return { reads: Number(/^syscr: (\d+)$/m.exec(io)?.[1] ?? Number.NaN), writes: Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? Number.NaN) };
  } catch {
    return { reads: Number.NaN, writes: Number.NaN };
  }
}

async function runStream(cfg: {
  port: number;
  mode: "scp" | "raw" | "direct";
  frameBytes: number;
  warmupSeconds: number;
  seconds: number;
  /** The relay process whose CPU time is measured over the recorded window (0: none). */
  relayPid: number;
  /** A second cluster node: the receiver connects there, and its CPU is measured too (bench:cluster). */
  port2?: number;
  relayPid2?: number;
  /**
   * Offered rate in MB/s (0: as fast as the relay takes it). A paced sender is
   * what a real file transfer looks like to the relay: frames arrive in bursts
   * between idle gaps, as the sending client encrypts them.
   */
  paceMBps: number;
}): Promise<unknown> {
  let sender: Socket;
  let receiverClient: LoadClient;
  let closeServer: (() => void) | null = null;
  if (cfg.mode === "scp") {
    const [a, b] = (await formPairs(cfg.port, 1, 1, cfg.port2 ?? 0, cfg.port2 ? "all" : "none", LoadClient.openForStream))[0]!;
    sender = a.sock;
    receiverClient = b;
  } else if (cfg.mode === "raw") {
    // Through the bare relay: it pipes the first connection to the second.
    sender = (await LoadClient.open(cfg.port)).sock;
    receiverClient = await LoadClient.openForStream(cfg.port);
    await sleep(100);
  } else {
    // Direct: the accepted socket sends to the connecting one, no relay at all.
    const srv = createServer();
    srv.listen(0, HOST);
    await once(srv, "listening");
    const accepted = once(srv, "connection");
    receiverClient = await LoadClient.openForStream((srv.address() as AddressInfo).port);
    sender = (await accepted)[0] as Socket;
    sender.setNoDelay(true);
    closeServer = () => srv.close();
  }
  const receiver = receiverClient.sock;
  let bytes = 0;
  let recording = false;
  receiverClient.onBytes = (n) => {
    if (recording) bytes += n;
  };
  const body = randomBytes(cfg.frameBytes);
  body[0] = 0; // FILE_CHUNK-like: counter < 2^24, never parsed
  const frame = frameOf(body);
  let sending = true;
  const pump = (): void => {
    while (sending) {
      if (!sender.write(frame)) {
        sender.once("drain", pump);
        return;
      }
    }
  };
  let pacer: NodeJS.Timeout | null = null;
  if (cfg.paceMBps > 0) {
    // Credit by elapsed time (timers fire late under load); never more than 4 frames queued.
    let credit = 0;
    let last = now();
    pacer = setInterval(() => {
      const t = now();
      credit = Math.min(credit + ((t - last) / 1000) * cfg.paceMBps * 1e6, 4 * frame.length);
      last = t;
      while (credit >= frame.length && sender.writableLength < 4 * frame.length) {
        sender.write(frame);
        credit -= frame.length;
      }
    }, 5);
  } else pump();
  await sleep(cfg.warmupSeconds * 1000);
  const cpu0 = cfg.relayPid > 0 ? cpuSecondsOf(cfg.relayPid) : Number.NaN;
  const cpu02 = cfg.relayPid2 ? cpuSecondsOf(cfg.relayPid2) : Number.NaN;
  recording = true;
  const t0 = now();
  await sleep(cfg.seconds * 1000);
  const elapsed = (now() - t0) / 1000;
  recording = false;
  const relayCpuSeconds = cfg.relayPid > 0 ? cpuSecondsOf(cfg.relayPid) - cpu0 : Number.NaN;
  const relay2CpuSeconds = cfg.relayPid2 ? cpuSecondsOf(cfg.relayPid2) - cpu02 : Number.NaN;
  sending = false;
  if (pacer !== null) clearInterval(pacer);
  sender.destroy();
  receiver.destroy();
  closeServer?.();
  return {
    mode: cfg.mode,
    MBps: bytes / elapsed / 1e6,
    frames: bytes / (cfg.frameBytes + 4) / elapsed,
    bytes,
    relayCpuSeconds,
    cpuSecondsPerGiB: relayCpuSeconds / (bytes / 2 ** 30),
    relay2CpuSecondsPerGiB: relay2CpuSeconds / (bytes / 2 ** 30),
  };
}

async function runIdle(cfg: { port: number; count: number; batch: number }): Promise<void> {
  const clients: LoadClient[] = [];
  const t0 = now();
  for (let start = 0; start < cfg.count; start += cfg.batch) {
    const got = await Promise.all(
      Array.from({ length: Math.min(cfg.batch, cfg.count - start) }, async () => {
        const c = await LoadClient.open(cfg.port);
        await c.expect('{"type": 41'); // reference-style: no JOIN, lobbied after the join wait
        c.onFrame = (p) => {
          if (p.subarray(0, 12).toString("latin1").startsWith('{"type": 44,')) c.sock.write(KEEPALIVE_RESPONSE);
        };
        return c;
      }),
    );
    clients.push(...got);
  }
  log(`${clients.length} idle connections open in ${((now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(`READY ${clients.length}\n`);
  // Stay until told to go (stdin closes or a signal arrives).
  await new Promise<void>((resolve) => {
    process.stdin.on("end", resolve);
    process.stdin.on("close", resolve);
    process.on("SIGTERM", resolve);
    process.stdin.resume();
  });
  for (const c of clients) c.sock.destroy();
}

function runBareRelay(): void {
  // The simplest possible relay: connection 2k is piped to 2k+1 and back.
  let waiting: Socket | null = null;
  const srv = createServer((s) => {
    s.setNoDelay(true);
    s.on("error", () => {});
    if (waiting === null) {
      waiting = s;
      s.pause();
      return;
    }
    const a = waiting;
    waiting = null;
    a.pipe(s);
    s.pipe(a);
    a.resume();
  });
  srv.listen(0, HOST, () => {
    process.stdout.write(`listening on ${HOST}:${(srv.address() as AddressInfo).port}\n`);
  });
  process.on("SIGTERM", () => process.exit(0));
}

async function main(): Promise<void> {
  const [mode, json] = process.argv.slice(2);
  const cfg = JSON.parse(json ?? "{}") as Record<string, unknown>;
  let result: unknown;
  switch (mode) {
    case "pairs":
      result = await runPairs({
        port: cfg["port"] as number,
        relayPid: (cfg["relayPid"] as number) ?? 0,
        port2: (cfg["port2"] as number) ?? 0,
        pairs: (cfg["pairs"] as number) ?? 1000,
        frameBytes: (cfg["frameBytes"] as number) ?? 1024,
        window: (cfg["window"] as number) ?? 4,
        warmupSeconds: (cfg["warmupSeconds"] as number) ?? 1,
        seconds: (cfg["seconds"] as number) ?? 5,
        ratePerClient: (cfg["ratePerClient"] as number) ?? 5,
        rateSeconds: (cfg["rateSeconds"] as number) ?? 3,
      });
      break;
    case "stream":
      result = await runStream({
        port: (cfg["port"] as number) ?? 0,
        mode: (cfg["mode"] as "scp" | "raw" | "direct") ?? "scp",
        frameBytes: (cfg["frameBytes"] as number) ?? 1048576,
        warmupSeconds: (cfg["warmupSeconds"] as number) ?? 0.5,
        seconds: (cfg["seconds"] as number) ?? 3,
        relayPid: (cfg["relayPid"] as number) ?? 0,
        port2: (cfg["port2"] as number) ?? 0,
        relayPid2: (cfg["relayPid2"] as number) ?? 0,
        paceMBps: (cfg["paceMBps"] as number) ?? 0,
      });
      break;
    case "idle":
      await runIdle({ port: cfg["port"] as number, count: (cfg["count"] as number) ?? 10000, batch: 500 });
      return;
    case "bare-relay":
      runBareRelay();
      return;
    default:
      throw new Error(`unknown mode ${mode ?? "(none)"}`);
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`[load] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
