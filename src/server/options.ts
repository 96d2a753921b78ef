// Options of `pqchat server` and their parsing.
import { DEFAULT_MAX_FRAME } from "../protocol/frame.js";
import type { LogFormat, LogLevel } from "./log.js";

export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Registered clients at most (even); connections beyond get SERVER_FULL and are closed. */
  maxClients: number;
  keepaliveIntervalMs: number;
  /** Largest accepted payload; a larger length prefix closes the connection. */
  maxFrame: number;
  logLevel: LogLevel;
  /** How long a new connection may take to send JOIN before it is placed in the lobby. */
  joinWaitMs: number;
  /** A pair must complete the key exchange this long after pairing. */
  exchangeTimeoutMs: number;
  /** A frame must be complete this long after its first byte arrived. */
  frameTimeoutMs: number;
  logFormat: LogFormat;
  /** Where the Prometheus metrics and health endpoints listen; null: not served. */
  metrics: { host: string; port: number } | null;
  /** On SIGTERM, how long paired sessions may go on before they are closed (0: at once). */
  drainTimeoutMs: number;
  /** Open connections per source address (IPv4 /32, IPv6 /64); 0 = unlimited. */
  maxPerAddress: number;
  /** New connections per second per address, after the burst; 0 = unlimited. */
  connectRate: number;
  /** New connections an address may open at once (token bucket size). */
  connectBurst: number;
  /** Clients of one address waiting for a partner at once (each holds a room open); 0 = unlimited. */
  maxWaitingPerAddress: number;
  /** Longest wait for a partner; then the client is disconnected. */
  maxWaitMs: number;
  /** Relay processes on this machine (1: one process, as the reference). */
  workers: number;
  /** A relay cluster's shared Redis (redis://HOST:PORT); null: a standalone relay. */
  redis: string | null;
  /** This node's listener for other cluster nodes (0: a free port). */
  clusterPort: number;
  /** The host other nodes use to reach this node's cluster port. */
  advertise: string;
  /** A file holding the cluster's shared secret (at least 32 characters). */
  clusterSecretFile: string | null;
  /** How long a node's directory entries live unless renewed. */
  clusterLeaseMs: number;
}

export const DEFAULT_PORT = 16384;
/** Upper bound for --join-wait: a reference client must never be kept waiting noticeably. */
export const MAX_JOIN_WAIT_MS = 250;

export const DEFAULT_OPTIONS: Readonly<ServerOptions> = {
  host: "127.0.0.1",
  port: DEFAULT_PORT,
  maxClients: 2,
  keepaliveIntervalMs: 60_000,
  maxFrame: DEFAULT_MAX_FRAME,
  logLevel: "info",
  joinWaitMs: 150,
  exchangeTimeoutMs: 60_000,
  frameTimeoutMs: 30_000,
  logFormat: "text",
  metrics: null,
  drainTimeoutMs: 30_000,
  maxPerAddress: 8,
  connectRate: 2,
  connectBurst: 30,
  maxWaitingPerAddress: 4,
  maxWaitMs: 3_600_000,
  workers: 1,
  redis: null,
  clusterPort: 16385,
  advertise: "127.0.0.1",
  clusterSecretFile: null,
  clusterLeaseMs: 10_000,
};
