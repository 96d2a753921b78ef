// deploy/: the systemd unit is valid for systemd (systemd-analyze verify,
// where the tool exists) and carries the hardening the README promises; the
// example configuration is one `pqchat server` accepts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { MAIN_JS, runCli } from "./helpers/server-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const UNIT = join(ROOT, "deploy", "pqchat-server.service");
const EXAMPLE = join(ROOT, "deploy", "pqchat-server.toml");

/** A systemd unit file as sections of key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const sec = /^\[([A-Za-z]+)\]$/.exec(line);
    if (sec) {
      current = new Map();
      sections.set(sec[1]!, current);
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    assert.ok(kv && current, `line ${i + 1} is neither a section, a key=value nor a comment: ${raw}`);
    const list = current.get(kv[1]!) ?? [];
    list.push(kv[2]!);
    current.set(kv[1]!, list);
  });
  return sections;
}

const durationSeconds = (v: string): number => {
  const m = /^(\d+)(s|min)?$/.exec(v);
  assert.ok(m, v);
  return Number(m[1]) * (m[2] === "min" ? 60 : 1);
};

test("the unit parses as INI and names the hardening keys", () => {
  const unit = parseUnit(readFileSync(UNIT, "utf8"));
  assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
  const svc = unit.get("Service")!;
  const one = (k: string): string => {
    const v = svc.get(k);
    assert.ok(v !== undefined && v.length === 1, `[Service] ${k} set once`);
    return v[0]!;
  };
  assert.equal(one("DynamicUser"), "yes");
  assert.equal(one("ProtectSystem"), "strict");
  assert.equal(one("NoNewPrivileges"), "yes");
  assert.equal(one("CapabilityBoundingSet"), ""); // empty: no capabilities at all
  assert.equal(one("AmbientCapabilities"), "");
  assert.equal(one("RestrictAddressFamilies"), "AF_INET AF_INET6 AF_UNIX");
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("ProtectHome"), "yes");
  assert.equal(one("PrivateTmp"), "yes");
  // V8's JIT cannot run under it (see the comment in the unit).
  assert.equal(svc.has("MemoryDenyWriteExecute"), false);
  assert.equal(unit.get("Install")!.get("WantedBy")?.[0], "multi-user.target");

  // The unit reads the example configuration's installed path, and gives the drain time to finish.
  const exec = one("ExecStart");
  assert.match(exec, /^\/usr\/local\/bin\/pqchat server --config \/etc\/pqchat\/pqchat-server\.toml$/);
  const example = parseToml(readFileSync(EXAMPLE, "utf8"));
  const drain = durationSeconds(String(example["drain-timeout"]));
  assert.ok(durationSeconds(one("TimeoutStopSec")) > drain, "TimeoutStopSec must exceed drain-timeout");
});

test("the example configuration is accepted as it is", async () => {
  const r = await runCli(["server", "--config", EXAMPLE, "--print-config"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^max-clients = 2000 +# file /m);
  assert.match(r.stdout, /^metrics = "127\.0\.0\.1:9464" +# file /m);
});

test("systemd-analyze verify: no complaint about the unit; a misspelt key is reported (the check can fail)", (t) => {
  const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined) {
    // Not skipped silently: the INI test above still checked the unit; say what was not run.
    t.diagnostic("systemd-analyze is not installed: only the INI checks ran (apt-get install systemd to run verify)");
    assert.equal((probe.error as NodeJS.ErrnoException).code, "ENOENT");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "pqchat-unit-"));
  try {
    // pqchat is not installed at /usr/local/bin here; verify checks that ExecStart's
    // binary exists, so this copy points at this checkout's CLI (executable, with a shebang).
    const text = readFileSync(UNIT, "utf8").replaceAll("/usr/local/bin/pqchat", MAIN_JS);
    const verify = (name: string, body: string): string => {
      const p = join(dir, name);
      writeFileSync(p, body);
      const r = spawnSync("systemd-analyze", ["verify", p], { encoding: "utf8" });
      assert.equal(r.error, undefined);
      // verify exits 0 for some problems ("ignoring"): its output is what matters.
      return (r.stdout + r.stderr).split("\n").filter((l) => l.includes(name)).join("\n");
    };
    assert.equal(verify("pqchat-server.service", text), "");
    const bad = verify("pqchat-broken.service", text.replace("NoNewPrivileges=yes", "NoNewPrivilegs=yes"));
    assert.match(bad, /Unknown key 'NoNewPrivilegs'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
