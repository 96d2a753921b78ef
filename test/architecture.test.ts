// The layer rule of docs/ARCHITECTURE.md is enforced by lint: a wrong import
// is an error, the rule is switched on for every source file, and every layer
// the rule knows is described in the document.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
type LayersModule = { LAYERS: Record<string, unknown>; default: { rules: Record<string, unknown> } };
const layersModule = (await import(new URL("scripts/lint/layers.js", `file://${ROOT}`).href)) as LayersModule;

/** Lints `code` as if it were the file at `path` (relative to the repository), with only the layer rule. */
async function lintAs(path: string, code: string): Promise<string[]> {
  const tsParser = (await import("@typescript-eslint/parser")).default;
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts", "**/*.mts"],
        languageOptions: { parser: tsParser },
        plugins: { architecture: layersModule.default as never },
        rules: { "architecture/layers": "error" },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: ROOT + path });
  return (result?.messages ?? []).map((m) => m.message);
}

test("the protocol may not import the client, the disk or the network", async () => {
  const errors = await lintAs("src/protocol/example.ts", 'import { ClientCore } from "../client/core.js";\nimport { connect } from "node:net";\nimport { open } from "node:fs/promises";\n');
  assert.equal(errors.length, 3, errors.join("\n"));
  assert.match(errors[0]!, /protocol may not import client/);
  assert.match(errors[1]!, /protocol may not use node:net/);
  assert.match(errors[2]!, /protocol may not use node:fs\/promises/);
});

test("inward imports pass; outward ones fail, for every layer pair that matters", async () => {
  assert.deepEqual(await lintAs("src/client/example.ts", 'import { Session } from "../protocol/index.js";\nimport { WorkerPool } from "../io/workers/pool.js";\n'), []);
  assert.match((await lintAs("src/server/example.ts", 'import { ClientCore } from "../client/core.js";\n'))[0] ?? "", /server may not import client/);
  assert.match((await lintAs("src/client/example.ts", 'import { runTui } from "../tui/tui.js";\n'))[0] ?? "", /client may not import tui/);
  assert.match((await lintAs("src/tui/example.ts", 'import { WorkerPool } from "../io/workers/pool.js";\n'))[0] ?? "", /tui may not import io/);
  assert.match((await lintAs("src/io/example.ts", 'import { ClientCore } from "../client/core.js";\n'))[0] ?? "", /io may not import client/);
});

test("the page and the shared display policies run in a browser: no Node built-ins, types only from the client", async () => {
  assert.deepEqual(await lintAs("src/gui/page/example.mts", 'import type { ClientEventMap } from "../../client/events.js";\n'), []);
  assert.match((await lintAs("src/gui/page/example.mts", 'import { ClientCore } from "../../client/core.js";\n'))[0] ?? "", /gui\/page may not import client/);
  assert.match((await lintAs("src/present/example.ts", 'import { readFileSync } from "node:fs";\n'))[0] ?? "", /present may not use node:fs/);
});

test("a file in a folder the architecture does not list is an error", async () => {
  assert.match((await lintAs("src/misc/example.ts", "export const x = 1;\n"))[0] ?? "", /does not list/);
});

test("the project's lint configuration applies the layer rule to every source file", async () => {
  const eslint = new ESLint({ cwd: ROOT });
  for (const file of ["src/protocol/frame.ts", "src/client/core.ts", "src/gui/page/app.mts", "src/commands/main.ts"]) {
    const config = (await eslint.calculateConfigForFile(ROOT + file)) as { rules?: Record<string, unknown> };
    assert.deepEqual(config.rules?.["architecture/layers"], [2], file);
  }
});

test("docs/ARCHITECTURE.md describes every layer the rule knows, and every folder of src/ is a layer", () => {
  const doc = readFileSync(ROOT + "docs/ARCHITECTURE.md", "utf8");
  for (const layer of Object.keys(layersModule.LAYERS)) assert.match(doc, new RegExp(`^### \`src/${layer}\``, "m"), layer);
  for (const dir of readdirSync(ROOT + "src", { withFileTypes: true })) {
    if (dir.isDirectory()) assert.ok(dir.name in layersModule.LAYERS, `src/${dir.name} is not a layer`);
  }
});

/** The tracked text files of the repository (fixtures, the lock file and the word list aside). */
function trackedTextFiles(): string[] {
  return execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && !/package-lock\.json$|^test\/fixtures\/|\.(png|jpg|wasm|node)$|wordlist\.txt$/.test(f));
}

test("no file names an issue number, which no reader of the repository can look up", () => {
  const hits: string[] = [];
  for (const f of trackedTextFiles()) {
    readFileSync(ROOT + f, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/\bissues? #?\d+/i.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(hits, []);
});

test("every § in code and tests says which document it cites (SPEC, WIRE-NOTES, an RFC or a docs/*.md file)", () => {
  const hits: string[] = [];
  const rule = "test/architecture.test.ts"; // this file spells the rule out
  for (const f of trackedTextFiles().filter((f) => f !== rule && /^(src|test|bench|scripts)\/.*\.(ts|mts|mjs|js|c|wat)$/.test(f))) {
    // Comment continuation markers are dropped, so a citation may wrap onto the next line.
    const text = readFileSync(ROOT + f, "utf8").replace(/\n\s*(\/\/|\*|;;)\s?/g, " ");
    for (const m of text.matchAll(/§/g)) {
      const before = text.slice(Math.max(0, m.index - 80), m.index);
      if (!/(SPEC|WIRE-NOTES|RFC ?\d+|FIPS ?\d+|\.md)\b[^()§]*(§[^()]*)?$/.test(before)) hits.push(`${f}: …${text.slice(Math.max(0, m.index - 50), m.index + 8)}`);
    }
  }
  assert.deepEqual(hits, []);
});
