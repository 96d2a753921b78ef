// The two load generators of the 1,000-pair rows and one way to run either:
// "c" (bench/native/pairs-load.c, built by scripts/build-native.mjs where a C
// compiler exists) and "js" (bench/server-load.ts, mode "pairs"). Same traffic,
// same RESULT fields; the C one takes less of the CPU the relay runs on when
// both share one machine.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encryptedLike, frameOf, INIT, KEEPALIVE_RESPONSE, RESPONSE } from "./load-frames.js";

export type PairsGenerator = "c" | "js";

export interface PairsConfig {
  port: number;
  /** The relay process whose CPU per relayed frame is measured (0: none). */
  relayPid: number;
  pairs: number;
  frameBytes: number;
  /** Frames in flight per direction in the saturated phase. */
  window: number;
  warmupSeconds: number;
  seconds: number;
  ratePerClient: number;
  rateSeconds: number;
}

const LOAD_JS = fileURLToPath(new URL("./server-load.js", import.meta.url));
/** dist/bench/native/pairs-load, next to this compiled file. */
export const C_GENERATOR = fileURLToPath(new URL("./native/pairs-load", import.meta.url));
const BUILD_REPORT = fileURLToPath(new URL("../native-build.json", import.meta.url));

/** Whether the C generator was built here, and if not the build's reason. */
export function cGeneratorBuilt(): { built: boolean; reason: string } {
  let entry: { built: boolean; reason?: string } | undefined;
  try {
    entry = (JSON.parse(readFileSync(BUILD_REPORT, "utf8")) as Record<string, { built: boolean; reason?: string }>)["pairs-load.c"];
  } catch {
    return { built: false, reason: "dist/native-build.json is missing (run npm run build)" };
  }
  if (entry === undefined) return { built: false, reason: "pairs-load.c is not in dist/native-build.json" };
  if (entry.built && !existsSync(C_GENERATOR)) return { built: false, reason: `${C_GENERATOR} is missing` };
  return { built: entry.built, reason: entry.reason ?? "" };
}

/** The generator's arguments: the C one takes flags and its frames on stdin, the JS one a JSON config. */
function commandOf(gen: PairsGenerator, cfg: PairsConfig): { file: string; args: string[]; stdin: Buffer | null } {
  if (gen === "js") return { file: process.execPath, args: [LOAD_JS, "pairs", JSON.stringify(cfg)], stdin: null };
  const flags: [string, number][] = [
    ["port", cfg.port], ["relay-pid", cfg.relayPid], ["pairs", cfg.pairs], ["window", cfg.window],
    ["warmup-seconds", cfg.warmupSeconds], ["seconds", cfg.seconds], ["rate-per-client", cfg.ratePerClient], ["rate-seconds", cfg.rateSeconds],
  ];
  const frames = Buffer.concat([INIT, RESPONSE, frameOf(encryptedLike(cfg.frameBytes)), KEEPALIVE_RESPONSE]);
  return { file: C_GENERATOR, args: flags.map(([k, v]) => `--${k}=${v}`), stdin: frames };
}

/** Runs one generator to completion and returns its RESULT object (its progress goes to our stderr). */
export async function runPairsLoad(gen: PairsGenerator, cfg: PairsConfig, timeoutMs = 180_000): Promise<Record<string, unknown>> {
  const { file, args, stdin } = commandOf(gen, cfg);
  const proc = spawn(file, args, { stdio: ["pipe", "pipe", "inherit"] });
  proc.stdin.on("error", () => {}); // a generator that died early is reported by its exit code
  proc.stdin.end(stdin ?? undefined);
  let out = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [code, signal] = (await once(proc, "exit")) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  const m = /^RESULT (.*)$/m.exec(out);
  if (code !== 0 || !m) throw new Error(`${gen} pairs load generator failed (${signal !== null ? `killed by ${signal}` : `exit ${code}`})`);
  return JSON.parse(m[1]!) as Record<string, unknown>;
}
