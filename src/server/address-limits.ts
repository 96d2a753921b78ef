// Per-address abuse limits of the relay: how many connections one source
// address may hold, how fast it may open new ones, how many of its clients
// may wait for a partner at once, how long any client may wait, and which
// waiting client makes room when the relay is full.
//
// Why per address: without these, one host opening --max-clients connections
// (each JOINing its own room and answering every KEEP_ALIVE) locks every other
// user out indefinitely. An "address" is an IPv4 /32 or an IPv6 /64 (a single
// IPv6 host usually owns a whole /64, so counting /128s would let it rotate).
//
// Pure bookkeeping, generic over the connection type: the relay decides what
// is sent and closed; this module only answers "may it?" and "who goes?", and
// counts its refusals and evictions in the relay's stats (src/server/stats.ts).
import { EvictionReason, RefusalReason, type RelayStats } from "./stats.js";

/** The key an address is counted under: "a.b.c.d" for IPv4 (mapped IPv6 included), the /64 prefix for IPv6. */
export function addressKey(ip: string | undefined): string {
  if (ip === undefined || ip === "") return "?";
  let s = ip;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return s;
  const g = expandIpv6(s.toLowerCase());
  if (g === null) return s; // not an address we understand: count it as it is
  if (g.slice(0, 5).every((x) => x === "0") && g[5] === "ffff") {
    // IPv4-mapped (a dual-stack listener): the IPv4 host.
    const hi = parseInt(g[6]!, 16);
    const lo = parseInt(g[7]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return g.slice(0, 4).join(":") + "::/64";
}

/** The eight groups of an IPv6 address (without leading zeros), or null if it does not parse. */
function expandIpv6(s: string): string[] | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (h: string): string[] => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  // An embedded IPv4 tail (e.g. 64:ff9b::1.2.3.4) stands for two groups.
  const last = tail.length > 0 ? tail : head;
  const v4 = last.length > 0 ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(last[last.length - 1]!) : null;
  if (v4) {
    const b = v4.slice(1).map(Number);
    last.splice(last.length - 1, 1, ((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16));
  }
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  const out: string[] = [];
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16).toString(16));
  }
  return out;
}

