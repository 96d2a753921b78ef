// The resumable-transfer acceptance run (docs/PROTOCOL-EXTENSIONS.md §5):
// a 256 MiB random file between two `pqchat chat --json` clients through
// `pqchat server`; the relay is killed with SIGKILL at ~40 % and restarted on
// the same port 1 s later. Prints how long the file took after the restart
// (target: within 90 s) and how much of it was kept (target: resumed_from at
// least 25 % of the file). `npm run bench:resume [-- MiB]`.
import { runResumeScenario } from "../test/helpers/resume-scenario.js";

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 256);
if (!Number.isInteger(sizeMiB) || sizeMiB < 1) {
  process.stderr.write("usage: node dist/bench/resume.js [MiB]\n");
  process.exit(2);
}
const size = sizeMiB * MiB;
const r = await runResumeScenario({ sizeBytes: size, killAt: 0.4, restartDelayMs: 1000, deadlineMs: 90_000 });
const resumedFrom = Number(r.received["resumed_from"] ?? 0);
const lines = [
  `resume: ${sizeMiB} MiB random file, relay SIGKILLed at ${((100 * r.killedAtBytes) / size).toFixed(1)} % and restarted 1 s later`,
  `  hash_ok                 ${String(r.received["hash_ok"])}  (target: true)`,
  `  resumed_from            ${(resumedFrom / MiB).toFixed(1)} MiB = ${((100 * resumedFrom) / size).toFixed(1)} %  (target: >= 25 %)`,
  `  restart -> file_received ${(r.afterRestartMs / 1000).toFixed(1)} s  (target: <= 90 s)`,
  `  whole transfer          ${(r.totalMs / 1000).toFixed(1)} s`,
  `  commands after restart  ${r.commandsAfterRestart}  (target: 0; 2 = this build reconnects only by command)`,
];
process.stdout.write(lines.join("\n") + "\n");
