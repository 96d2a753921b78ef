// Prometheus metrics of the relay (prom-client), read from RelayStats and the
// relay's gauges at scrape time only: nothing here runs per frame.
//
// Labels are fixed reason names from the code (src/server/stats.ts); no label
// ever carries an address, a room code or anything else about a user.
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { ReasonCounts, RelayGauges, RelayStats } from "./stats.js";

export interface MetricsSource {
  readonly stats: RelayStats;
  gauges(): RelayGauges;
}

/** A registry with the relay's metrics and prom-client's process metrics (CPU, memory, event loop, GC). */
export function createRelayRegistry(relay: MetricsSource): Registry {
  const registers = [new Registry()];
  const register = registers[0]!;
  collectDefaultMetrics({ register });

  // Across relay workers (src/server/primary.ts) gauges are summed, but a flag is a flag.
  const gauge = (name: string, help: string, read: (g: RelayGauges) => number, aggregator: "sum" | "max" = "sum"): void => {
    new Gauge({
      name,
      help,
      registers,
      aggregator,
      collect() {
        this.set(read(relay.gauges()));
      },
    });
  };
  gauge("pqchat_relay_connections", "Connections being served (pending, waiting and paired).", (g) => g.connections);
  gauge("pqchat_relay_clients_pending", "Connected clients not yet registered (within the JOIN wait).", (g) => g.pending);
  gauge("pqchat_relay_clients_waiting", "Registered clients waiting for a partner.", (g) => g.waiting);
  gauge("pqchat_relay_clients_paired", "Clients in a session (two per session).", (g) => g.paired);
  gauge("pqchat_relay_rooms", "Rooms in use (the lobby counts as one).", (g) => g.rooms);
  gauge("pqchat_relay_frames_splicing", "Large frames being moved by splice right now.", (g) => g.splicing);
  gauge("pqchat_relay_draining", "1 while the relay is shutting down and accepts nobody new.", (g) => (g.draining ? 1 : 0), "max");

  const counter = (name: string, help: string, read: (s: RelayStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(relay.stats));
      },
    });
  };
  counter("pqchat_relay_connections_accepted_total", "Connections accepted for service.", (s) => s.accepted);
  counter("pqchat_relay_pairs_formed_total", "Sessions formed (two clients met).", (s) => s.pairsFormed);
  counter("pqchat_relay_frames_relayed_total", "Frames forwarded between paired clients.", (s) => s.framesRelayed);
  counter("pqchat_relay_frames_spliced_total", "Of the frames forwarded, those moved by splice without entering the relay.", (s) => s.framesSpliced);
  counter("pqchat_relay_frames_direct_total", "Of the frames forwarded, those sent straight from the read buffer without a copy.", (s) => s.framesDirect);
  counter("pqchat_relay_bytes_relayed_total", "Bytes forwarded between paired clients (frame prefixes included).", (s) => s.bytesRelayed);

  const byReason = (name: string, help: string, label: string, read: (s: RelayStats) => ReasonCounts): void => {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of read(relay.stats).entries()) this.inc({ [label]: reason }, n);
      },
    });
  };
  byReason("pqchat_relay_refusals_total", "Connections refused before being served, by reason.", "reason", (s) => s.refusals);
  byReason("pqchat_relay_evictions_total", "Unpaired clients removed by the relay, by reason.", "reason", (s) => s.evictions);
  byReason("pqchat_relay_limiter_drops_total", "Connections or frames dropped by a rate limiter, by limiter.", "limiter", (s) => s.limiterDrops);
  byReason("pqchat_relay_disconnects_total", "Connections the relay ended with SERVER_DISCONNECT, by reason.", "reason", (s) => s.disconnects);
  return register;
}
