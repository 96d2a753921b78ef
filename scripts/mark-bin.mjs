// tsc writes every output file with mode 644; the package's bin entries must
// stay executable so `npx pqchat` (and `./dist/src/commands/main.js`) run from a checkout.
import { chmodSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
for (const file of Object.values(pkg.bin ?? {})) chmodSync(new URL(`../${file}`, import.meta.url), 0o755);
