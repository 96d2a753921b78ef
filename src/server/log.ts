// Operational log of the relay, on stderr only (nothing is written to disk).
//
// Privacy rules (SPEC §18), enforced by what the callers pass in: never
// message content, counters, nonces, keys or message sizes; connections are
// named by a per-process sequence number; addresses only at debug level; no
// timestamps in the text format (the process supervisor may add its own).
// --log-format json writes the same events as one JSON object per line.

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface LogSink {
  write(line: string): unknown;
}

export class Logger {
  private readonly rank: number;
  private readonly line: (level: Exclude<LogLevel, "silent">, msg: string) => string;

  constructor(
    level: LogLevel,
    private readonly sink: LogSink = process.stderr,
    format: LogFormat = "text",
  ) {
    this.rank = RANK[level];
    this.line = format === "json" ? jsonLine : textLine;
  }

  /** True when debug lines (which may carry addresses) are written. */
  get debugEnabled(): boolean {
    return this.rank >= RANK.debug;
  }

  error(msg: string): void {
    if (this.rank >= RANK.error) this.sink.write(this.line("error", msg));
  }

  warn(msg: string): void {
    if (this.rank >= RANK.warn) this.sink.write(this.line("warn", msg));
  }

  info(msg: string): void {
    if (this.rank >= RANK.info) this.sink.write(this.line("info", msg));
  }

  /** `msg` is a function so that nothing is formatted unless debug is on. */
  debug(msg: () => string): void {
    if (this.rank >= RANK.debug) this.sink.write(this.line("debug", msg()));
  }
}

const TEXT_PREFIX = { error: "error: ", warn: "warning: ", info: "", debug: "debug: " } as const;

function textLine(level: Exclude<LogLevel, "silent">, msg: string): string {
  // One event, one line, whatever the message holds.
  return `pqchat server: ${TEXT_PREFIX[level]}${msg.replace(/[\r\n]+/g, " ")}\n`;
}

/**
 * One JSON object per line, for log collectors. A timestamp is included here
 * (collectors want one in the record); the text format leaves it to the
 * supervisor, as before.
 */
function jsonLine(level: Exclude<LogLevel, "silent">, msg: string): string {
  return JSON.stringify({ time: new Date().toISOString(), level, msg }) + "\n";
}
