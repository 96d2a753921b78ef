// The terminal client, `pqchat chat`. On a terminal: a scrolling conversation
// with a status line and the input line at the bottom, colours (unless
// NO_COLOR), Ctrl-X as the panic key. Otherwise (pipes, files): plain lines,
// no colours, no status line; status changes are printed as lines instead.
//
// Everything that came from the peer or the server (texts, nicknames, file
// names, reasons) goes through sanitize.ts before it is shown.
import { homedir } from "node:os";
import { resolve } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { ClientApi, ClientOptions, ConnectOptions } from "../client/api.js";
import type { ClientEventMap, FileInfo } from "../client/events.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { groupHex } from "../present/display-text.js";
import { formatMessage, sanitizeInline, sanitizeName } from "../present/sanitize.js";
import {
  colourWanted,
  DROP_KINDS,
  formatStatus,
  formatTransfer,
  palette,
  percent,
  type Palette,
  type TransferView,
  truncateVisible,
  visibleLength,
} from "./format.js";
import { packageVersion } from "../client/version.js";
import { errorKindWords, errorText } from "../present/error-text.js";
import { formatBytes } from "../present/format-bytes.js";

export interface TuiOptions {
  createCore: (options: ClientOptions) => ClientApi;
  options: ClientOptions & { downloadDir: string };
  connect: ConnectOptions;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const HELP_LINES = [
  "Commands:",
  "  /help              this list",
  "  /verify            show the session's eight words again and answer whether they match",
  "  /verify full       the same, with the whole fingerprint (64 hex digits) to compare for more certainty",
  "  /file PATH         offer a file to the peer",
  "  /accept [ID]       accept an incoming file (ID only needed when several are pending)",
  "  /reject [ID]       reject an incoming file",
  "  /rekey             replace the session keys now",
  "  /nick NAME         set your nickname (shown to the peer once they verified you)",
  "  /panic             emergency close: wipe the session on both sides at once (hotkey Ctrl-X)",
  "  /quit              leave (also Ctrl-C, or Ctrl-D on an empty line)",
  "Any other line is sent as a message; start it with // to send a line beginning with /.",
];

const PROMPT = "> ";
const QUESTION_PROMPT = "(yes/no) > ";

interface Question {
  kind: "verify" | "rekey";
  answer(yes: boolean): void;
}

type Transfer = TransferView & { status: "offered" | "active" | "sent" };

function clock(): string {
  const d = new Date();
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

class Tui {
  private readonly core: ClientApi;
  private readonly rl: Interface;
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  private readonly interactive: boolean;
  private readonly p: Palette;
  private readonly questions: Question[] = [];
  /** Incoming offers waiting for /accept or /reject. */
  private readonly offers = new Map<string, FileInfo>();
  private readonly transfers = new Map<string, Transfer>();
  private readonly plainProgress = new Map<string, { at: number; pct: number }>();
  private drawn = false;
  /** Rows of the status area as last drawn. */
  private statusRows = 1;
  private lastStatus: string[] = [];
  private quitting = false;
  private panicked = false;
  private statusTimer: NodeJS.Timeout | null = null;
  private finish!: (code: number) => void;
  readonly finished = new Promise<number>((res) => (this.finish = res));

  constructor(private readonly opts: TuiOptions) {
    this.input = opts.input ?? process.stdin;
    this.out = opts.output ?? process.stdout;
    this.interactive = this.input.isTTY === true && this.out.isTTY === true;
    this.p = palette(colourWanted(this.out.isTTY));
    this.core = opts.createCore(opts.options);
    this.rl = createInterface({
      input: this.input,
      output: this.interactive ? this.out : undefined,
      terminal: this.interactive,
      crlfDelay: Infinity,
      historySize: this.interactive ? 100 : 0,
      prompt: PROMPT,
    });
  }

  // ---- output -----------------------------------------------------------------

  private columns(): number {
    return this.out.columns && this.out.columns > 20 ? this.out.columns : 80;
  }

  /** Prints lines above the status line (terminal) or as plain lines (otherwise). */
  print(lines: string[], afterEnterRows?: number): void {
    if (!this.interactive) {
      if (lines.length > 0) this.out.write(lines.join("\n") + "\n");
      return;
    }
    if (this.quitting && !this.drawn) {
      if (lines.length > 0) this.out.write(lines.join("\n") + "\n");
      return;
    }
    // Cursor to the start of the status line, clear it and everything below,
    // write the new lines, the status line, then let readline redraw the input.
    let up = 0;
    if (this.drawn) up = (afterEnterRows ?? this.rl.getCursorPos().rows) + this.statusRows;
    let s = (up > 0 ? `\x1b[${up}A` : "") + "\r\x1b[J";
    for (const l of lines) s += l + "\x1b[K\n";
    if (this.quitting) {
      this.out.write(s);
      this.drawn = false;
      return;
    }
    const status = this.statusLines();
    this.statusRows = status.length;
    this.lastStatus = status;
    s += status.join("\n") + "\n";
    this.out.write(s);
    this.drawn = true;
    // The cursor is now at the start of a fresh row, where the input line
    // belongs. readline's redraw first moves up by the rows it believes the
    // cursor is below the prompt (`prevRows`, stale after a paste); it is 0 here.
    (this.rl as unknown as { prevRows?: number }).prevRows = 0;
    this.rl.prompt(true);
  }

  private info(text: string): void {
    this.print([this.p.dim("* ") + text]);
  }

  private warn(text: string): void {
    this.print([this.p.yellow("! " + text)]);
  }

  private alarm(text: string): void {
    this.print([this.p.alarm(" !! " + text + " ")]);
  }

  /** The status area: the connection line, then one line per active transfer (at most three). */
  private statusLines(): string[] {
    let st;
    try {
      st = this.core.state();
    } catch {
      return [""];
    }
    const cols = this.columns();
    const active = [...this.transfers.values()].filter((t) => t.status === "active");
    const first = formatStatus(
      {
        phase: st.phase,
        server: st.host === null ? null : `${st.host}:${st.port}${st.room ? ` room ${st.room}` : ""}`,
        peerNickname: st.peer_nickname,
        verified: st.verified,
        peerVerified: st.peer_verified,
        transfers: [],
      },
      this.p,
      cols,
    );
    const lines = [first];
    for (const t of active.slice(0, 3)) lines.push(truncateVisible("  " + formatTransfer(t), cols - 1));
    if (active.length > 3) lines.push(this.p.dim(`  … and ${active.length - 3} more transfer(s)`));
    return lines;
  }

  /** Redraws the status line soon (at most ten times a second). */
  private refreshStatus(): void {
    if (!this.interactive || this.statusTimer || this.quitting) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.quitting) this.print([]);
    }, 100);
  }

  // ---- questions --------------------------------------------------------------

  private ask(q: Question, lines: string[]): void {
    this.questions.push(q);
    if (this.questions.length === 1) this.rl.setPrompt(QUESTION_PROMPT);
    this.print(lines);
  }

  private dropQuestions(kind: Question["kind"]): void {
    for (let i = this.questions.length - 1; i >= 0; i--) if (this.questions[i]!.kind === kind) this.questions.splice(i, 1);
    if (this.questions.length === 0) this.rl.setPrompt(PROMPT);
  }

  private askVerify(full = false): void {
    let st;
    try {
      st = this.core.state();
    } catch (err) {
      this.warn(errorText(err));
      return;
    }
    if (!st.words || st.phase !== "secure") {
      this.warn("there is no secure session to verify yet");
      return;
    }
    const w = st.words.map(sanitizeInline);
    // The answer is bound to the words shown here: if the session changes before it is given, the core refuses it.
    const shown = st.words.join(" ");
    const hex = st.fingerprint_sha256 ?? null;
    this.dropQuestions("verify");
    const lines = full && hex
      ? [
          "Compare the whole fingerprint with your peer over another channel (in person, by voice):",
          "",
          ...groupHex(sanitizeInline(hex)).map((l) => "    " + this.p.bold(l)),
          "",
          this.p.dim("(the eight words: " + w.join(" ") + ")"),
          "",
          this.p.bold("Does every group match exactly? (yes/no)"),
        ]
      : [
          "Compare these eight words with your peer over another channel (in person, by voice):",
          "",
          "    " + this.p.bold(w.slice(0, 4).join(" ")),
          "    " + this.p.bold(w.slice(4).join(" ")),
          "",
          this.p.dim("The words carry about 72 bits of the fingerprint; /verify full shows all 256."),
          this.p.bold("Do they match exactly? (yes/no)"),
        ];
    this.ask(
      {
        kind: "verify",
        answer: (yes) => {
          this.core.verify(yes, shown);
        },
      },
      lines,
    );
  }

  // ---- core events -------------------------------------------------------------

  private on<K extends keyof ClientEventMap>(name: K, fn: (e: ClientEventMap[K]) => void): void {
    this.core.on(name, (e) => {
      try {
        fn(e);
        this.refreshStatus();
      } catch (err) {
        process.stderr.write(`pqchat: while showing ${name}: ${errorText(err)}\n`);
      }
    });
  }

  private fileName(id: string): string {
    const t = this.transfers.get(id) ?? this.offers.get(id);
    return t ? `"${sanitizeName(t.filename, 120)}"` : `transfer ${id.slice(0, 8)}`;
  }

  private endTransfer(id: string): void {
    this.transfers.delete(id);
    this.offers.delete(id);
    this.plainProgress.delete(id);
  }

  private subscribe(): void {
    const p = this.p;
    this.on("connected", (e) => this.info(`connected to ${sanitizeInline(e.host)}:${e.port}${e.room ? ` (room ${sanitizeInline(e.room)})` : ""}`));
    this.on("server_version", (e) => {
      const v = sanitizeInline(e.version);
      if (e.compatibility === "breaking") {
        this.warn(`the server speaks protocol ${v}, this client ${e.local_version}: a different major version, the chat may not work`);
      } else if (e.compatibility === "minor") {
        this.info(`note: the server speaks protocol ${v}, this client ${e.local_version}`);
      }
    });
    // SPEC §4.2.1: minor → a notice, patch → silent; breaking comes as a version_mismatch error (a warning).
    this.on("peer_version", (e) => {
      if (e.compatibility === "minor") this.info(`note: your peer speaks protocol ${sanitizeInline(e.version ?? "")}, this client ${e.local_version}`);
      else if (e.compatibility === "missing") this.info(`note: your peer did not say which protocol version it speaks (this client: ${e.local_version})`);
    });
    this.on("waiting_for_peer", () => this.info("waiting for the other person to connect…"));
    this.on("key_exchange_started", (e) => this.info(`peer found, exchanging keys (${e.role})…`));
    this.on("key_exchange_complete", () => {
      this.info(p.green("secure session established") + " — but you do not know yet who is on the other end.");
      this.askVerify();
    });
    this.on("verified", (e) => {
      if (e.verified) this.info(p.green("you verified the peer: the words match"));
      else this.warn("you said the words do NOT match: treat this peer as untrusted (/verify to answer again)");
    });
    // KEY_VERIFICATION travels in plaintext (WIRE-NOTES §10): anyone relaying can forge it.
    // Only the local user's own comparison protects them; the peer's answer is shown as a claim.
    this.on("peer_verified", (e) => {
      if (e.verified) this.info(p.dim("the peer says they verified you (not proof: only your own comparison protects you)"));
      else this.warn("the peer says the words do NOT match: compare them again (/verify)");
    });
    this.on("message", (e) => {
      const who = e.nickname === null ? "peer" : sanitizeInline(e.nickname);
      const mark = e.peer_key_verified ? "" : " " + p.red("[unverified]");
      const prefix = `${p.dim(clock())} ${p.cyan(who)}${mark}: `;
      this.print(formatMessage(prefix, e.text, visibleLength(prefix)));
    });
    this.on("nickname", (e) => {
      const prev = e.previous === null ? "the peer" : `"${sanitizeInline(e.previous)}"`;
      this.info(`${prev} is now called "${sanitizeInline(e.nickname)}"`);
    });
    this.on("nickname_ignored", (e) => {
      // Before the user answered the fingerprint question this is expected, not news:
      // the peer resends its nickname once verification is done.
      if (this.safeState()?.verified === null) return;
      this.info(`ignored the peer's nickname "${sanitizeInline(e.requested)}": ${sanitizeInline(e.reason)}`);
    });
    this.on("ephemeral_mode", (e) => this.info(`ephemeral mode ${e.mode}${e.by_peer ? " (set by the peer)" : ""}`));
    this.on("file_offer", (e) => {
      this.offers.set(e.transfer_id, e);
      this.transfers.set(e.transfer_id, { ...e, direction: "in", bytes: 0, total: e.file_size, rate: 0, eta: null, status: "offered" });
      const policy = this.safeState()?.settings.accept_files ?? "ask";
      const desc = `"${sanitizeName(e.filename, 120)}" (${formatBytes(e.file_size)})`;
      if (e.auto === null) {
        this.print([
          p.bold(`* the peer offers the file ${desc}`),
          ...(policy === true && !e.peer_key_verified ? ["  not accepted automatically: you have not verified this peer (--accept-files yes means verified peers only)"] : []),
          `  /accept ${e.transfer_id.slice(0, 8)} to receive it into ${this.opts.options.downloadDir}, /reject ${e.transfer_id.slice(0, 8)} to refuse`,
        ]);
      } else {
        this.info(`the peer offers the file ${desc}; ${e.auto === "accept" ? "accepting" : "rejecting"} it (--accept-files)`);
      }
    });
    this.on("file_offered", (e) => {
      this.transfers.set(e.transfer_id, { ...e, direction: "out", bytes: 0, total: e.file_size, rate: 0, eta: null, status: "offered" });
      const gz = e.compressed ? `, ${formatBytes(e.processed_size)} compressed` : "";
      this.info(`offering "${sanitizeName(e.filename, 120)}" (${formatBytes(e.file_size)}${gz}); waiting for the peer to accept…`);
    });
    this.on("file_accepted", (e) => {
      const t = this.transfers.get(e.transfer_id);
      if (t) t.status = "active";
      this.offers.delete(e.transfer_id);
      this.info(e.direction === "out" ? `the peer accepted ${this.fileName(e.transfer_id)}, sending…` : `receiving ${this.fileName(e.transfer_id)}…`);
    });
    this.on("file_rejected", (e) => {
      const name = this.fileName(e.transfer_id);
      this.endTransfer(e.transfer_id);
      if (e.direction === "out") this.warn(`the peer rejected ${name}${e.reason ? `: ${sanitizeInline(e.reason)}` : ""}`);
      else this.info(`rejected ${name}`);
    });
    this.on("file_progress", (e) => {
      const t = this.transfers.get(e.transfer_id);
      if (!t) return;
      t.status = "active";
      t.bytes = e.bytes;
      t.total = e.total;
      t.rate = e.rate;
      t.eta = e.eta;
      if (!this.interactive) {
        // Plain output: a progress line at most once a second, and the last one.
        const pct = percent(e.bytes, e.total);
        const last = this.plainProgress.get(e.transfer_id);
        const now = Date.now();
        if (!last || (pct === 100 && last.pct !== 100) || (now - last.at >= 1000 && pct > last.pct)) {
          this.plainProgress.set(e.transfer_id, { at: now, pct });
          this.print([p.dim("  ") + formatTransfer(t)]);
        }
      }
    });
    this.on("file_sent", (e) => {
      const t = this.transfers.get(e.transfer_id);
      if (t) t.status = "sent";
      this.info(`${this.fileName(e.transfer_id)} sent; waiting for the peer to check it…`);
    });
    this.on("file_complete", (e) => {
      this.info(p.green(`the peer received ${this.fileName(e.transfer_id)} intact`));
      this.endTransfer(e.transfer_id);
    });
    this.on("file_received", (e) => {
      const name = this.fileName(e.transfer_id);
      this.endTransfer(e.transfer_id);
      if (e.hash_ok) this.info(p.green(`received ${name} (${formatBytes(e.size)}, hash verified) -> ${sanitizeInline(e.path)}`));
      else this.warn(`received ${name} -> ${sanitizeInline(e.path)}, but its hash does NOT match`);
    });
    this.on("file_receive_failed", (e) => {
      this.warn(`receiving ${this.fileName(e.transfer_id)} failed: ${sanitizeInline(e.error)}`);
      this.endTransfer(e.transfer_id);
    });
    this.on("file_send_failed", (e) => {
      this.warn(`sending ${this.fileName(e.transfer_id)} failed: ${sanitizeInline(e.error)}`);
      this.endTransfer(e.transfer_id);
    });
    this.on("file_expired", (e) => {
      this.warn(`${this.fileName(e.transfer_id)}: ${sanitizeInline(e.text)}`);
      this.endTransfer(e.transfer_id);
    });
    this.on("rekey_started", (e) => this.info(`replacing the session keys (${e.role})…`));
    this.on("rekey_done", () => this.info("new session keys in use"));
    this.on("rekey_prompt", () => {
      this.ask({ kind: "rekey", answer: (yes) => this.core.answerRekey(yes) }, [
        p.bold("The peer, whom you have not verified, asks to replace the session keys. Allow it? (yes/no)"),
      ]);
    });
    this.on("voice_call_rejected", (e) => this.info(`the peer tried a voice call; not supported here, declined (${sanitizeInline(e.reason)})`));
    this.on("emergency_close", () => this.alarm("THE PEER SENT AN EMERGENCY CLOSE: the session is wiped"));
    this.on("reset", (e) => {
      this.dropQuestions("verify");
      this.dropQuestions("rekey");
      for (const id of [...this.transfers.keys()]) this.endTransfer(id);
      this.warn(`the peer left (${sanitizeInline(e.reason)}); the session is wiped, waiting for a new peer…`);
    });
    this.on("server_full", () => this.warn("the server is full (two people are already chatting there)"));
    this.on("server_disconnect", (e) => this.warn(`the server closed the connection: ${sanitizeInline(e.reason)}`));
    this.on("server_error", (e) => this.warn(`server error: ${sanitizeInline(e.error)}`));
    this.on("error", (e) => {
      // Coalesced by the core: one line stands for `count` occurrences.
      const n = e.count > 1 ? ` (${e.count} times)` : "";
      if (DROP_KINDS.has(e.kind)) this.print([p.dim(e.count > 1 ? `! dropped ${e.count} frames: ${errorKindWords(e.kind)}` : `! dropped a frame: ${errorKindWords(e.kind)}`)]);
      else this.print([p.dim(`! ${sanitizeInline(e.text)}${n}`)]);
    });
    this.on("disconnected", (e) => {
      if (this.quitting) return;
      const clean = this.panicked || e.emergency === true;
      void this.end(clean ? 0 : 1, [p.dim(`* disconnected${e.reason ? `: ${sanitizeInline(e.reason)}` : ""}`)]);
    });
  }

  private safeState() {
    try {
      return this.core.state();
    } catch {
      return null;
    }
  }

  // ---- input ------------------------------------------------------------------------

  private findOffer(arg: string): string {
    if (arg === "") {
      if (this.offers.size === 1) return [...this.offers.keys()][0]!;
      if (this.offers.size === 0) throw new Error("no file offer is waiting for an answer");
      throw new Error(`${this.offers.size} offers are waiting; give the ID: ${[...this.offers.keys()].map((k) => k.slice(0, 8)).join(", ")}`);
    }
    if (this.offers.has(arg)) return arg;
    const matches = [...this.offers.keys()].filter((k) => k.startsWith(arg));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new Error(`"${sanitizeInline(arg)}" matches several offers; give more of the ID`);
    return arg; // let the core decide (it knows every transfer)
  }

  private async command(name: string, arg: string): Promise<void> {
    const p = this.p;
    switch (name) {
      case "help":
      case "?":
        this.print(HELP_LINES.map((l) => p.dim(l)));
        return;
      case "verify": {
        const how = arg.trim().toLowerCase();
        if (how !== "" && how !== "full") throw new Error("usage: /verify [full]");
        this.askVerify(how === "full");
        return;
      }
      case "file": {
        let path = arg.trim();
        if (/^(["']).*\1$/.test(path)) path = path.slice(1, -1);
        if (path === "") throw new Error("usage: /file PATH");
        if (path === "~" || path.startsWith("~/")) path = homedir() + path.slice(1);
        const info = await this.core.sendFile(resolve(process.cwd(), path));
        if (!this.transfers.has(info.transfer_id)) {
          this.transfers.set(info.transfer_id, { ...info, direction: "out", bytes: 0, total: info.file_size, rate: 0, eta: null, status: "offered" });
        }
        return;
      }
      case "accept": {
        const id = this.findOffer(arg.trim());
        this.core.acceptFile(id);
        return;
      }
      case "reject": {
        const [idArg = "", ...reason] = arg.trim().split(/\s+/);
        const id = this.findOffer(idArg);
        if (reason.length > 0) this.core.rejectFile(id, reason.join(" "));
        else this.core.rejectFile(id);
        return;
      }
      case "rekey":
        this.core.rekey();
        return;
      case "nick": {
        const n = arg.trim();
        if (n === "") throw new Error("usage: /nick NAME");
        this.core.setNickname(n);
        this.info(`your nickname is now "${sanitizeInline(n)}"`);
        return;
      }
      case "panic":
        this.panic();
        return;
      case "quit":
      case "exit":
        await this.quit(0);
        return;
      default:
        throw new Error(`unknown command /${sanitizeInline(name)} (try /help)`);
    }
  }

  private async onLine(line: string): Promise<void> {
    if (this.quitting) return;
    const enterRows = this.interactive ? Math.floor(visibleLength(this.rl.getPrompt() + line) / this.columns()) + 1 : undefined;
    const echo = (lines: string[]): void => this.print(lines, enterRows);
    const text = line.replace(/\r$/, "");
    const q = this.questions[0];
    if (q && !text.startsWith("/")) {
      const a = text.trim().toLowerCase();
      if (a === "yes" || a === "y" || a === "no" || a === "n") {
        this.questions.shift();
        if (this.questions.length === 0) this.rl.setPrompt(PROMPT);
        echo([this.p.dim(`? ${a.startsWith("y") ? "yes" : "no"}`)]);
        try {
          q.answer(a.startsWith("y"));
        } catch (err) {
          this.warn(errorText(err));
        }
      } else {
        echo([this.p.yellow(`! please answer yes or no${q.kind === "verify" ? " (do the eight words match?)" : ""}`)]);
      }
      return;
    }
    if (text.trim() === "") {
      echo([]);
      return;
    }
    const cmd = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
    if (cmd && !text.startsWith("//")) {
      echo([]);
      try {
        await this.command(cmd[1]!.toLowerCase(), cmd[2] ?? "");
      } catch (err) {
        this.warn(errorText(err));
      }
      return;
    }
    const message = text.startsWith("//") ? text.slice(1) : text;
    try {
      this.core.sendText(message);
      const prefix = `${this.p.dim(clock())} ${this.p.bold("you")}: `;
      echo(formatMessage(prefix, message, visibleLength(prefix)));
    } catch (err) {
      echo([this.p.yellow(`! not sent: ${errorText(err)}`)]);
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  private panic(): void {
    if (this.quitting) return;
    this.panicked = true;
    try {
      this.core.emergencyClose();
    } catch (err) {
      process.stderr.write(`pqchat: emergency close: ${errorText(err)}\n`);
    }
    // Wipe the conversation from the screen (and its scrollback) as well.
    if (this.interactive) {
      this.out.write("\x1b[2J\x1b[3J\x1b[H");
      this.drawn = false;
    }
    void this.end(0, [this.p.alarm(" EMERGENCY CLOSE sent: the session is wiped ")]);
  }

  async quit(code: number): Promise<void> {
    if (this.quitting) return;
    const phase = this.safeState()?.phase ?? "disconnected";
    if (phase !== "disconnected") {
      this.print([this.p.dim("* leaving…")]);
      this.quittingStarted();
      try {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), 3000)));
        const r = await Promise.race([this.core.disconnect().then(() => "ok" as const), timeout]);
        clearTimeout(timer);
        if (r === "timeout") {
          process.stderr.write("pqchat: the disconnect did not complete within 3 s\n");
          code = code || 1;
        }
      } catch (err) {
        process.stderr.write(`pqchat: disconnect failed: ${errorText(err)}\n`);
        code = code || 1;
      }
    }
    await this.end(code, [this.p.dim("* bye")]);
  }

  private quittingStarted(): void {
    this.quitting = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
  }

  private ended = false;
  private async end(code: number, lines: string[]): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.quittingStarted();
    this.print(lines);
    process.off("SIGTERM", this.onSignal);
    process.off("SIGINT", this.onSignal);
    process.off("SIGHUP", this.onSignal);
    process.off("uncaughtException", this.onCrash);
    process.off("unhandledRejection", this.onCrash);
    this.out.off("resize", this.onResize);
    try {
      this.rl.close();
    } catch {
      // the terminal is gone; nothing to restore
    }
    if (this.input === process.stdin) process.stdin.destroy();
    if (this.safeState()?.phase !== "disconnected" && !this.panicked) {
      try {
        await this.core.disconnect();
      } catch {
        // already closing
      }
    }
    this.finish(code);
  }

  /**
   * The terminal changed size. Terminals that reflow (tmux, GNOME, kitty…)
   * re-wrap the status lines we drew for the old width, so they may now take
   * more rows; count those at the new width, then draw everything afresh.
   * (readline has already redrawn the input line by now.)
   */
  private readonly onResize = (): void => {
    if (!this.drawn || this.quitting) return;
    const cols = this.columns();
    this.statusRows = this.lastStatus.reduce((rows, l) => rows + Math.max(1, Math.ceil(visibleLength(l) / cols)), 0);
    this.print([]);
  };

  private readonly onSignal = (): void => void this.quit(0);
  /** A bug below us: say so on stderr, leave the terminal usable, exit 1. */
  private readonly onCrash = (err: unknown): void => {
    process.stderr.write(`pqchat: internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    void this.quit(1);
  };

  async run(): Promise<number> {
    this.subscribe();
    this.rl.on("line", (line) => {
      this.onLine(line).catch((err: unknown) => this.warn(errorText(err)));
    });
    this.rl.on("close", () => void this.quit(0)); // Ctrl-D / stdin EOF
    this.rl.on("SIGINT", () => void this.quit(0)); // Ctrl-C on a terminal
    process.on("SIGTERM", this.onSignal);
    process.on("SIGINT", this.onSignal);
    process.on("SIGHUP", this.onSignal);
    process.on("uncaughtException", this.onCrash);
    process.on("unhandledRejection", this.onCrash);
    // The terminal went away (EIO on a closed pty, EPIPE on a pipe): nothing
    // more to show or read; leave cleanly instead of crashing or spinning.
    const gone = (): void => void this.quit(0);
    this.out.on("error", gone);
    this.input.on("error", gone);
    this.rl.on("error", gone);
    if (this.interactive) {
      this.input.on("keypress", (_s: string | undefined, key: { ctrl?: boolean; name?: string } | undefined) => {
        if (key?.ctrl && key.name === "x") this.panic();
      });
      this.out.on("resize", this.onResize);
    }
    const c = this.opts.connect;
    const target = `${c.host}:${c.port}${c.room ? ` room ${c.room}` : ""}`;
    this.print([
      this.p.bold(`pqchat ${packageVersion()}`) + this.p.dim(` — SCP ${PROTOCOL_VERSION}, end-to-end encrypted, post-quantum`),
      this.p.dim(`connecting to ${sanitizeInline(target)}…  (/help for commands${this.interactive ? ", Ctrl-X panic" : ""})`),
    ]);
    try {
      await this.core.connect(c);
    } catch (err) {
      process.stderr.write(`pqchat: cannot connect to ${sanitizeInline(target)}: ${sanitizeInline(errorText(err))}\n`);
      await this.end(1, []);
    }
    return this.finished;
  }
}

export async function runTui(opts: TuiOptions): Promise<number> {
  const tui = new Tui(opts);
  return tui.run();
}