/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSec`. One token
 * per new connection, so an address may open `burst` connections at once and
 * then `ratePerSec` per second.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSec);
      this.at = now;
    }
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full again (its address can be forgotten without giving it anything). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

export interface LimitOptions {
  /** Open connections per address; 0 = unlimited. */
  maxPerAddress: number;
  /** New connections per second per address (token refill); 0 = unlimited. */
  connectRate: number;
  /** Token bucket size: new connections an address may open at once. */
  connectBurst: number;
  /** Clients of one address waiting for a partner at once (= rooms it holds open); 0 = unlimited. */
  maxWaitingPerAddress: number;
  /** Longest wait for a partner, in ms; then the client is disconnected. */
  maxWaitMs: number;
}

interface AddressEntry {
  readonly key: string;
  connections: number;
  waiting: number;
  bucket: TokenBucket | null;
}

interface Slot {
  readonly entry: AddressEntry;
  waitTimer: NodeJS.Timeout | null;
}

/** Idle address entries (no connection) are forgotten once their bucket is full; at most this many are kept regardless. */
const MIN_ENTRY_CAP = 65_536;

export class AddressLimits<C extends object> {
  private readonly entries = new Map<string, AddressEntry>();
  private readonly slots = new Map<C, Slot>();
  /** Waiting clients, longest-waiting first (a Set keeps insertion order). */
  private readonly waitQueue = new Set<C>();
  /** How many addresses have exactly n waiting clients (index n), to know the largest n cheaply. */
  private readonly waitHistogram: number[] = [0];
  private maxWaitingOfAnyAddress = 0;
  private readonly entryCap: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly opts: LimitOptions,
    /** Refusals and evictions are counted here. */
    private readonly stats: Pick<RelayStats, "refusals" | "evictions">,
    /** Called when a client has waited --max-wait: the relay disconnects it. */
    private readonly onWaitExpired: (c: C) => void,
    /** Expected simultaneous connections (sizes the table of remembered addresses). */
    capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.entryCap = Math.max(MIN_ENTRY_CAP, 2 * capacity);
    // Forget addresses that hold nothing and have a full bucket again.
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const s of this.slots.values()) if (s.waitTimer !== null) clearTimeout(s.waitTimer);
  }

  /** Addresses remembered (with connections, or a bucket still refilling). */
  get addressCount(): number {
    return this.entries.size;
  }

  /** Clients waiting for a partner. */
  get waitingCount(): number {
    return this.waitQueue.size;
  }

  /**
   * A new connection from `ip`: takes a token and a connection slot of its
   * address, or returns why it must be refused (counted in stats).
   */
  admit(c: C, ip: string | undefined): RefusalReason | null {
    const key = addressKey(ip);
    let e = this.entries.get(key);
    const t = this.now();
    if (e === undefined) {
      if (this.entries.size >= this.entryCap) this.sweep(true);
      e = { key, connections: 0, waiting: 0, bucket: null };
      this.entries.set(key, e);
    }
    if (this.opts.maxPerAddress > 0 && e.connections >= this.opts.maxPerAddress) return this.refused(RefusalReason.perAddress);
    if (this.opts.connectRate > 0) {
      e.bucket ??= new TokenBucket(this.opts.connectRate, this.opts.connectBurst, t);
      if (!e.bucket.take(t)) return this.refused(RefusalReason.connectRate);
    }
    e.connections++;
    this.slots.set(c, { entry: e, waitTimer: null });
    return null;
  }

  /** Counts a refusal decided elsewhere (e.g. the relay is full). */
  refused(reason: RefusalReason): RefusalReason {
    this.stats.refusals.add(reason);
    return reason;
  }

  /** The connection is gone: frees its slot (and its waiting place, if any). */
  release(c: C): void {
    const s = this.slots.get(c);
    if (s === undefined) return;
    this.waitEnded(c);
    this.slots.delete(c);
    const e = s.entry;
    e.connections--;
    if (e.connections === 0 && (e.bucket === null || e.bucket.isFull(this.now()))) this.entries.delete(e.key);
  }

  /** May `c` start waiting for a partner (its address is below the waiting limit)? */
  mayWait(c: C): boolean {
    const s = this.slots.get(c);
    if (s === undefined || this.opts.maxWaitingPerAddress === 0) return true;
    return s.entry.waiting < this.opts.maxWaitingPerAddress;
  }

  /** `c` now waits for a partner (registered, unpaired); starts its --max-wait clock. */
  waitStarted(c: C): void {
    const s = this.slots.get(c);
    if (s === undefined || this.waitQueue.has(c)) return;
    this.waitQueue.add(c);
    this.setWaiting(s.entry, s.entry.waiting + 1);
    s.waitTimer = setTimeout(() => {
      s.waitTimer = null;
      this.stats.evictions.add(EvictionReason.maxWait);
      this.onWaitExpired(c);
    }, this.opts.maxWaitMs);
  }

  /** `c` stopped waiting (paired, moved or gone). */
  waitEnded(c: C): void {
    if (!this.waitQueue.delete(c)) return;
    const s = this.slots.get(c)!;
    if (s.waitTimer !== null) {
      clearTimeout(s.waitTimer);
      s.waitTimer = null;
    }
    this.setWaiting(s.entry, s.entry.waiting - 1);
  }

  /**
   * Who makes room for a newcomer when the relay is full: a waiting client of
   * the address that holds the most waiting places, the one of them that has
   * waited longest. `spare` (the newcomer's partner-to-be) is never chosen.
   * Paired clients are never candidates. Undefined when nobody can go.
   */
  victim(spare?: C): C | undefined {
    // Some address holds maxWaitingOfAnyAddress places; only when that is one
    // place and `spare` is the sole waiter is there nobody to choose.
    for (const c of this.waitQueue) {
      if (c !== spare && this.slots.get(c)!.entry.waiting === this.maxWaitingOfAnyAddress) return c;
    }
    return undefined;
  }

  /** Records that `victim()`'s choice was disconnected to make room. */
  evicted(): void {
    this.stats.evictions.add(EvictionReason.makeRoom);
  }

  private setWaiting(e: AddressEntry, n: number): void {
    const h = this.waitHistogram;
    if (e.waiting > 0) h[e.waiting]!--;
    e.waiting = n;
    if (n > 0) h[n] = (h[n] ?? 0) + 1;
    if (n > this.maxWaitingOfAnyAddress) this.maxWaitingOfAnyAddress = n;
    while (this.maxWaitingOfAnyAddress > 0 && (h[this.maxWaitingOfAnyAddress] ?? 0) === 0) this.maxWaitingOfAnyAddress--;
  }

  /**
   * Forgets addresses that hold no connection and whose bucket is full again
   * (runs every 30 s); with `force`, every address that holds no connection
   * (when the table is at its cap: such an address may then reconnect a little
   * sooner than its rate allows, nothing worse).
   */
  sweep(force = false): void {
    const t = this.now();
    for (const [k, e] of this.entries) {
      if (e.connections > 0) continue;
      if (force || e.bucket === null || e.bucket.isFull(t)) this.entries.delete(k);
    }
  }
}
