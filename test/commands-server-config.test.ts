// Configuration of `pqchat server` from flags, PQCHAT_* variables and a TOML
// file (src/commands/server-config.ts), through real processes: precedence shown by
// --print-config and by what a running relay does, and bad values refused
// with one line naming where they came from.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { envNameOf, fileKeyOf, SERVER_OPTION_TABLE } from "../src/commands/server-config.js";
import { DEFAULT_OPTIONS } from "../src/server/options.js";
import { runCli, startServer } from "./helpers/server-process.js";
import { joinClient, S } from "./helpers/scenarios.js";

/** The environment without any PQCHAT_* server setting the test runner might carry. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const ours = new Set(SERVER_OPTION_TABLE.map(envNameOf));
  for (const [k, v] of Object.entries(process.env)) if (!ours.has(k) && k !== "PQCHAT_CONFIG") env[k] = v;
  return { ...env, ...extra };
}

/** `key = value  # source` lines of --print-config. */
function sourcesOf(printed: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of printed.split("\n")) {
    const r = /^([a-z-]+) = .*# (.+)$/.exec(line);
    if (r) m.set(r[1]!, r[2]!);
  }
  return m;
}

describe("server configuration", () => {
  let dir = "";
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pqchat-config-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("every option has a file key and a variable derived from its flag", () => {
    for (const r of SERVER_OPTION_TABLE) {
      assert.match(r.flag, /^--[a-z]+(-[a-z]+)*$/);
      assert.equal(fileKeyOf(r), r.flag.slice(2));
      assert.match(envNameOf(r), /^PQCHAT_[A-Z_]+$/);
    }
    assert.equal(envNameOf(SERVER_OPTION_TABLE.find((r) => r.flag === "--max-clients")!), "PQCHAT_MAX_CLIENTS");
  });

  test("the table covers every server option exactly once, and each default survives format() then parse()", () => {
    // A new option must be a row of SERVER_OPTION_TABLE: that is what gives it a flag, a file key,
    // a variable, --help and --print-config.
    assert.deepEqual(SERVER_OPTION_TABLE.map((r) => r.key).sort(), Object.keys(DEFAULT_OPTIONS).sort());
    for (const r of SERVER_OPTION_TABLE) {
      const printed = (r.format as (v: unknown) => string)(DEFAULT_OPTIONS[r.key]);
      const value = parseToml(`v = ${printed}`)["v"];
      assert.deepEqual(r.parse(String(value), r.flag), DEFAULT_OPTIONS[r.key], r.flag);
    }
  });

  test("--print-config: flags > environment > file > defaults, each value's source named, output reads back as a config file", async () => {
    const cfg = file(
      "layers.toml",
      'max-clients = 10\nport = 1000\nlog-level = "warn"\njoin-wait = "100ms"\nkeepalive-interval = 90\n',
    );
    const env = cleanEnv({ PQCHAT_MAX_CLIENTS: "20", PQCHAT_PORT: "2000", PQCHAT_DRAIN_TIMEOUT: "5s" });
    const r = await runCli(["server", "--config", cfg, "--port", "3000", "--print-config"], 10_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const values = parseToml(r.stdout);
    assert.equal(values["port"], 3000); // flag beats env and file
    assert.equal(values["max-clients"], 20); // env beats file
    assert.equal(values["drain-timeout"], "5s"); // env beats default
    assert.equal(values["log-level"], "warn"); // file beats default
    assert.equal(values["join-wait"], "100ms");
    assert.equal(values["keepalive-interval"], "90s"); // a TOML number is seconds, like a plain flag value
    assert.equal(values["frame-timeout"], "30s"); // default
    const src = sourcesOf(r.stdout);
    assert.equal(src.get("port"), "flag --port");
    assert.equal(src.get("max-clients"), "env PQCHAT_MAX_CLIENTS");
    assert.equal(src.get("log-level"), `file ${cfg}`);
    assert.equal(src.get("frame-timeout"), "default");
    assert.equal(src.size, SERVER_OPTION_TABLE.length);

    // What it printed is a config file that gives the same configuration.
    const again = file("printed.toml", r.stdout);
    const r2 = await runCli(["server", "--print-config"], 10_000, cleanEnv({ PQCHAT_CONFIG: again }));
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(parseToml(r2.stdout), values);
    assert.equal(sourcesOf(r2.stdout).get("port"), `file ${again}`); // PQCHAT_CONFIG named the file
  });

  test("a running relay obeys the winning source: env max-clients beats the file, a flag beats env; file log-format applies", async () => {
    const cfg = file("run.toml", 'max-clients = 4\nlog-format = "json"\n');
    const env = cleanEnv({ PQCHAT_MAX_CLIENTS: "2" });
    const small = await startServer(["--config", cfg], { env });
    try {
      // A pair (nobody waiting, so nobody can make room for a newcomer).
      const a = await joinClient(small, "A", "r1");
      const b = await joinClient(small, "B", "r1");
      const c = await small.connect("C");
      assert.equal(await c.nextText(), S.full); // 2 from the environment, not 4 from the file
      await c.expectClosed();
      a.close();
      b.close();
    } finally {
      await small.stop();
    }
    const lines = small.stderr().trim().split("\n");
    assert.ok(lines.length >= 2);
    for (const l of lines) assert.equal(typeof (JSON.parse(l) as { msg: unknown }).msg, "string", l);

    const big = await startServer(["--config", cfg, "--max-clients", "4"], { env });
    try {
      const a = await joinClient(big, "A", "r1");
      const b = await joinClient(big, "B", "r2");
      const c = await joinClient(big, "C", "r3"); // served: 4 from the flag
      for (const x of [a, b, c]) x.close();
    } finally {
      await big.stop();
    }
  });

  test("bad values: one line naming the source, exit 2, nothing on stdout", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--config", file("odd.toml", "max-clients = 3\n")], {}, /^pqchat: \S+odd\.toml: max-clients: must be an even number/],
      [["--config", file("unknown.toml", "max-clients = 4\nmax-clints = 4\n")], {}, /^pqchat: \S+unknown\.toml: max-clints: unknown setting/],
      [["--config", file("type.toml", "port = [1]\n")], {}, /^pqchat: \S+type\.toml: port: expected a number or a string, got an array/],
      [["--config", file("bool.toml", "log-level = true\n")], {}, /^pqchat: \S+bool\.toml: log-level: expected a string, got a boolean/],
      [["--config", file("table.toml", "[server]\nport = 1\n")], {}, /^pqchat: \S+table\.toml: server: unknown setting/],
      [["--config", file("range.toml", "join-wait = \"1s\"\n")], {}, /^pqchat: \S+range\.toml: join-wait: must be at most 250ms/],
      [["--config", file("syntax.toml", "port = = 1\n")], {}, /^pqchat: \S+syntax\.toml:1:\d+: not valid TOML/],
      [["--config", join(dir, "missing.toml")], {}, /^pqchat: --config \S+missing\.toml: cannot read the file \(ENOENT\)/],
      [[], { PQCHAT_MAX_FRAME: "100" }, /^pqchat: PQCHAT_MAX_FRAME: must be between 8192/],
      [[], { PQCHAT_LOG_FORMAT: "xml" }, /^pqchat: PQCHAT_LOG_FORMAT: expected one of text, json, got "xml"/],
      [[], { PQCHAT_PORT: "" }, /^pqchat: PQCHAT_PORT: expected a whole number/],
      [["--drain-timeout", "soon"], {}, /^pqchat: --drain-timeout: expected a duration/],
      [["--metrics", "localhost"], {}, /^pqchat: --metrics: expected HOST:PORT or PORT/],
    ];
    for (const [args, extra, pattern] of cases) {
      const r = await runCli(["server", ...args, "--port", "0"], 10_000, cleanEnv(extra));
      const what = `${args.join(" ")} ${JSON.stringify(extra)}`;
      assert.equal(r.code, 2, what);
      assert.equal(r.stdout, "", what);
      assert.match(r.stderr, pattern, what);
      assert.equal(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
    }
  });

  test("unrelated PQCHAT_* variables (client settings) are not server settings and are ignored", async () => {
    const r = await runCli(["server", "--print-config"], 10_000, cleanEnv({ PQCHAT_AEAD: "noble", PQCHAT_SOMETHING_ELSE: "x" }));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/env /.test(r.stdout));
  });
});
