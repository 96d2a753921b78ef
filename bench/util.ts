// Small helpers for the benchmarks: medians and a plain table.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs fn repeatedly for ~ms milliseconds per sample and returns ops/s per sample. */
export function rate(fn: () => void, opts: { samples?: number; ms?: number } = {}): number[] {
  const out: number[] = [];
  const samples = opts.samples ?? 5;
  const ms = opts.ms ?? 400;
  fn(); // warm-up
  for (let s = 0; s < samples; s++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      fn();
      n++;
      t = performance.now();
    }
    out.push((n * 1000) / (t - t0));
  }
  return out;
}

export interface Row {
  name: string;
  value: string;
  target?: string;
  reference?: string;
}

export function printTable(title: string, rows: Row[]): void {
  const head: Row = { name: "measure", value: "median", target: "target", reference: "same-run reference" };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? "").length));
  const line = (r: Row) =>
    `${r.name.padEnd(w("name"))}  ${r.value.padStart(w("value"))}  ${(r.target ?? "").padEnd(w("target"))}  ${r.reference ?? ""}`;
  process.stdout.write(`\n${title}\n${line(head)}\n${"-".repeat(line(head).length)}\n`);
  for (const r of rows) process.stdout.write(line(r) + "\n");
}

export const mb = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(0)} MB/s`;
