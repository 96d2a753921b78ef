// The primary process of `pqchat server --workers N`: it owns the listening
// port, applies the per-address connection caps and rates for the whole
// relay, reads each new connection until its place is known (join-gate.ts)
// and hands the socket to the worker that owns that room (room-owner.ts):
// node:cluster passes the socket itself, so after the hand-off every byte
// flows inside the worker, with no extra hop. A worker that dies is started
// again; its clients see a disconnect and reconnect.
import cluster, { type Worker } from "node:cluster";
import { createServer, type Server, type Socket } from "node:net";
import { AggregatorRegistry, type Registry } from "prom-client";
import { AddressLimits } from "./address-limits.js";
import { admitAtDoor } from "./front-door.js";
import { gate } from "./join-gate.js";
import { listenOn } from "./listen.js";
import type { Logger } from "./log.js";
import { createRelayRegistry } from "./metrics.js";
import type { MetricsText } from "./health-http.js";
import { F } from "./notices.js";
import type { ServerOptions } from "./options.js";
import { Refusals } from "./refusals.js";
import type { ListenAddress } from "./relay.js";
import { ownerOf } from "./room-owner.js";
import { RelayStats, type RelayGauges } from "./stats.js";
import { WORKER_INDEX_ENV, type FromWorker, type ToWorker } from "./worker-messages.js";

/** Connections the gate may hold undecided beyond --max-clients (as RelayServer's overflow). */
const MAX_GATE_OVERFLOW = 64;
/** How long /metrics waits for a worker's numbers. */
const METRICS_WAIT_MS = 2000;

interface Slot {
  readonly id: number;
  worker: number;
}

interface HandOff {
  message: ToWorker;
  socket: Socket;
  lost: () => void;
}

interface WorkerState {
  worker: Worker | null;
  ready: boolean;
  /** Hand-offs waiting for a (re)started worker to be ready: a message sent before it listens would be lost. */
  queue: HandOff[];
}

export class RelayPrimary {
  readonly stats = new RelayStats();
  private readonly server: Server;
  private readonly limits: AddressLimits<Slot>;
  private readonly refusals: Refusals;
  private readonly workers: WorkerState[];
  /** Connections handed to a worker and not yet reported closed. */
  private readonly handedOff = new Map<number, Slot>();
  /** Sockets still in the gate. */
  private readonly gated = new Set<Socket>();
  private nextId = 1;
  private nextRequest = 1;
  private readonly pendingMetrics = new Map<number, (data: unknown) => void>();
  private stopping: Promise<void> | null = null;
  private draining = false;
  private allReady: (() => void) | null = null;

  constructor(
    private readonly opts: ServerOptions,
    private readonly log: Logger,
  ) {
    this.limits = new AddressLimits<Slot>({ ...opts, maxWaitingPerAddress: 0 }, this.stats, () => {}, opts.maxClients + MAX_GATE_OVERFLOW);
    this.refusals = new Refusals(log);
    this.workers = Array.from({ length: opts.workers }, () => ({ worker: null, ready: false, queue: [] }));
    this.server = createServer((socket) => this.accept(socket));
    cluster.setupPrimary({ serialization: "advanced" });
    cluster.on("exit", (w, code, signal) => this.onWorkerExit(w, code, signal));
  }

  /** Starts the workers, then listens; resolves with the address once every worker is ready. */
  async listen(): Promise<ListenAddress> {
    const ready = new Promise<void>((resolve) => (this.allReady = resolve));
    for (let i = 0; i < this.workers.length; i++) this.fork(i);
    await ready;
    return listenOn(this.server, this.opts.host, this.opts.port, this.log);
  }

  /** The process ids of the workers (for operators and tests), by worker number. */
  workerPids(): (number | undefined)[] {
    return this.workers.map((w) => w.worker?.process.pid);
  }

  /** What the primary itself holds: connections still in the gate. Workers report the rest. */
  gauges(): RelayGauges {
    const n = this.gated.size;
    return { connections: n, pending: n, waiting: 0, paired: 0, rooms: 0, draining: this.draining, splicing: 0 };
  }

  /** /metrics: the workers' metrics and the primary's, merged (counters and gauges summed). */
  metricsText(): MetricsText {
    const own: Registry = createRelayRegistry(this);
    return {
      contentType: own.contentType,
      metrics: async () => {
        const parts = await Promise.all(this.workers.map((w) => this.askMetrics(w.worker)));
        parts.push(await own.getMetricsAsJSON());
        return AggregatorRegistry.aggregate(parts.filter((p): p is object[] => Array.isArray(p) && p.length > 0) as never).metrics();
      },
    };
  }

  /** Drain (first SIGTERM): nobody new; workers let sessions go on for up to `timeoutMs`. Resolves when every worker has exited. */
  drain(timeoutMs: number): Promise<void> {
    return this.stop({ t: "drain", ms: timeoutMs });
  }

