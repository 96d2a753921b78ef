// Build step for the GUI page, after `tsc -p tsconfig.gui.json` compiled
// src/gui/page/*.mts (and the src/present modules they import) into
// dist/gui-page/. It puts into dist/src/gui/static/ exactly what the bridge
// serves, and lists it in manifest.json (the only files it will ever serve):
//   - the static files (html, css, svg),
//   - the page's modules reachable from its entry points (type-only modules,
//     such as wire.mts, compile to nothing and are left out),
//   - the src/present modules they import, as NAME.mjs beside them: the page
//     runs the very policy code the terminal client runs (src/present has no
//     imports outside itself, so its modules need nothing else).
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const staticSrc = fileURLToPath(new URL("./static/", import.meta.url));
const compiled = fileURLToPath(new URL("../../dist/gui-page/", import.meta.url));
const out = fileURLToPath(new URL("../../dist/src/gui/static/", import.meta.url));
/** The page's entry points: index.html loads app.mjs; call-audio.mts loads the worklet with addModule(). */
const ROOTS = ["app.mjs", "call-worklet.mjs"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const names = [];
for (const f of readdirSync(staticSrc)) {
  if (!/^[a-z0-9-]+\.(html|css|svg)$/.test(f)) continue;
  copyFileSync(staticSrc + f, out + f);
  names.push(f);
}

/** A static import or re-export at the start of a line (tsc writes one per line; strings and comments cannot match). */
const IMPORT = /^((?:import|export)\b[^'";]*?\bfrom\s*|import\s*)(["'])([^"']+)\2/gm;

/** Rewrites a module's import specifiers to the flat static folder; fails on any it cannot place. */
function relink(file, code) {
  return code.replace(IMPORT, (_m, kw, q, spec) => {
    let name = /^\.\/([a-z0-9-]+)\.mjs$/.exec(spec)?.[1];
    name ??= /^(?:\.\.\/\.\.\/present|\.)\/([a-z0-9-]+)\.js$/.exec(spec)?.[1];
    if (!name) throw new Error(`${file}: cannot serve the import of ${spec}`);
    return `${kw}${q}./${name}.mjs${q}`;
  });
}

/** The compiled source of a served module: the page's own, or a src/present one. */
function source(name) {
  for (const dir of ["gui/page/", "present/"]) {
    for (const ext of [".mjs", ".js"]) {
      try {
        return { file: dir + name + ext, code: readFileSync(compiled + dir + name + ext, "utf8") };
      } catch {
        /* try the next place */
      }
    }
  }
  throw new Error(`the page imports ${name}, which was not compiled (run tsc -p tsconfig.gui.json)`);
}

const seen = new Set();
const queue = ROOTS.map((r) => r.replace(/\.mjs$/, ""));
while (queue.length > 0) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  const { file, code } = source(name);
  const linked = relink(file, code).replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");
  for (const m of linked.matchAll(IMPORT)) queue.push(m[3].slice(2, -4));
  writeFileSync(`${out}${name}.mjs`, linked);
  names.push(`${name}.mjs`);
}
names.sort();
writeFileSync(out + "manifest.json", JSON.stringify(names, null, 1) + "\n");
