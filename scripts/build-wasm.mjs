// Assembles the hand-written WebAssembly text files in src/**/wasm/*.wat into
// .wasm binaries next to the compiled JavaScript (dist/src/**/wasm/).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import initWabt from "wabt";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wabt = await initWabt();

function* watFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* watFiles(p);
    else if (e.name.endsWith(".wat")) yield p;
  }
}

for (const src of watFiles(join(root, "src"))) {
  const mod = wabt.parseWat(src, readFileSync(src, "utf8"));
  mod.validate();
  const { buffer } = mod.toBinary({ log: false });
  mod.destroy();
  const out = join(root, "dist", relative(root, src)).replace(/\.wat$/, ".wasm");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, buffer);
}
