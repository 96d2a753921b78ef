// Reads one counter or gauge from a relay started with `--metrics HOST:0`
// (the port it chose is on its "metrics on HOST:PORT" line).
import assert from "node:assert/strict";
import type { ServerHandle } from "./server-process.js";

/** The value of metric `name` (a sample without labels) on the server's /metrics. */
export async function metric(server: ServerHandle, name: string): Promise<number> {
  const m = /^metrics on (\S+)$/m.exec(server.stdout());
  assert.ok(m, `no metrics line in ${JSON.stringify(server.stdout())}`);
  const text = await (await fetch(`http://${m[1]}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  assert.ok(line, `${name} in /metrics`);
  return Number(line[1]);
}
