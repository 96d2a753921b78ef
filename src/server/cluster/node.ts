// One node of a relay cluster (`pqchat server --redis URL ...`): a RelayServer
// that serves the rooms this node owns, behind a front door that every client
// of any room may knock on. The front door applies the per-address limits for
// the clients that reach this node, reads up to the JOIN (join-gate.ts), asks
// the directory in Redis where the room lives (directory.ts) and either
// serves the client here or carries its bytes to the owning node over an
// authenticated link (link.ts). A reference client cannot tell a cluster
// from one relay: it gets the same frames in the same order.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { listenOn } from "../listen.js";
import { AddressLimits } from "../address-limits.js";
import { admitAtDoor } from "../front-door.js";
import { gate, type GateDecision } from "../join-gate.js";
import type { Logger } from "../log.js";
import { F } from "../notices.js";
import type { ServerOptions } from "../options.js";
import { Refusals } from "../refusals.js";
import { RelayServer, type ListenAddress } from "../relay.js";
import { RefusalReason } from "../stats.js";
import { ClusterDirectory, type NodeAddress } from "./directory.js";
import { acceptLink, openLink } from "./link.js";

export interface ClusterOptions {
  redisUrl: string;
  /** This node's listener for other nodes (0: a free port). */
  clusterPort: number;
  /** The host other nodes use to reach this one. */
  advertise: string;
  secret: Buffer;
  nodeId: string;
  leaseMs: number;
}

/** Connections the front door may hold undecided beyond --max-clients. */
const MAX_GATE_OVERFLOW = 64;

interface Slot {
  readonly id: number;
}

export class ClusterNode {
  /** Serves the rooms this node owns; per-address caps are the front door's. */
  readonly relay: RelayServer;
  private readonly front: Server;
  private readonly links: Server;
  private readonly limits: AddressLimits<Slot>;
  private readonly refusals: Refusals;
  private directory: ClusterDirectory | null = null;
  private readonly sockets = new Set<Socket>();
  /** Clients whose bytes this node carries to another node. */
  private readonly carried = new Set<Socket>();
  private nextId = 1;
  private stopping = false;

  constructor(
    private readonly opts: ServerOptions,
    private readonly cluster: ClusterOptions,
    private readonly log: Logger,
  ) {
    this.relay = new RelayServer({ ...opts, maxPerAddress: 0, connectRate: 0 }, log);
    this.limits = new AddressLimits<Slot>({ ...opts, maxWaitingPerAddress: 0 }, this.relay.stats, () => {}, opts.maxClients + MAX_GATE_OVERFLOW);
    this.refusals = new Refusals(log);
    this.front = createServer((s) => this.accept(s));
    this.links = createServer((s) => this.acceptLink(s));
  }

  /** Connects to Redis, opens the cluster port, then the client port; resolves with the client address. */
  async listen(): Promise<ListenAddress> {
    const linkAddress = await listenOn(this.links, this.opts.host === "127.0.0.1" ? "127.0.0.1" : "0.0.0.0", this.cluster.clusterPort, this.log, "cluster listener");
    const self: NodeAddress = { host: this.cluster.advertise, port: linkAddress.port };
    this.directory = new ClusterDirectory(this.cluster.redisUrl, this.cluster.nodeId, self, this.cluster.leaseMs, this.log);
    await this.directory.start();
    this.log.info(`cluster: node ${this.cluster.nodeId} reachable by other nodes at ${self.host}:${self.port}`);
    return listenOn(this.front, this.opts.host, this.opts.port, this.log);
  }

  /** The cluster port actually bound (for tests and --cluster-port 0). */
  get linkPort(): number {
    return (this.links.address() as AddressInfo | null)?.port ?? 0;
  }

  gauges(): ReturnType<RelayServer["gauges"]> {
    return this.relay.gauges();
  }

  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.front.close();
    this.links.close();
    await this.relay.drain(timeoutMs);
    for (const s of this.sockets) {
      if (s.destroyed || s.writableEnded) continue;
      // A carried client's stream may be in the middle of a frame from its
      // owner: a notice written now would corrupt it, so it is only cut.
      if (this.carried.has(s)) s.destroy();
      else s.end(F.shutdown);
    }
    await this.directory?.stop();
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.relay.destroyAll();
  }

  private accept(socket: Socket): void {
    const slot: Slot = { id: this.nextId++ };
    const door = {
      stopping: this.stopping,
      held: this.sockets.size,
      capacity: this.opts.maxClients + MAX_GATE_OVERFLOW,
      limits: this.limits,
      refusals: this.refusals,
      stats: this.relay.stats,
    };
    if (!admitAtDoor(socket, door, slot)) return;
    this.sockets.add(socket);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.limits.release(slot);
    });
    gate(socket, this.opts, (d) => void this.place(socket, slot.id, d), () => {});
  }

  /** Serves the client here or carries it to the room's owner. */
  private async place(socket: Socket, id: number, d: GateDecision): Promise<void> {
    const route = await this.directory!.route(d.room);
    if (socket.destroyed) return;
    if (route.kind === "local") {
      this.serveHere(socket, id, d.room, d.joined, d.head, socket.remoteAddress);
      return;
    }
    if (route.kind === "unavailable") {
      this.unroutable(socket, "no route to the room's owner");
      return;
    }
    try {
      const link = await openLink(route.node.host, route.node.port, this.cluster.secret, { room: d.room, joined: d.joined, ip: socket.remoteAddress ?? "" });
      if (socket.destroyed) {
        link.destroy();
        return;
      }
      if (d.head.length > 0) link.write(d.head);
      this.carried.add(socket);
      socket.once("close", () => this.carried.delete(socket));
      socket.pipe(link);
      link.pipe(socket);
      socket.once("close", () => link.destroy());
      link.once("close", () => socket.destroy());
      socket.on("error", () => link.destroy());
      link.resume();
      socket.resume();
    } catch (err) {
      this.unroutable(socket, `owner node unreachable: ${(err as Error).message}`);
    }
  }

  private serveHere(socket: Socket, id: number, room: string, joined: boolean, head: Buffer, ip: string | undefined): void {
    const dir = this.directory!;
    dir.joined(room);
    socket.once("close", () => dir.left(room));
    this.relay.adopt(socket, id, room, joined, head, ip);
  }

  private unroutable(socket: Socket, why: string): void {
    this.relay.stats.refusals.add(RefusalReason.unroutable);
    this.log.warn(`cluster: a client was refused: ${why}`);
    socket.end(F.unroutable);
    socket.resume();
  }

  /** Another node hands us a client of a room we own. */
  private acceptLink(socket: Socket): void {
    socket.on("error", () => {});
    acceptLink(socket, this.cluster.secret).then(
      ({ header, head }) => {
        if (this.stopping) {
          socket.end(F.shutdown);
          return;
        }
        this.serveHere(socket, this.nextId++, header.room, header.joined, head, header.ip);
      },
      (err: Error) => {
        this.log.warn(`cluster: refused a link: ${err.message}`);
        this.log.debug(() => `cluster: the refused link came from ${socket.remoteAddress ?? "?"}`);
        socket.destroy();
      },
    );
  }
}