  /** Second signal: every worker drops its sockets now. */
  destroyAll(): void {
    for (const s of this.gated) s.destroy();
    for (const w of this.workers) this.send(w.worker, { t: "stop" });
  }

  private stop(message: ToWorker): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.draining = true;
    this.limits.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const waitingForWorker = this.workers.flatMap((w) => w.queue.splice(0));
    for (const s of [...this.gated, ...waitingForWorker.map((h) => h.socket)]) {
      this.gated.delete(s);
      s.end(F.shutdown);
      s.resume();
    }
    for (const h of waitingForWorker) this.release((h.message as { id: number }).id);
    const exited = this.workers.map(
      (w) => new Promise<void>((resolve) => (w.worker === null || w.worker.isDead() ? resolve() : w.worker.once("exit", () => resolve()))),
    );
    for (const w of this.workers) this.send(w.worker, message);
    this.stopping = Promise.all([closed, ...exited]).then(() => undefined);
    return this.stopping;
  }

  private fork(index: number): void {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    const state = this.workers[index]!;
    state.worker = worker;
    state.ready = false;
    worker.on("message", (m: FromWorker) => this.onMessage(index, m));
    this.log.info(`relay worker ${index} started (pid ${worker.process.pid ?? "?"})`);
  }

  private onMessage(index: number, m: FromWorker): void {
    switch (m.t) {
      case "ready": {
        const state = this.workers[index]!;
        state.ready = true;
        for (const h of state.queue.splice(0)) this.send(state.worker, h.message, h.socket, h.lost);
        if (this.workers.every((w) => w.ready)) this.allReady?.();
        return;
      }
      case "end":
        this.release(m.id);
        return;
      case "metrics":
        this.pendingMetrics.get(m.req)?.(m.data);
        return;
    }
  }

  private onWorkerExit(w: Worker, code: number | null, signal: string | null): void {
    const index = this.workers.findIndex((s) => s.worker === w);
    if (index < 0) return;
    const state = this.workers[index]!;
    state.worker = null;
    state.ready = false;
    if (this.stopping !== null) for (const h of state.queue.splice(0)) h.lost();
    for (const slot of [...this.handedOff.values()]) if (slot.worker === index) this.release(slot.id);
    if (this.stopping !== null) return;
    this.log.warn(`relay worker ${index} exited (${signal ?? `code ${code ?? "?"}`}); starting it again`);
    this.fork(index);
  }

  private askMetrics(w: Worker | null): Promise<unknown> {
    if (w === null || !w.isConnected()) return Promise.resolve([]);
    const req = this.nextRequest++;
    return new Promise((resolve) => {
      const t = setTimeout(() => done([]), METRICS_WAIT_MS);
      const done = (data: unknown): void => {
        clearTimeout(t);
        this.pendingMetrics.delete(req);
        resolve(data);
      };
      this.pendingMetrics.set(req, done);
      this.send(w, { t: "metrics", req });
    });
  }

  private send(w: Worker | null, m: ToWorker, handle?: Socket, onError?: () => void): void {
    if (w === null || !w.isConnected()) {
      onError?.();
      return;
    }
    w.send(m, handle as never, (err: Error | null) => {
      if (err !== null) onError?.();
    });
  }

  private accept(socket: Socket): void {
    const slot: Slot = { id: this.nextId++, worker: -1 };
    const door = {
      stopping: this.stopping !== null,
      held: this.gated.size + this.handedOff.size,
      capacity: this.opts.maxClients + MAX_GATE_OVERFLOW,
      limits: this.limits,
      refusals: this.refusals,
      stats: this.stats,
    };
    if (!admitAtDoor(socket, door, slot)) return;
    this.gated.add(socket);
    gate(
      socket,
      this.opts,
      (d) => {
        this.gated.delete(socket);
        const index = ownerOf(d.room, this.workers.length);
        slot.worker = index;
        this.handedOff.set(slot.id, slot);
        const lost = (): void => {
          socket.destroy();
          this.release(slot.id);
        };
        const message: ToWorker = { t: "conn", id: slot.id, room: d.room, joined: d.joined, head: d.head };
        const owner = this.workers[index]!;
        if (owner.ready) this.send(owner.worker, message, socket, lost);
        else owner.queue.push({ message, socket, lost });
      },
      (why) => {
        this.gated.delete(socket);
        this.limits.release(slot);
        this.log.debug(() => `connection #${slot.id} closed before its hand-off: ${why}`);
      },
    );
  }

  private release(id: number): void {
    const slot = this.handedOff.get(id);
    if (slot === undefined) return;
    this.handedOff.delete(id);
    this.limits.release(slot);
  }
}
