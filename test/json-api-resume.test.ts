// Resumable transfers through real processes (docs/PROTOCOL-EXTENSIONS.md §5):
// the acceptance scenario of test/helpers/resume-scenario.ts with a 256 MiB
// file, as in the acceptance run: the relay is killed when the receiver's
// progress events (one per 100 ms, read by this process) pass 40 %, and at
// ~140 MiB/s the rest of a 64 MiB file could arrive before a loaded test
// process got there — two `pqchat chat --json` clients, the relay killed with SIGKILL at
// 40 % and restarted on the same port 1 s later; the receiver gets
// file_received with hash_ok and resumed_from of at least 25 % of the file,
// with no command sent after the restart (both clients reconnect by themselves).
// `npm run bench:resume` runs the same scenario and prints its figures.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runResumeScenario } from "./helpers/resume-scenario.js";

const SIZE = 256 * 1024 * 1024;

test("relay killed at 40 % of a 256 MiB transfer and restarted: the file arrives whole, resumed", { timeout: 300_000 }, async () => {
  const r = await runResumeScenario({ sizeBytes: SIZE, killAt: 0.4, restartDelayMs: 1000, deadlineMs: 90_000 });
  assert.equal(r.received["hash_ok"], true);
  assert.equal(r.received["size"], SIZE);
  const resumedFrom = Number(r.received["resumed_from"]);
  assert.ok(resumedFrom >= 0.25 * SIZE, `resumed_from ${resumedFrom} is under 25 % of ${SIZE}`);
  assert.ok(resumedFrom < SIZE, "something was left to send after the restart");
  assert.ok(r.killedAtBytes >= 0.4 * SIZE);
  assert.equal(r.commandsAfterRestart, 0, "both clients reconnected by themselves; no command after the restart");
});
