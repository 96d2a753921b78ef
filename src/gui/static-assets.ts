// The page's files, read once at start: only the names in the manifest that
// src/gui/build.mjs wrote are ever served, from memory.
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The compiled page and the copied static files (src/gui/build.mjs). */
export const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export interface Asset {
  body: Buffer;
  type: string;
}

/** Reads every file the page needs once: only these names are ever served. */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const manifest = JSON.parse(await readFile(path.join(STATIC_DIR, "manifest.json"), "utf8")) as string[];
  for (const name of manifest) {
    if (!/^[a-z0-9-]+\.(html|mjs|css|svg)$/.test(name)) continue;
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type) continue;
    assets.set(name, { body: await readFile(path.join(STATIC_DIR, name)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the GUI's page is missing from ${STATIC_DIR} (run npm run build)`);
  return assets;
}
