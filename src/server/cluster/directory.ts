// The cluster's directory in Redis: which node owns each room that has a
// client, and how to reach each node. Every entry is a lease (SET NX PX,
// renewed while held), so a dead node's rooms are free again within one
// lease. A node never claims a room without Redis: when Redis is
// unreachable it keeps serving the rooms whose lease it still holds and
// refuses the rest, so a partitioned node never pairs a room twice.
import { Redis } from "ioredis";
import type { Logger } from "../log.js";
import { LOBBY } from "../pairing.js";

export interface NodeAddress {
  host: string;
  port: number;
}

/** Where a room's clients must go: this node, another node, or nowhere right now. */
export type Route = { kind: "local" } | { kind: "remote"; node: NodeAddress } | { kind: "unavailable" };

const PREFIX = "pqchat:";
/** Deletes a key only if this node still holds it. */
const RELEASE_SCRIPT = 'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end';
/** Extends a lease only if this node still holds it. */
const RENEW_SCRIPT = 'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end';

const roomKey = (room: string): string => (room === LOBBY ? `${PREFIX}lobby` : `${PREFIX}room:${room}`);
const nodeKey = (id: string): string => `${PREFIX}node:${id}`;

interface Held {
  /** Local connections in the room; the lease is released when it falls to 0. */
  clients: number;
  /** performance.now() until which the lease is certainly still ours. */
  validUntil: number;
}

export class ClusterDirectory {
  private readonly redis: Redis;
  private readonly held = new Map<string, Held>();
  private readonly renewTimer: NodeJS.Timeout;
  private nodeValidUntil = 0;
  private up = false;

  constructor(
    url: string,
    private readonly nodeId: string,
    private readonly self: NodeAddress,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {
    // Commands fail at once while Redis is away (no offline queue): a client
    // waiting on a directory lookup gets a clear refusal instead of a hang.
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: (n) => Math.min(n * 200, 2000) });
    this.redis.on("ready", () => {
      if (!this.up) this.log.info("cluster: connected to Redis");
      this.up = true;
      void this.renew();
    });
    this.redis.on("close", () => {
      if (this.up) this.log.warn("cluster: Redis unreachable; serving only rooms this node holds until it returns");
      this.up = false;
    });
    this.redis.on("error", () => {});
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(leaseMs / 3)));
  }

  async start(): Promise<void> {
    await this.redis.connect();
    await this.renew();
  }

  /** Where `room` is served; claims it for this node when nobody holds it. */
  async route(room: string): Promise<Route> {
    const mine = this.held.get(room);
    if (mine !== undefined && performance.now() < mine.validUntil) return { kind: "local" };
    if (!this.up) return { kind: "unavailable" };
    try {
      const key = roomKey(room);
      const claimed = await this.redis.set(key, this.nodeId, "PX", this.leaseMs, "NX");
      if (claimed === "OK") {
        this.held.set(room, { clients: 0, validUntil: performance.now() + this.leaseMs });
        return { kind: "local" };
      }
      const owner = await this.redis.get(key);
      if (owner === this.nodeId) {
        this.held.set(room, { clients: this.held.get(room)?.clients ?? 0, validUntil: performance.now() + this.leaseMs });
        return { kind: "local" };
      }
      if (owner === null) return this.route(room); // expired between the two calls
      const at = await this.redis.get(nodeKey(owner));
      const node = at === null ? null : parseNode(at);
      return node === null ? { kind: "unavailable" } : { kind: "remote", node };
    } catch {
      return { kind: "unavailable" };
    }
  }

  /** A client of `room` is now served here (keeps the lease renewed). */
  joined(room: string): void {
    const h = this.held.get(room);
    if (h !== undefined) h.clients++;
  }

  /** A client of `room` served here has gone; the last one releases the room. */
  left(room: string): void {
    const h = this.held.get(room);
    if (h === undefined) return;
    h.clients--;
    if (h.clients > 0) return;
    this.held.delete(room);
    if (this.up) this.redis.eval(RELEASE_SCRIPT, 1, roomKey(room), this.nodeId).catch(() => {});
  }

  /** True while this node's own entry (its address for other nodes) is current. */
  get registered(): boolean {
    return performance.now() < this.nodeValidUntil;
  }

  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    if (this.up) {
      const keys = [...this.held.keys()].map(roomKey);
      await Promise.all([...keys, nodeKey(this.nodeId)].map((k) => this.redis.eval(RELEASE_SCRIPT, 1, k, this.nodeId).catch(() => {})));
    }
    this.redis.disconnect();
  }

  private async renew(): Promise<void> {
    if (!this.up) return;
    const started = performance.now();
    try {
      await this.redis.set(nodeKey(this.nodeId), `${this.self.host}:${this.self.port}`, "PX", this.leaseMs);
      this.nodeValidUntil = started + this.leaseMs;
      // One round trip for every room held (a pipeline), not one per room.
      const rooms = [...this.held.keys()];
      const pipeline = this.redis.pipeline();
      for (const room of rooms) pipeline.eval(RENEW_SCRIPT, 1, roomKey(room), this.nodeId, String(this.leaseMs));
      const results = rooms.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      rooms.forEach((room, i) => {
        const h = this.held.get(room);
        if (h === undefined) return;
        const [err, ok] = results[i] ?? [new Error("no reply"), 0];
        if (err === null && ok === 1) h.validUntil = started + this.leaseMs;
        else if (err === null && h.clients === 0) this.held.delete(room);
      });
    } catch {
      // Leases run out on their own; route() stops trusting them then.
    }
  }
}

function parseNode(s: string): NodeAddress | null {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  return i > 0 && Number.isInteger(port) && port > 0 && port < 65536 ? { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port } : null;
}
