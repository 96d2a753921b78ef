// Operational log of the relay, on stderr only (nothing is written to disk).
//
// Privacy rules (SPEC §18), enforced by what the callers pass in: never
// message content, counters, nonces, keys or message sizes; connections are
// named by a per-process sequence number; addresses only at debug level; no
// timestamps (the process supervisor may add its own).

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface LogSink {
  write(line: string): unknown;
}

export class Logger {
  private readonly rank: number;

  constructor(
    level: LogLevel,
    private readonly sink: LogSink = process.stderr,
  ) {
    this.rank = RANK[level];
  }

  /** True when debug lines (which may carry addresses) are written. */
  get debugEnabled(): boolean {
    return this.rank >= RANK.debug;
  }

  error(msg: string): void {
    if (this.rank >= RANK.error) this.sink.write(`pqchat server: error: ${msg}\n`);
  }

  warn(msg: string): void {
    if (this.rank >= RANK.warn) this.sink.write(`pqchat server: warning: ${msg}\n`);
  }

  info(msg: string): void {
    if (this.rank >= RANK.info) this.sink.write(`pqchat server: ${msg}\n`);
  }

  /** `msg` is a function so that nothing is formatted unless debug is on. */
  debug(msg: () => string): void {
    if (this.rank >= RANK.debug) this.sink.write(`pqchat server: debug: ${msg()}\n`);
  }
}
