// Unit tests of the terminal's slash-command table (src/tui/slash-commands.ts)
// and of the offers it answers (src/tui/transfers.ts). The client behind them
// is a recording stand-in; tui-session runs the real terminal client.
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { test } from "node:test";
import type { ClientApi } from "../src/client/api.js";
import type { FileInfo } from "../src/client/events.js";
import { TuiCommandError, type TuiCommandErrorKind } from "../src/tui/errors.js";
import { palette } from "../src/tui/format.js";
import { findSlashCommand, HELP_LINES, SLASH_COMMANDS, type SlashContext } from "../src/tui/slash-commands.js";
import { TransferList } from "../src/tui/transfers.js";

function offer(id: string, filename = "report.pdf"): FileInfo {
  return { transfer_id: id, filename, file_size: 10, file_hash: "00", total_chunks: 1, compressed: false, processed_size: 10 };
}

function harness() {
  const calls: unknown[][] = [];
  const printed: string[] = [];
  const core = new Proxy({} as ClientApi, {
    get: (_t, name: string) =>
      (...args: unknown[]) => {
        calls.push([name, ...args]);
        if (name === "sendFile") return Promise.resolve({ ...offer("f1", "x.bin") });
        return undefined;
      },
  });
  const transfers = new TransferList();
  const ctx: SlashContext = {
    core,
    p: palette(false),
    transfers,
    print: (lines) => void printed.push(...lines),
    info: (t) => void printed.push("* " + t),
    askVerify: (full) => void calls.push(["askVerify", full]),
    panic: () => void calls.push(["panic"]),
    quit: async (code) => void calls.push(["quit", code]),
  };
  const run = (line: string): void | Promise<void> => {
    const m = /^\/(\S+)\s*([\s\S]*)$/.exec(line)!;
    return findSlashCommand(m[1]!).run(m[2] ?? "", ctx);
  };
  return { calls, printed, transfers, run };
}

async function refusedWith(kind: TuiCommandErrorKind, fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof TuiCommandError, String(err));
    assert.equal(err.kind, kind);
    return err.message;
  }
  assert.fail(`expected a ${kind} refusal`);
}

test("/help lists the table, word for word as the terminal always showed it", () => {
  assert.deepEqual(HELP_LINES, [
    "Commands:",
    "  /help              this list",
    "  /verify            show the session's eight words again and answer whether they match",
    "  /verify full       the same, with the whole fingerprint (64 hex digits) to compare for more certainty",
    "  /file PATH         offer a file to the peer",
    "  /accept [ID]       accept an incoming file (ID only needed when several are pending)",
    "  /reject [ID]       reject an incoming file",
    "  /rekey             replace the session keys now",
    "  /nick NAME         set your nickname (shown to the peer once they verified you)",
    "  /ephemeral on [S]  disappearing messages for both of you: gone after S seconds (default 30)",
    "  /ephemeral local [S] disappearing messages on this side only",
    "  /ephemeral off     messages stay (only the side that turned them on for both can turn them off)",
    "  /panic             emergency close: wipe the session on both sides at once (hotkey Ctrl-X)",
    "  /cancel            while reconnecting: stop trying and leave (as /quit)",
    "  /quit              leave (also Ctrl-C, or Ctrl-D on an empty line)",
    "Any other line is sent as a message; start it with // to send a line beginning with /.",
  ]);
  const h = harness();
  void h.run("/help");
  assert.deepEqual(h.printed, HELP_LINES);
});

test("aliases, and unknown commands refused in plain words (sanitised)", async () => {
  assert.equal(findSlashCommand("?"), SLASH_COMMANDS.help);
  assert.equal(findSlashCommand("exit"), SLASH_COMMANDS.quit);
  assert.equal(await refusedWith("unknown_command", () => findSlashCommand("frob\x1b[2J")), "unknown command /frob^[[2J (try /help)");
  assert.equal(await refusedWith("unknown_command", () => findSlashCommand("toString")), "unknown command /toString (try /help)");
});

test("usage errors carry the kind usage", async () => {
  const h = harness();
  assert.equal(await refusedWith("usage", () => h.run("/verify twice")), "usage: /verify [full]");
  assert.equal(await refusedWith("usage", () => h.run("/nick   ")), "usage: /nick NAME");
  assert.equal(await refusedWith("usage", () => h.run('/file ""')), "usage: /file PATH");
  assert.deepEqual(h.calls, []);
});

test("the client calls behind the commands", async () => {
  const h = harness();
  await h.run("/verify FULL");
  await h.run("/verify");
  await h.run("/file 'my file.txt'");
  await h.run("/file ~/notes.txt");
  await h.run("/rekey");
  await h.run("/nick  bob ");
  await h.run("/panic");
  await h.run("/quit");
  assert.deepEqual(h.calls, [
    ["askVerify", true],
    ["askVerify", false],
    ["sendFile", resolve(process.cwd(), "my file.txt")],
    ["sendFile", homedir() + "/notes.txt"],
    ["rekey"],
    ["setNickname", "bob"],
    ["panic"],
    ["quit", 0],
  ]);
  assert.deepEqual(h.printed, ['* your nickname is now "bob"']);
  assert.equal(h.transfers.transfers.get("f1")?.status, "offered", "an offered file shows in the transfer list at once");
});

test("/accept and /reject: the only offer, an id prefix, several offers, none", async () => {
  const h = harness();
  assert.equal(await refusedWith("no_offer", () => h.run("/accept")), "no file offer is waiting for an answer");
  h.transfers.offers.set("aaaa1111bbbb2222", offer("aaaa1111bbbb2222"));
  await h.run("/accept");
  h.transfers.offers.set("aaaa9999cccc3333", offer("aaaa9999cccc3333"));
  assert.equal(await refusedWith("ambiguous_offer", () => h.run("/reject")), "2 offers are waiting; give the ID: aaaa1111, aaaa9999");
  assert.equal(await refusedWith("ambiguous_offer", () => h.run("/reject aaaa")), '"aaaa" matches several offers; give more of the ID');
  await h.run("/reject aaaa9 not now");
  await h.run("/accept ffff"); // unknown: the client decides
  assert.deepEqual(h.calls, [
    ["acceptFile", "aaaa1111bbbb2222"],
    ["rejectFile", "aaaa9999cccc3333", "not now"],
    ["acceptFile", "ffff"],
  ]);
});

test("a transfer's name in sentences is made safe, or its short id when unknown", () => {
  const t = new TransferList();
  t.add(offer("abcdef0123456789", "evil\u202etxt.exe"), "in");
  assert.equal(t.fileName("abcdef0123456789"), '"evil<U+202E>txt.exe"');
  assert.equal(t.fileName("0123456789abcdef"), "transfer 01234567");
  t.end("abcdef0123456789");
  assert.equal(t.transfers.size, 0);
});
