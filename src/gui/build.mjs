// Build step for the GUI page (after `tsc -p tsconfig.gui.json` compiled
// src/gui/page/*.mts into dist/src/gui/static/): copies the static files next
// to the compiled modules and writes manifest.json, the only files the bridge
// will ever serve.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("./static/", import.meta.url));
const out = fileURLToPath(new URL("../../dist/src/gui/static/", import.meta.url));
mkdirSync(out, { recursive: true });
const names = [];
for (const f of readdirSync(src)) {
  if (!/^[a-z0-9-]+\.(html|css|svg)$/.test(f)) continue;
  copyFileSync(src + f, out + f);
  names.push(f);
}
// The display policy shared with the terminal client (src/present/display-text.ts,
// compiled by the main tsc run; it has no imports), served as one of the page's modules.
const shared = readFileSync(fileURLToPath(new URL("../../dist/src/present/display-text.js", import.meta.url)), "utf8");
writeFileSync(out + "display-text.mjs", shared.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n"));
for (const f of readdirSync(out)) {
  // wire.mjs holds only types (erased): nothing imports it at run time.
  if (/^[a-z0-9-]+\.mjs$/.test(f) && f !== "wire.mjs") names.push(f);
}
names.sort();
writeFileSync(out + "manifest.json", JSON.stringify(names, null, 1) + "\n");
