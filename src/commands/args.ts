// Small helpers shared by the subcommands: durations, sizes, one-line errors.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** "200ms", "60s", "5m", "1h" or plain seconds ("1.5") -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration such as 200ms, 60s or 5m, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${flag}: duration must be positive`);
  return Math.round(ms);
}

/** "1048576", "64k", "1MiB", "2M" -> bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a size in bytes such as 1048576 or 2MiB, got "${text}"`);
  const n = Number(m[1]);
  const u = (m[2] ?? "b").toLowerCase();
  return u.startsWith("k") ? n * 1024 : u.startsWith("m") ? n * 1024 * 1024 : n;
}

export function parseIntFlag(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag}: must be between ${min} and ${max}`);
  return n;
}

/** "host", "host:port", "[::1]:port" -> parts, with defaults. */
export function parseHostPort(text: string, defPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? parseIntFlag(v6[2], "port", 1, 65535) : defPort };
  const i = text.lastIndexOf(":");
  if (i > 0 && text.indexOf(":") === i) {
    return { host: text.slice(0, i), port: parseIntFlag(text.slice(i + 1), "port", 1, 65535) };
  }
  return { host: text, port: defPort };
}
