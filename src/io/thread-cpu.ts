// CPU time of the calling thread, for decisions that depend on whether this
// thread is the bottleneck (client/open-placement.ts). Node 20 has no
// per-thread CPU clock, so on Linux it is the first field of
// /proc/thread-self/schedstat (nanoseconds on a CPU); elsewhere, or if that
// file cannot be read, the whole process's user + system time stands in
// (an overestimate when other threads are busy too).
import { readFileSync } from "node:fs";

let schedstat = process.platform === "linux";

/** Seconds of CPU this thread has used so far (see above for the fallback). */
export function threadCpuSeconds(): number {
  if (schedstat) {
    try {
      const ns = Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ", 1)[0]);
      if (Number.isFinite(ns)) return ns / 1e9;
    } catch {
      // not mounted, or not this kernel's format: use the process clock from now on
    }
    schedstat = false;
  }
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
