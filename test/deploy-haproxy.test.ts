// deploy/haproxy.cfg: HAProxy itself accepts the sample (`haproxy -c`), and it
// keeps what docs/SCALING.md promises: TCP mode, a /readyz health check on the
// metrics port, no cutting of running sessions when a node goes down, and
// client/server timeouts longer than the relay takes to drop a silent client.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const SAMPLE = join(fileURLToPath(new URL("../../", import.meta.url)), "deploy", "haproxy.cfg");

test("deploy/haproxy.cfg is a valid HAProxy configuration", () => {
  const r = spawnSync("haproxy", ["-c", "-f", SAMPLE], { encoding: "utf8" });
  assert.equal(r.error, undefined, "haproxy could not be run; install Debian's haproxy");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Configuration file is valid/);
});

test("deploy/haproxy.cfg balances TCP, checks /readyz on the metrics port and never cuts a draining node's sessions", () => {
  const lines = readFileSync(SAMPLE, "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "");
  assert.ok(lines.includes("mode tcp"));
  assert.ok(lines.includes("option httpchk GET /readyz"));
  assert.ok(lines.includes("http-check expect status 200"));
  assert.match(lines.find((l) => l.startsWith("default-server")) ?? "", /\bcheck port 9464\b/);
  assert.ok(lines.filter((l) => l.startsWith("server ")).length >= 2);
  assert.ok(!lines.some((l) => /on-marked-down\s+shutdown-sessions/.test(l)));
  for (const name of ["client", "server"]) {
    const m = new RegExp(`^timeout ${name} (\\d+)m$`).exec(lines.find((l) => l.startsWith(`timeout ${name} `)) ?? "");
    assert.ok(m && Number(m[1]) * 60 > 4 * 60, `timeout ${name} must outlast the relay's own keepalive verdict (about four 60 s intervals)`);
  }
});
