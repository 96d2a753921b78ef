// The calling thread's CPU clock (src/io/thread-cpu.ts): it advances by about
// the CPU a busy loop used, and not while the thread sleeps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { threadCpuSeconds } from "../src/io/thread-cpu.js";

test("the thread's CPU clock counts work, not waiting", async () => {
  const a = threadCpuSeconds();
  const spinUntil = process.cpuUsage();
  let x = 0;
  while (process.cpuUsage(spinUntil).user < 200_000) x += Math.sqrt(x + 1);
  const b = threadCpuSeconds();
  assert.ok(x > 0);
  assert.ok(b - a >= 0.1, `a 200 ms busy loop advanced the clock by ${(b - a).toFixed(3)} s`);
  await sleep(300);
  const c = threadCpuSeconds();
  assert.ok(c - b < 0.15, `300 ms of sleep advanced it by ${(c - b).toFixed(3)} s`);
});
