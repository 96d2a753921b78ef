// Byte counts and transfer rates as every view shows them (terminal, JSON API
// diagnostics, GUI page, and the client's own error texts such as "not enough
// free space"). One labelling: sizes are 1024-based and say so (KiB, MiB, GiB,
// TiB, PiB); rates are decimal megabytes per second, as download tools show.
// No imports and no Node built-ins: the GUI page loads this compiled module.

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Bytes for a reader: "512 B", "1.5 KiB", "24 MiB", "74 GiB"; "?" for a count that is not a size. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[i]}`;
}

/** Bytes per second -> "12.3 MB/s" (decimal megabytes, as transfer rates usually are); "-- MB/s" when unknown. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "-- MB/s";
  const mb = bytesPerSecond / 1e6;
  return `${mb < 10 ? mb.toFixed(2) : mb.toFixed(1)} MB/s`;
}
