// The messages between a relay's primary process and its workers (node:cluster
// IPC with the "advanced" serialization, so Buffers travel as bytes).
// Nothing here is ever logged: `head` may hold the first bytes of a session.

/** Primary → worker. */
export type ToWorker =
  /** Serve this connection (the socket travels as the message's handle). */
  | { t: "conn"; id: number; room: string; joined: boolean; head: Uint8Array }
  /** Drain (SIGTERM): sessions may go on for `ms`, then everyone is closed and the worker exits. */
  | { t: "drain"; ms: number }
  /** Second signal: drop every socket and exit now. */
  | { t: "stop" }
  /** Send your metrics (prom-client's JSON form) back with this request number. */
  | { t: "metrics"; req: number };

/** Worker → primary. */
export type FromWorker =
  /** The worker is ready for connections. */
  | { t: "ready" }
  /** The connection `id` handed to this worker has closed (its address slot is free). */
  | { t: "end"; id: number }
  | { t: "metrics"; req: number; data: unknown };

/** The environment variable that tells a forked process which worker it is. */
export const WORKER_INDEX_ENV = "PQCHAT_RELAY_WORKER";
