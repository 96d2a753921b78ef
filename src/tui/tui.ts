// The terminal client, `pqchat chat`. On a terminal: a scrolling conversation
// with a status line and the input line at the bottom, colours (unless
// NO_COLOR), Ctrl-X as the panic key. Otherwise (pipes, files): plain lines,
// no colours, no status line; status changes are printed as lines instead.
//
// This module wires the parts: the screen (screen.ts), the slash commands
// (slash-commands.ts), how each client event is shown (event-views.ts), the
// yes/no questions (questions.ts) and the transfers on screen (transfers.ts).
import { createInterface, type Interface } from "node:readline";
import type { ClientApi, ClientOptions, ClientState, ConnectOptions } from "../client/api.js";
import type { ClientEventMap, ClientEventName } from "../client/events.js";
import { packageVersion } from "../client/version.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { errorText } from "../present/error-text.js";
import { DISCONNECT_TIMEOUT_MS } from "../present/limits.js";
import { sanitizeInline } from "../present/sanitize.js";
import { EVENT_VIEWS, messageLines, type ViewContext } from "./event-views.js";
import { colourWanted, formatStatus, formatTransfer, palette, type Palette, truncateVisible } from "./format.js";
import { PROMPT, Questions, verifyQuestionLines, yesNo } from "./questions.js";
import { type Output, Screen } from "./screen.js";
import { findSlashCommand, type SlashContext } from "./slash-commands.js";
import { Transcript } from "./transcript.js";
import { TransferList } from "./transfers.js";

export { HELP_LINES } from "./slash-commands.js";

export interface TuiOptions {
  createCore: (options: ClientOptions) => ClientApi;
  options: ClientOptions & { downloadDir: string };
  connect: ConnectOptions;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: Output;
}

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
const CRASHES = ["uncaughtException", "unhandledRejection"] as const;

class Tui {
  private readonly core: ClientApi;
  private readonly rl: Interface;
  private readonly out: Output;
  private readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  private readonly p: Palette;
  private readonly screen: Screen;
  private readonly questions: Questions;
  private readonly transfers = new TransferList();
  private readonly transcript = new Transcript();
  /** Our texts shown as pending: held while the session is interrupted. */
  private readonly pending = new Set<string>();
  private panicked = false;
  /** Redraws the status line's "reconnecting in N s" once a second while a reconnect waits. */
  private readonly countdown = setInterval(() => {
    if (this.safeState()?.reconnect) this.screen.refreshStatus();
  }, 1000).unref();
  private ended = false;
  private finish!: (code: number) => void;
  readonly finished = new Promise<number>((res) => (this.finish = res));

  constructor(private readonly opts: TuiOptions) {
    this.input = opts.input ?? process.stdin;
    this.out = opts.output ?? process.stdout;
    const interactive = this.input.isTTY === true && this.out.isTTY === true;
    this.p = palette(colourWanted(this.out.isTTY));
    this.core = opts.createCore(opts.options);
    this.rl = createInterface({
      input: this.input,
      output: interactive ? this.out : undefined,
      terminal: interactive,
      crlfDelay: Infinity,
      historySize: interactive ? 100 : 0,
      prompt: PROMPT,
    });
    this.screen = new Screen(this.out, this.rl, interactive, (cols) => this.statusLines(cols));
    this.questions = new Questions((prompt) => this.rl.setPrompt(prompt));
  }

  // ---- output -----------------------------------------------------------------

  private print(lines: string[], afterEnterRows?: number, id?: string): void {
    this.transcript.add(lines, id ?? null);
    this.screen.print(lines, afterEnterRows);
  }

