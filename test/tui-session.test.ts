// The terminal client `pqchat chat` against a `--json` peer through a real
// `pqchat server`: on pipes (plain lines), and once on a real terminal (tmux).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MAIN_JS, startServer, type ServerHandle } from "./helpers/server-process.js";
import { JsonChat, quitAll, tempDir, TextChat } from "./helpers/cli-proc.js";

let server: ServerHandle;
const procs: Array<JsonChat | TextChat> = [];

before(async () => {
  server = await startServer(["--max-clients", "16"]);
});
after(async () => {
  await quitAll(...procs);
  await server.stop();
});

/** The TUI first (so it is the initiator), then a JSON peer, in `room`. */
async function pairTui(room: string, tuiArgs: string[] = [], opts: { cwd?: string; peerArgs?: string[] } = {}) {
  const tui = new TextChat([`127.0.0.1:${server.port}`, "--room", room, ...tuiArgs], opts.cwd ? { cwd: opts.cwd } : {});
  procs.push(tui);
  await tui.line(/waiting for the other person/);
  const peer = new JsonChat([`127.0.0.1:${server.port}`, "--room", room, ...(opts.peerArgs ?? [])]);
  procs.push(peer);
  await peer.next("key_exchange_complete");
  return { tui, peer };
}

const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex

describe("terminal client", { concurrency: true }, () => {
  test("on pipes: plain lines, verify, messages both ways, hostile text neutralised, files, /quit", async () => {
    const work = tempDir();
    try {
      const payload = randomBytes(300_000);
      writeFileSync(join(work.path, "photo.bin"), payload);
      const peerDl = join(work.path, "peer");
      mkdirSync(peerDl);
      const { tui, peer } = await pairTui("pipes", ["--nick", "alice", "--download-dir", work.path], {
        cwd: work.path,
        peerArgs: ["--download-dir", peerDl],
      });
      // The eight words, two lines of four, then the question.
      const kx = await peer.next("key_exchange_complete");
      const words = kx.words as string[];
      await tui.line(new RegExp(`^\\s+${words.slice(0, 4).join(" ")}$`));
      await tui.line(new RegExp(`^\\s+${words.slice(4).join(" ")}$`));
      await tui.line(/Do they match exactly\? \(yes\/no\)/);

      // A message from the peer before we answered: marked unverified.
      await peer.ok("verify", { answer: true });
      await peer.ok("send", { text: "early bird 🐦" });
      await tui.line(/^\d\d:\d\d peer \[unverified\]: early bird 🐦$/);

      // Anything but yes/no is not taken as the answer.
      tui.writeLine("maybe");
      await tui.line(/please answer yes or no/);
      tui.writeLine("yes");
      assert.equal((await peer.next("peer_verified")).verified, true);
      await tui.line(/you verified the peer/);
      // The peer's KEY_VERIFICATION is plaintext and forgeable (WIRE-NOTES §10): shown as a claim, never as proof.
      await tui.line(/the peer says they verified you \(not proof: only your own comparison protects you\)/);
      assert.ok(!tui.items.some((l) => /the peer verified you|peer confirmed/.test(l)), "the peer's claim must not read as verification");

      // /verify full: the whole SHA-256 in groups, 2 lines of 8 groups of 4 hex digits.
      const hex = kx.fingerprint_sha256 as string;
      assert.match(hex, /^[0-9a-f]{64}$/);
      const fullFrom = tui.mark();
      tui.writeLine("/verify full");
      const l1 = await tui.line(/^\s+([0-9a-f]{4} ){7}[0-9a-f]{4}$/, { from: fullFrom });
      const l2 = await tui.line(/^\s+([0-9a-f]{4} ){7}[0-9a-f]{4}$/, { from: tui.items.indexOf(l1) + 1 });
      assert.equal((l1.trim() + l2.trim()).replace(/ /g, ""), hex);
      await tui.line(/Does every group match exactly\? \(yes\/no\)/, { from: fullFrom });
      tui.writeLine("yes");
      await tui.line(/you verified the peer/, { from: fullFrom });

      // Our messages reach the peer exactly.
      const mine = "hello 🌍 ünïcödé — 日本語";
      tui.writeLine(mine);
      const got = await peer.next("message", { text: mine });
      assert.equal(got.nickname, "alice");
      tui.writeLine("//slash at the start");
      await peer.next("message", { text: "/slash at the start" });

      // A hostile text: escape sequences, BEL, C1 CSI, bidi overrides; shown inert, multi-line indented.
      const hostile = "hi \x1b[2J\x1b]0;pwned\x07 \x9b31m \u202eevil\u2066iso\u2069\nsecond 👋 line";
      await peer.ok("send", { text: hostile });
      const shown = await tui.line(/^\d\d:\d\d peer: hi /);
      assert.equal(shown.replace(/^\d\d:\d\d /, ""), "peer: hi ^[[2J^[]0;pwned^G <U+009B>31m <U+202E>evil<U+2066>iso<U+2069>");
      const idx = tui.items.indexOf(shown);
      await tui.line(/second 👋 line$/, { from: idx + 1 });
      assert.match(tui.items[idx + 1]!, /^ {6,}second 👋 line$/);

      // The peer renames itself (we verified it, so it is honoured) with an escape in the name.
      await peer.ok("nick", { name: "bob\x1b[31m" });
      await tui.line(/is now called "bob\^\[\[31m"/);

      // /file: offer, the peer accepts, progress and completion are shown.
      tui.writeLine("/file photo.bin");
      const offer = await peer.next("file_offer");
      assert.equal(offer.filename, "photo.bin");
      await tui.line(/offering "photo\.bin"/);
      await peer.ok("accept", { transfer_id: offer.transfer_id });
      await tui.line(/↑ photo\.bin \[#{20}\] 100% .* MB\/s/);
      await tui.line(/the peer received "photo\.bin" intact/);
      const got2 = await peer.next("file_received", { transfer_id: offer.transfer_id, hash_ok: true });
      assert.equal(got2.path, join(peerDl, "photo.bin"));
      assert.ok(readFileSync(join(peerDl, "photo.bin")).equals(payload));

      // An incoming offer with a hostile name; /accept without an ID takes the only pending one.
      writeFileSync(join(work.path, "in.txt"), "incoming data\n");
      const off = await peer.ok("file", { path: join(work.path, "in.txt") });
      await tui.line(/the peer offers the file "in\.txt"/);
      await tui.line(new RegExp(`/accept ${(off.transfer_id as string).slice(0, 8)}`));
      tui.writeLine("/accept");
      const rec = await tui.line(/received "in\.txt" .*hash verified/);
      const path = /-> (.+)$/.exec(rec)![1]!;
      assert.equal(readFileSync(path, "utf8"), "incoming data\n");
      await peer.next("file_complete", { transfer_id: off.transfer_id });

      // Unknown commands and /reject without a pending offer are plain-words errors.
      tui.writeLine("/frobnicate");
      await tui.line(/unknown command \/frobnicate/);
      tui.writeLine("/reject");
      await tui.line(/no file offer is waiting/);

      const fromPeer = peer.mark();
      tui.writeLine("/quit");
      await tui.line(/bye/);
      assert.equal((await tui.waitExit()).code, 0);
      await peer.next("reset", {}, { from: fromPeer });

      // Nothing on our stdout a terminal would interpret.
      assert.doesNotMatch(tui.stdout(), RAW_CONTROL);
      assert.equal(tui.stderr(), "");
    } finally {
      work.remove();
    }
  });

  test("/panic: emergency close reaches the peer, the client exits 0", async () => {
    const { tui, peer } = await pairTui("panic");
    await tui.line(/Do they match exactly/);
    tui.writeLine("/panic");
    await peer.next("emergency_close");
    await peer.next("disconnected");
    await tui.line(/EMERGENCY CLOSE sent/);
    assert.equal((await tui.waitExit()).code, 0);
  });

  test("SIGINT and stdin EOF quit cleanly (exit 0)", async () => {
    const a = new TextChat([`127.0.0.1:${server.port}`, "--room", "sigint"]);
    const b = new TextChat([`127.0.0.1:${server.port}`, "--room", "eof"]);
    procs.push(a, b);
    await Promise.all([a.line(/waiting for the other person/), b.line(/waiting for the other person/)]);
    a.proc.kill("SIGINT");
    b.endInput();
    assert.equal((await a.waitExit()).code, 0);
    assert.equal((await b.waitExit()).code, 0);
    await a.line(/bye/);
    await b.line(/bye/);
  });

  test("cannot connect: one line on stderr, exit 1", async () => {
    const c = new TextChat(["127.0.0.1:1"]);
    procs.push(c);
    // A generous wait (not an assertion): a cold start under a loaded machine can take many seconds.
    assert.equal((await c.waitExit(30000)).code, 1);
    assert.match(c.stderr(), /^pqchat: cannot connect to 127\.0\.0\.1:1: .+\n$/);
  });

  const tmux = "/usr/bin/tmux";
  test("on a terminal (tmux): status line with a red UNVERIFIED, colours, Ctrl-X panic", async () => {
    const sock = `pqchat-test-${process.pid}`;
    const t = (...args: string[]): string => execFileSync(tmux, ["-L", sock, ...args], { encoding: "utf8" });
    const capture = (): string => t("capture-pane", "-p", "-e", "-t", "cli");
    const waitScreen = async (re: RegExp, what: string): Promise<string> => {
      const deadline = Date.now() + 15000;
      for (;;) {
        const s = capture();
        if (re.test(s.replace(ANSI, ""))) return s;
        if (Date.now() > deadline) throw new Error(`screen never showed ${what}:\n${s}`);
        await new Promise((r) => setTimeout(r, 100)); // polling the screen: there is no event to await
      }
    };
    const cmd = [process.execPath, MAIN_JS, "chat", `127.0.0.1:${server.port}`, "--room", "tty", "--nick", "tty"].map((a) => `'${a}'`).join(" ");
    t("-f", "/dev/null", "new-session", "-d", "-s", "cli", "-x", "110", "-y", "30", "-e", "NO_COLOR=", "-e", "TERM=xterm-256color", `${cmd}; echo EXITED=$?; sleep 60`);
    try {
      await waitScreen(/waiting for the other person/, "waiting");
      const peer = new JsonChat([`127.0.0.1:${server.port}`, "--room", "tty"]);
      procs.push(peer);
      await peer.next("key_exchange_complete");
      // Status line: UNVERIFIED, white on red; the question prompt at the bottom.
      // The status line is drawn before the words and the question: wait for the question.
      let screen = await waitScreen(/\(yes\/no\) >/, "the verification question");
      assert.match(screen, /\x1b\[41m UNVERIFIED/); // eslint-disable-line no-control-regex
      t("send-keys", "-t", "cli", "yes", "Enter");
      await peer.next("peer_verified");
      screen = await waitScreen(/\] {2}peer: .*verified/, "verified status");
      assert.doesNotMatch(screen.replace(ANSI, ""), /UNVERIFIED/);
      // A peer message arrives while we are typing: the input line survives.
      t("send-keys", "-t", "cli", "half-typed");
      await peer.ok("verify", { answer: true });
      await peer.ok("send", { text: "ping \x1b[2J" });
      screen = await waitScreen(/ping \^\[\[2J/, "peer message");
      assert.match(screen.replace(ANSI, ""), /> half-typed\s*$/);
      t("send-keys", "-t", "cli", " done", "Enter");
      await peer.next("message", { text: "half-typed done" });
      // Wide characters and a narrower terminal: the status line is cut to the
      // new width by columns, not characters, and drawn exactly once.
      const wide = "日本語のとても長いニックネームです";
      await peer.ok("nick", { name: wide });
      await waitScreen(new RegExp(`peer: ${wide}`), "the wide nickname in the status line");
      t("send-keys", "-t", "cli", "typing 日本");
      await waitScreen(/^> typing 日本\s*$/m, "the half-typed line");
      t("resize-window", "-t", "cli", "-x", "50");
      screen = (await waitScreen(/^\[secure\] {2}peer: 日本語[^\n]*…\s*\n> typing 日本\s*$/m, "the status line cut to 50 columns, the input below it")).replace(ANSI, "");
      assert.equal(screen.split("\n").filter((r) => r.includes("[secure]")).length, 1, screen);
      t("resize-window", "-t", "cli", "-x", "110");
      screen = (await waitScreen(new RegExp(`peer: ${wide} {2}verified`), "the whole status line again")).replace(ANSI, "");
      assert.equal(screen.split("\n").filter((r) => r.includes("[secure]")).length, 1, screen);
      t("send-keys", "-t", "cli", "C-u");
      // Ctrl-X: panic.
      t("send-keys", "-t", "cli", "C-x");
      await peer.next("emergency_close");
      await waitScreen(/EXITED=0/, "exit 0");
    } finally {
      try {
        t("kill-server");
      } catch {
        // already gone
      }
    }
  });
});
