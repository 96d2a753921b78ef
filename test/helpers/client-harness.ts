// Helpers for the client-core tests: ClientCore instances against a real
// `pqchat server` child process (test/helpers/server-process.ts), an event
// recorder that never misses an event emitted before the test starts waiting,
// and pairing shortcuts. Waiting is event-driven; only expectNone() sleeps.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ClientCore } from "../../src/client/core.js";
import type { ClientOptions } from "../../src/client/api.js";
import type { ClientEventMap, ClientEventName } from "../../src/client/events.js";
import { startServer, type ServerHandle } from "./server-process.js";

export { startServer, type ServerHandle };

export const EVENT_TIMEOUT_MS = 15000;

type Entry = { name: ClientEventName; payload: unknown; taken: boolean };
type Waiter = { name: ClientEventName; pred: (p: never) => boolean; resolve: (p: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

const ALL_EVENTS: ClientEventName[] = [
  "connected", "server_version", "peer_version", "waiting_for_peer", "key_exchange_started", "key_exchange_complete", "verified",
  "peer_verified", "verification_not_carried", "message", "sent", "delivered", "nickname", "nickname_ignored", "ephemeral_mode", "file_offer",
  "file_offered", "file_accepted", "file_rejected", "file_progress", "file_sent", "file_complete", "file_received",
  "file_receive_failed", "file_send_failed", "file_resumable", "file_expired", "rekey_started", "rekey_done", "rekey_prompt", "voice_call_rejected",
  "emergency_close", "reset", "server_full", "server_disconnect", "server_error", "disconnected", "error",
  "reconnecting", "reconnect_failed", "message_pending", "messages_held", "message_not_sent",
];

/** A ClientCore plus a log of every event it emitted. */
export class TestClient {
  readonly core: ClientCore;
  readonly log: Entry[] = [];
  private waiters: Waiter[] = [];

  constructor(
    readonly label: string,
    readonly downloadDir: string,
    opts: ClientOptions,
  ) {
    this.core = new ClientCore({ downloadDir, dummyTraffic: true, ...opts });
    for (const name of ALL_EVENTS) {
      this.core.on(name, (payload: unknown) => this.record(name, payload));
    }
  }

  private record(name: ClientEventName, payload: unknown): void {
    const e: Entry = { name, payload, taken: false };
    this.log.push(e);
    for (const w of this.waiters) {
      if (w.name === name && w.pred(payload as never)) {
        e.taken = true;
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(payload);
        return;
      }
    }
  }

  /** The oldest not-yet-taken event `name` matching `pred`, or the next one to arrive. */
  next<K extends ClientEventName>(name: K, pred: (p: ClientEventMap[K]) => boolean = () => true, timeoutMs = EVENT_TIMEOUT_MS): Promise<ClientEventMap[K]> {
    const hit = this.log.find((e) => !e.taken && e.name === name && pred(e.payload as ClientEventMap[K]));
    if (hit) {
      hit.taken = true;
      return Promise.resolve(hit.payload as ClientEventMap[K]);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        name,
        pred: pred as (p: never) => boolean,
        resolve: resolve as (p: unknown) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`${this.label}: no "${name}" event within ${timeoutMs} ms; last events: ${this.summary()}`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Marks every event so far as taken: later next() calls only see new events. */
  skipPast(): void {
    for (const e of this.log) e.taken = true;
  }

  /** Error events of a kind (taken or not). */
  errors(kind?: string): { kind: string; text: string }[] {
    return this.log
      .filter((e) => e.name === "error")
      .map((e) => e.payload as { kind: string; text: string })
      .filter((e) => kind === undefined || e.kind === kind);
  }

  /** Occurrences of an error kind so far: error events are coalesced, each carries a count. */
  occurrences(kind: string): number {
    return this.log
      .filter((e) => e.name === "error" && (e.payload as { kind: string }).kind === kind)
      .reduce((n, e) => n + (e.payload as { count: number }).count, 0);
  }

  /** Waits (event-driven) until at least `n` occurrences of an error kind were reported; resolves with the total. */
  async occurrencesReach(kind: string, n: number, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> {
    while (this.occurrences(kind) < n) await this.next("error", (e) => e.kind === kind, timeoutMs);
    return this.occurrences(kind);
  }

  count(name: ClientEventName): number {
    return this.log.filter((e) => e.name === name).length;
  }

  summary(n = 12): string {
    return this.log
      .slice(-n)
      .map((e) => `${e.name}${e.name === "error" ? `(${(e.payload as { kind: string }).kind})` : ""}`)
      .join(", ");
  }

  async close(): Promise<void> {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    await this.core.disconnect().catch(() => undefined);
  }
}

export async function tempDir(prefix = "pqchat-client-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function newClient(label: string, opts: ClientOptions = {}): Promise<TestClient> {
  return new TestClient(label, await tempDir(`pqchat-${label}-`), opts);
}

export async function connectClient(c: TestClient, server: ServerHandle, room?: string): Promise<void> {
  await c.core.connect({ host: server.host, port: server.port, room: room ?? null });
}

/**
 * Connects `a` then `b` (so `a` is the initiator), waits for both to complete
 * the exchange and, unless `verify` is false, for both verifications to cross.
 */
export async function pair(server: ServerHandle, a: TestClient, b: TestClient, opts: { room?: string; verify?: boolean } = {}): Promise<void> {
  await connectClient(a, server, opts.room);
  await a.next("server_version");
  await connectClient(b, server, opts.room);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  if (opts.verify === false) return;
  a.core.verify(true);
  b.core.verify(true);
  await Promise.all([a.next("peer_verified"), b.next("peer_verified")]);
}

/** Resolves after `ms` if no matching event arrived meanwhile; rejects if one did. */
export async function expectNone<K extends ClientEventName>(c: TestClient, name: K, ms: number, pred: (p: ClientEventMap[K]) => boolean = () => true): Promise<void> {
  const before = c.log.length;
  await new Promise((r) => setTimeout(r, ms));
  const hit = c.log.slice(before).find((e) => e.name === name && pred(e.payload as ClientEventMap[K]));
  if (hit) throw new Error(`${c.label}: unexpected "${name}" event: ${JSON.stringify(hit.payload)}`);
}

/** Names in a directory that belong to unfinished transfers. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith(".pqchat-"));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