  /** A disappearing message expired: off the terminal (wiped and drawn again without it), or a notice on pipes. */
  private expire(id: string): void {
    if (!this.transcript.remove(id) || this.screen.closing) return;
    if (!this.screen.interactive) {
      this.screen.print([this.p.dim("* a disappearing message expired")]);
      return;
    }
    this.screen.wipe();
    this.screen.print(this.transcript.lines());
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
  private statusLines(cols: number): string[] {
    const st = this.safeState();
    if (!st) return [""];
    const server = st.host === null ? null : `${st.host}:${st.port}${st.room ? ` room ${st.room}` : ""}`;
    const r = st.reconnect ?? null;
    const reconnect = r && { seconds: r.next_at === null ? null : Math.max(0, Math.ceil((r.next_at - Date.now()) / 1000)), attempt: r.attempt, max: r.max_attempts };
    const view = { phase: st.phase, server, peerNickname: st.peer_nickname, verified: st.verified, peerVerified: st.peer_verified, transfers: [], reconnect };
    const lines = [formatStatus(view, this.p, cols)];
    const active = this.transfers.active();
    for (const t of active.slice(0, 3)) lines.push(truncateVisible("  " + formatTransfer(t), cols - 1));
    if (active.length > 3) lines.push(this.p.dim(`  … and ${active.length - 3} more transfer(s)`));
    return lines;
  }

  private safeState(): ClientState | null {
    try {
      return this.core.state();
    } catch {
      return null;
    }
  }

  // ---- questions --------------------------------------------------------------

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
    // The answer is bound to the words shown here: if the session changes before it is given, the core refuses it.
    const shown = st.words.join(" ");
    this.questions.drop("verify");
    this.questions.push({ kind: "verify", answer: (yes) => this.core.verify(yes, shown) });
    this.print(verifyQuestionLines(st.words, st.fingerprint_sha256 ?? null, full, this.p));
  }

  private askResume(transferId: string, what: string): void {
    this.questions.push({ kind: "resume", answer: (yes) => this.core.resumeFile(transferId, yes) });
    this.print([
      this.p.bold(`Sending ${what} was interrupted. This peer has not proved it is the one you verified before.`),
      this.p.bold("Continue sending it to this peer? (yes/no)"),
    ]);
  }

  private askRekey(): void {
    this.questions.push({ kind: "rekey", answer: (yes) => this.core.answerRekey(yes) });
    this.print([this.p.bold("The peer, whom you have not verified, asks to replace the session keys. Allow it? (yes/no)")]);
  }

  // ---- core events -------------------------------------------------------------

  private viewContext(): ViewContext {
    return {
      p: this.p,
      interactive: this.screen.interactive,
      downloadDir: this.opts.options.downloadDir,
      transfers: this.transfers,
      pending: this.pending,
      leaving: () => this.screen.closing,
      panicked: () => this.panicked,
      print: (lines, id) => this.print(lines, undefined, id),
      expire: (id) => this.expire(id),
      info: (text) => this.info(text),
      warn: (text) => this.warn(text),
      alarm: (text) => this.alarm(text),
      state: () => this.safeState(),
      askVerify: () => this.askVerify(),
      askRekey: () => this.askRekey(),
      askResume: (id, what) => this.askResume(id, what),
      dropVerify: () => this.questions.drop("verify"),
      dropQuestions: () => {
        this.questions.drop("verify");
        this.questions.drop("rekey");
        this.questions.drop("resume");
      },
      end: (code, lines) => void this.end(code, lines),
    };
  }

  private subscribe(): void {
    const v = this.viewContext();
    for (const name of Object.keys(EVENT_VIEWS) as ClientEventName[]) {
      this.core.on(name, (e: ClientEventMap[typeof name]) => {
        try {
          (EVENT_VIEWS[name] as (e: ClientEventMap[typeof name], v: ViewContext) => void)(e, v);
          this.screen.refreshStatus();
        } catch (err) {
          process.stderr.write(`pqchat: while showing ${name}: ${errorText(err)}\n`);
        }
      });
    }
  }

  // ---- input ------------------------------------------------------------------------

  private slashContext(): SlashContext {
    return {
      core: this.core,
      p: this.p,
      transfers: this.transfers,
      print: (lines) => this.print(lines),
      info: (text) => this.info(text),
      askVerify: (full) => this.askVerify(full),
      panic: () => this.panic(),
      quit: (code) => this.quit(code),
    };
  }

  /** A yes/no answer to the first waiting question (anything else asks again). */
  private answer(text: string, echo: (lines: string[]) => void): void {
    const q = this.questions.first!;
    const yes = yesNo(text);
    if (yes === null) {
      echo([this.p.yellow(`! please answer yes or no${q.kind === "verify" ? " (do the eight words match?)" : ""}`)]);
      return;
    }
    this.questions.shift();
    echo([this.p.dim(`? ${yes ? "yes" : "no"}`)]);
    try {
      q.answer(yes);
    } catch (err) {
      this.warn(errorText(err));
    }
  }

