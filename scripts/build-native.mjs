// Compiles src/**/native/*.c into Node-API addons next to the compiled
// JavaScript (dist/src/**/native/*.node) with the system C compiler and
// Node's own headers. An addon is an accelerator, never a requirement: when
// there is no compiler, no headers or the build fails, this prints one line
// and pqchat falls back to its WebAssembly code.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function* cFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* cFiles(p);
    else if (e.name.endsWith(".c") && dir.endsWith("native")) yield p;
  }
}

const includeDir = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
  join(dirname(process.execPath), "..", "include", "node"),
  "/usr/include/node",
  "/usr/local/include/node",
].find((d) => d && existsSync(join(d, "node_api.h")));

/** The first C compiler that answers: $CC, then the usual names. */
const cc = [process.env.CC, "cc", "gcc", "clang"].find((c) => c && spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0) ?? "cc";
for (const src of cFiles(join(root, "src"))) {
  const out = join(root, "dist", relative(root, src)).replace(/\.c$/, ".node");
  const name = relative(root, src);
  if (process.env.PQCHAT_NO_NATIVE) {
    console.log(`pqchat: ${name} not built (PQCHAT_NO_NATIVE is set); the WebAssembly fallback is used`);
    continue;
  }
  if (!includeDir) {
    console.log(`pqchat: ${name} not built (Node's headers, node_api.h, were not found); the WebAssembly fallback is used`);
    continue;
  }
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, ["-O2", "-std=c11", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-DNAPI_VERSION=8", "-I", includeDir, src, "-o", out], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.split("\n").find((l) => l.includes("error")) ?? `exit ${r.status}`);
    console.log(`pqchat: ${name} not built (${cc}: ${why.trim()}); the WebAssembly fallback is used`);
  }
}
