// Disappearing messages in the terminal client: a `--json` peer turns on
// GLOBAL ephemeral mode (what the GUI's switch sends); the terminal client
// honours it. On pipes it marks the messages and says when one expired; on a
// real terminal (tmux) the message is taken off the screen.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { JsonChat, quitAll, sharedRelay, TextChat } from "./helpers/cli-proc.js";
import { MAIN_JS } from "./helpers/server-process.js";

const relay = sharedRelay();
const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex

test("on pipes: the peer's GLOBAL mode is announced, messages are marked [disappearing] and their expiry is reported", async () => {
  const tui = new TextChat([`127.0.0.1:${relay.server.port}`, "--room", "vanish-pipes"]);
  relay.procs.push(tui);
  await tui.line(/waiting for the other person/);
  const peer = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", "vanish-pipes"]);
  relay.procs.push(peer);
  await peer.next("key_exchange_complete");
  await tui.line(/Do they match exactly\?/);
  tui.writeLine("yes");
  tui.writeLine("/ephemeral off 1");
  await tui.line(/^\* disappearing messages off$/);
  await peer.ok("ephemeral", { mode: "GLOBAL" });
  await tui.line(/^! the peer turned on disappearing messages for both of you: messages from now on vanish after 1 s$/);
  await peer.ok("send", { text: "gone soon" });
  await tui.line(/ peer \[disappearing\]: gone soon$/);
  await tui.line(/^\* a disappearing message expired$/);
  tui.writeLine("mine too");
  await tui.line(/ you \[disappearing\]: mine too$/);
  assert.equal((await peer.next("message", { text: "mine too" })).event, "message");
  await tui.line(/^\* a disappearing message expired$/, { from: tui.mark() });
  tui.writeLine("/ephemeral off");
  await tui.line(/^! .*Only the peer who turned on global ephemeral mode can turn it off/);
  await quitAll(tui, peer);
});

test("on a terminal (tmux): an expired message is taken off the screen, the rest stays", async () => {
  const tmux = "/usr/bin/tmux";
  const sock = `pqchat-eph-${process.pid}`;
  const t = (...args: string[]): string => execFileSync(tmux, ["-L", sock, ...args], { encoding: "utf8" });
  const screen = (): string => t("capture-pane", "-p", "-S", "-200", "-t", "cli").replace(ANSI, "");
  const waitScreen = async (pred: (s: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = screen();
      if (pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`screen never showed ${what}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100)); // polling the screen: there is no event to await
    }
  };
  const cmd = [process.execPath, MAIN_JS, "chat", `127.0.0.1:${relay.server.port}`, "--room", "vanish-tty"].map((a) => `'${a}'`).join(" ");
  t("-f", "/dev/null", "new-session", "-d", "-s", "cli", "-x", "100", "-y", "30", "-e", "NO_COLOR=", "-e", "TERM=xterm-256color", `${cmd}; echo EXITED=$?; sleep 60`);
  const peer = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", "vanish-tty"]);
  try {
    await waitScreen((s) => /waiting for the other person/.test(s), "waiting");
    relay.procs.push(peer);
    await peer.next("key_exchange_complete");
    await waitScreen((s) => /\(yes\/no\) >/.test(s), "the verification question");
    t("send-keys", "-t", "cli", "yes", "Enter");
    t("send-keys", "-t", "cli", "/ephemeral off 2", "Enter");
    await peer.ok("send", { text: "this line stays" });
    await waitScreen((s) => /peer(?: \[unverified\])?: this line stays/.test(s), "the lasting message");
    await peer.ok("ephemeral", { mode: "GLOBAL" });
    await peer.ok("send", { text: "secret for two seconds" });
    await waitScreen((s) => /secret for two seconds/.test(s), "the disappearing message");
    const after = await waitScreen((s) => !/secret for two seconds/.test(s), "the message gone");
    assert.match(after, /this line stays/);
    assert.doesNotMatch(after, /secret for two seconds/);
    t("send-keys", "-t", "cli", "/quit", "Enter");
    await waitScreen((s) => /EXITED=0/.test(s), "exit 0");
  } finally {
    try {
      t("kill-server");
    } catch {
      // already gone
    }
    await quitAll(peer);
  }
});
