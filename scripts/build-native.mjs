// Compiles src/**/native/*.c into Node-API addons next to the compiled
// JavaScript (dist/src/**/native/*.node) with the system C compiler and
// Node's own headers. An addon is an accelerator, never a requirement: when
// there is no compiler, no headers or the build fails, this prints one line
// and pqchat falls back to its WebAssembly code. bench/native/*.c are
// programs (the benchmarks' load generators), built to dist/bench/native/
// the same way and with the same fallback rule.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function* cFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* cFiles(p);
    else if (e.name.endsWith(".c") && dir.endsWith("native")) yield p;
  }
}

/** Node's headers: npm's nodedir, next to this node binary, the usual prefixes, or node-gyp's download cache. */
const includeDir = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
  join(dirname(process.execPath), "..", "include", "node"),
  "/usr/include/node",
  "/usr/local/include/node",
  join(homedir(), ".cache", "node-gyp", process.versions.node, "include", "node"),
].find((d) => d && existsSync(join(d, "node_api.h")));

/** The first C compiler that answers: $CC, then the usual names. */
const cc = [process.env.CC, "cc", "gcc", "clang"].find((c) => c && spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0) ?? "cc";

/** What pqchat does without each addon. */
const FALLBACK = {
  "polyval.c": "AES-GCM-SIV uses the WebAssembly POLYVAL",
  "allocator.c": "big buffers use the C library's default allocation",
  "deflate.c": "gzip uses node:zlib (install libdeflate's headers, e.g. libdeflate-dev, for faster compression)",
  "splice.c": "the relay reads large frames into its pooled buffers instead of splicing them",
  "send-now.c": "the relay copies each small frame it forwards and writes it through Node's stream",
  "message.c": "messages are sealed and opened step by step in TypeScript (install OpenSSL's headers, e.g. libssl-dev, if Node's are missing)",
  "pagecache.c": "received files stay in the page cache until the kernel evicts them",
  "chunk.c": "received file chunks are opened by the TypeScript path and copied into place",
  "blake2b.c": "file hashes use the WebAssembly BLAKE2b (hash-wasm)",
  "pairs-load.c": "bench:server drives its 1,000 pairs with the JavaScript load generator only",
};

/** Libraries an addon links against (its header must be installed too). */
const LIBS = {
  "deflate.c": ["-ldeflate"],
  // dlsym, for OpenSSL's X25519 functions (in the C library itself since glibc 2.34).
  "message.c": ["-ldl"],
  "blake2b.c": ["-ldl"],
  "pairs-load.c": ["-lm"],
};

/**
 * A library an addon also uses where it is installed: the addon is built with
 * `flags` first and, if that fails, without them (the report says which).
 */
const EXTRAS = {
  "deflate.c": {
    name: "isa-l",
    flags: ["-DPQCHAT_IGZIP", "-lisal"],
    without: "gzip has no igzip level (install ISA-L's headers, e.g. libisal-dev, for cheaper compression of text)",
  },
};

function build(src, out, extra = []) {
  if (process.env.PQCHAT_NO_NATIVE) return "PQCHAT_NO_NATIVE is set";
  if (!includeDir) return "Node's headers (node_api.h) were not found";
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, ["-O2", "-std=c11", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-DNAPI_VERSION=8", "-I", includeDir, src, "-o", out, ...extra, ...(LIBS[basename(src)] ?? [])], {
    encoding: "utf8",
  });
  return compilerError(r);
}

/** A bench program: a plain executable, no Node headers. */
function buildProgram(src, out) {
  if (process.env.PQCHAT_NO_NATIVE) return "PQCHAT_NO_NATIVE is set";
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", src, "-o", out, ...(LIBS[basename(src)] ?? [])], { encoding: "utf8" });
  return compilerError(r);
}

/** null when the compiler succeeded, else one line saying why not. */
function compilerError(r) {
  if (r.error) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) return `${cc}: ${(r.stderr.split("\n").find((l) => l.includes("error")) ?? `exit ${r.status}`).trim()}`;
  return null;
}

// The report lets the tests tell "not built here, and why" from "built but broken".
const report = {};
for (const src of cFiles(join(root, "src"))) {
  const out = join(root, "dist", relative(root, src)).replace(/\.c$/, ".node");
  const file = basename(src);
  const extra = EXTRAS[file];
  if (extra && build(src, out, extra.flags) === null) {
    report[file] = { built: true, with: [extra.name] };
    continue;
  }
  const why = build(src, out);
  report[file] = why === null ? { built: true, ...(extra ? { with: [] } : {}) } : { built: false, reason: why };
  if (why !== null) console.log(`pqchat: ${relative(root, src)} not built (${why}); ${FALLBACK[file] ?? "pqchat works without it"}`);
  else if (extra) console.log(`pqchat: ${relative(root, src)} built without ${extra.name}; ${extra.without}`);
}
for (const src of cFiles(join(root, "bench"))) {
  const out = join(root, "dist", relative(root, src)).replace(/\.c$/, "");
  const file = basename(src);
  const why = process.platform === "linux" ? buildProgram(src, out) : "Linux only (epoll)";
  report[file] = why === null ? { built: true } : { built: false, reason: why };
  if (why !== null) console.log(`pqchat: ${relative(root, src)} not built (${why}); ${FALLBACK[file] ?? "pqchat works without it"}`);
}
const reportFile = join(root, "dist", "native-build.json");
mkdirSync(dirname(reportFile), { recursive: true });
writeFileSync(reportFile, JSON.stringify(report, null, 2) + "\n");
