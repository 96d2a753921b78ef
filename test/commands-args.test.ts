// Unit tests of the command line's shared parsing (src/commands/args.ts):
// every refusal is a UsageError with a kind (exit status 2), and node:util
// parseArgs errors become one short line. A real process proves the exit.
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { test } from "node:test";
import { parseDuration, parseHostPort, parseIntFlag, parseSize, UsageError, type UsageErrorKind, usageFromParseArgs } from "../src/commands/args.js";
import { parseChatArgs } from "../src/commands/chat.js";
import { parseGuiArgs } from "../src/commands/gui.js";
import { runCli } from "./helpers/server-process.js";

function usage(fn: () => unknown): { kind: UsageErrorKind; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return { kind: err.kind, message: err.message };
  }
  assert.fail("expected a UsageError");
}

function parseArgsError(args: string[], allowPositionals = false): unknown {
  try {
    parseArgs({ args, allowPositionals, strict: true, options: { port: { type: "string" }, open: { type: "boolean" } } });
  } catch (err) {
    return err;
  }
  assert.fail("expected parseArgs to refuse " + args.join(" "));
}

test("values: durations, sizes, whole numbers, host:port", () => {
  assert.equal(parseDuration("200ms", "--x"), 200);
  assert.equal(parseDuration("1.5", "--x"), 1500);
  assert.equal(parseSize("2MiB", "--x"), 2 * 1024 * 1024);
  assert.equal(parseIntFlag("9", "--x", 0, 9), 9);
  assert.deepEqual(parseHostPort("[::1]:99", 1), { host: "::1", port: 99 });
  assert.deepEqual(usage(() => parseDuration("soon", "--x")), { kind: "bad_value", message: '--x: expected a duration such as 200ms, 60s or 5m, got "soon"' });
  assert.equal(usage(() => parseIntFlag("10", "--gzip-level", 0, 9)).kind, "bad_value");
  assert.equal(usage(() => parseHostPort("h:0", 1)).message, "port: must be between 1 and 65535");
});

test("parseArgs errors: unknown option, missing value, unexpected argument — one line each, with a kind", () => {
  assert.deepEqual(usageFromParseArgs(parseArgsError(["--prot", "1"]), "gui"), new UsageError("unknown option --prot (try 'pqchat gui --help')", "unknown_option"));
  const missing = usageFromParseArgs(parseArgsError(["--port"]), "gui");
  assert.deepEqual([missing.kind, missing.message], ["missing_value", "--port needs a value"]);
  const extra = usageFromParseArgs(parseArgsError(["here"]), "gui");
  assert.equal(extra.kind, "too_many_arguments");
  assert.match(extra.message, /^[^\n]+ \(try 'pqchat gui --help'\)$/);
});

test("chat and gui flags: kinds of their refusals", async () => {
  assert.equal(usage(() => parseChatArgs(["--bogus"])).kind, "unknown_option");
  assert.equal(usage(() => parseChatArgs(["a", "b"])).kind, "too_many_arguments");
  assert.equal(usage(() => parseChatArgs(["--room", "no spaces"])).message, "--room: 1 to 64 characters of A-Z a-z 0-9 _ -");
  assert.equal(usage(() => parseChatArgs(["--nick"])).kind, "missing_value");
  assert.equal(usage(() => parseGuiArgs(["--bogus"])).message, "unknown option --bogus (try 'pqchat gui --help')");
});

test("a bad flag of pqchat gui: one line on stderr, exit status 2", async () => {
  const r = await runCli(["gui", "--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "pqchat: unknown option --bogus (try 'pqchat gui --help')\n");
  assert.equal(r.stdout, "");
});

test("a bad flag of pqchat selftest is bad usage too: exit status 2, not a crash", async () => {
  const r = await runCli(["selftest", "--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "pqchat: unknown option --bogus (try 'pqchat selftest --help')\n");
});

test("reconnect flags: defaults, bounds, off, and refusals (pqchat chat and pqchat gui alike)", () => {
  assert.equal(parseChatArgs(["--json"])?.options.reconnect, undefined);
  assert.deepEqual(parseChatArgs(["--json", "--reconnect-attempts", "5"])?.options.reconnect, { attempts: 5 });
  assert.deepEqual(parseChatArgs(["--json", "--reconnect-for", "90s"])?.options.reconnect, { forMs: 90_000 });
  assert.deepEqual(parseChatArgs(["--json", "--reconnect-for", "off", "--reconnect-attempts", "3"])?.options.reconnect, { attempts: 3, forMs: 0 });
  assert.equal(parseChatArgs(["--json", "--no-reconnect"])?.options.reconnect, false);
  assert.equal(parseGuiArgs(["--no-reconnect"])?.reconnect, false);
  assert.deepEqual(parseGuiArgs(["--reconnect-attempts", "7"])?.reconnect, { attempts: 7 });
  assert.equal(parseGuiArgs([])?.reconnect, undefined);
  assert.match(usage(() => parseChatArgs(["--reconnect-attempts", "0"])).message, /--reconnect-attempts: must be between 1/);
  assert.match(usage(() => parseChatArgs(["--reconnect-for", "later"])).message, /--reconnect-for: expected a duration/);
  assert.match(usage(() => parseGuiArgs(["--no-reconnect", "--reconnect-for", "1m"])).message, /cannot be combined/);
});