  private async onLine(line: string): Promise<void> {
    if (this.screen.closing) return;
    const enterRows = this.screen.enteredRows(line);
    const echo = (lines: string[], id?: string): void => this.print(lines, enterRows, id);
    const text = line.replace(/\r$/, "");
    if (this.questions.first && !text.startsWith("/")) return this.answer(text, echo);
    if (text.trim() === "") return echo([]);
    const cmd = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
    if (cmd && !text.startsWith("//")) {
      echo([]);
      try {
        await findSlashCommand(cmd[1]!.toLowerCase()).run(cmd[2] ?? "", this.slashContext());
      } catch (err) {
        this.warn(errorText(err));
      }
      return;
    }
    const message = text.startsWith("//") ? text.slice(1) : text;
    try {
      const sent = this.core.sendText(message);
      if (sent.pending === true) this.pending.add(sent.message_id);
      let mark = sent.pending === true ? " " + this.p.yellow("[pending: sent once the session is back]") : "";
      if (sent.ephemeral === true) mark += " " + this.p.dim("[disappearing]");
      echo(messageLines(this.p.bold("you") + mark, message, this.p), sent.ephemeral === true ? sent.message_id : undefined);
    } catch (err) {
      echo([this.p.yellow(`! not sent: ${errorText(err)}`)]);
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  private panic(): void {
    if (this.screen.closing) return;
    this.panicked = true;
    try {
      this.core.emergencyClose();
    } catch (err) {
      process.stderr.write(`pqchat: emergency close: ${errorText(err)}\n`);
    }
    // Wipe the conversation from the screen (and its scrollback) as well.
    this.screen.wipe();
    this.transcript.clear();
    void this.end(0, [this.p.alarm(" EMERGENCY CLOSE sent: the session is wiped ")]);
  }

  async quit(code: number): Promise<void> {
    if (this.screen.closing) return;
    if ((this.safeState()?.phase ?? "disconnected") !== "disconnected") {
      this.print([this.p.dim("* leaving…")]);
      this.screen.close();
      if (!(await this.disconnect())) code = code || 1;
    }
    await this.end(code, [this.p.dim("* bye")]);
  }

  /** CLIENT_DISCONNECT and the close, within DISCONNECT_TIMEOUT_MS; false (said on stderr) when it failed or timed out. */
  private async disconnect(): Promise<boolean> {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), DISCONNECT_TIMEOUT_MS)));
      const r = await Promise.race([this.core.disconnect().then(() => "ok" as const), timeout]);
      clearTimeout(timer);
      if (r === "ok") return true;
      process.stderr.write("pqchat: the disconnect did not complete within 3 s\n");
    } catch (err) {
      process.stderr.write(`pqchat: disconnect failed: ${errorText(err)}\n`);
    }
    return false;
  }

  private async end(code: number, lines: string[]): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.countdown);
    this.screen.close();
    this.print(lines);
    for (const s of SIGNALS) process.off(s, this.onSignal);
    for (const c of CRASHES) process.off(c, this.onCrash);
    this.out.off("resize", this.screen.onResize);
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

  private readonly onSignal = (): void => void this.quit(0);
  /** A bug below us: say so on stderr, leave the terminal usable, exit 1. */
  private readonly onCrash = (err: unknown): void => {
    process.stderr.write(`pqchat: internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    void this.quit(1);
  };

  /** Input, keys, signals and the terminal going away. */
  private listen(): void {
    this.rl.on("line", (line) => {
      this.onLine(line).catch((err: unknown) => this.warn(errorText(err)));
    });
    this.rl.on("close", () => void this.quit(0)); // Ctrl-D / stdin EOF
    this.rl.on("SIGINT", () => void this.quit(0)); // Ctrl-C on a terminal
    for (const s of SIGNALS) process.on(s, this.onSignal);
    for (const c of CRASHES) process.on(c, this.onCrash);
    // The terminal went away (EIO on a closed pty, EPIPE on a pipe): nothing
    // more to show or read; leave cleanly instead of crashing or spinning.
    const gone = (): void => void this.quit(0);
    this.out.on("error", gone);
    this.input.on("error", gone);
    this.rl.on("error", gone);
    if (this.screen.interactive) {
      this.input.on("keypress", (_s: string | undefined, key: { ctrl?: boolean; name?: string } | undefined) => {
        if (key?.ctrl && key.name === "x") this.panic();
      });
      this.out.on("resize", this.screen.onResize);
    }
  }

  async run(): Promise<number> {
    this.subscribe();
    this.listen();
    const c = this.opts.connect;
    const target = `${c.host}:${c.port}${c.room ? ` room ${c.room}` : ""}`;
    this.print([
      this.p.bold(`pqchat ${packageVersion()}`) + this.p.dim(` — SCP ${PROTOCOL_VERSION}, end-to-end encrypted, post-quantum`),
      this.p.dim(`connecting to ${sanitizeInline(target)}…  (/help for commands${this.screen.interactive ? ", Ctrl-X panic" : ""})`),
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
