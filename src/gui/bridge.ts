// The GUI bridge: one ClientCore in this Node process (all keys stay here),
// any number of page WebSockets (normally one tab). Core events go to every
// page as {t:"event"}; page commands come back with an id and get exactly one
// {t:"reply"}. The message types are in page/wire.mts; the command handlers in
// page-commands.ts; which events are forwarded in forwarding.ts.
import * as path from "node:path";
import type { WebSocket } from "ws";
import type { CallApi, ClientApi } from "../client/api.js";
import type { CallEventMap, ClientEventMap } from "../client/events.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { parseCommandObject } from "../present/command-args.js";
import { errorText } from "../present/error-text.js";
import { AUDIO_BACKLOG, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER } from "../present/limits.js";
import { callsOf, messageBytes, pcmFromBytes, pcmToBytes, validAudio } from "./call-audio.js";
import { saveConfig } from "./config.js";
import { openWithDesktop } from "./desktop.js";
import { GUI_CALL_EVENTS, GUI_EVENTS, pageState, toPageEvent, type CallJsonEvent, type ClientEvent } from "./forwarding.js";
import { HISTORY_EVENTS, SessionHistory } from "./history.js";
import { BridgeError, refusalText, runPageCommand, type CommandHost } from "./page-commands.js";
import type { EphemeralOwner, GuiConfig, GuiSettings, Hello, ServerMessage } from "./page/wire.mjs";
import { UploadCopies } from "./upload-copies.js";

export { GUI_CALL_EVENTS, GUI_EVENTS } from "./forwarding.js";
export { MAX_AUDIO_MESSAGE } from "./call-audio.js";
export { openWithDesktop } from "./desktop.js";

/**
 * Past OUTPUT_HIGH_WATER unsent on any page's WebSocket, the core stops reading
 * from the relay (TCP backpressure to the relay and the peer) instead of
 * queueing events without bound or dropping them; it reads again once every
 * page is below OUTPUT_LOW_WATER. Checked after each broadcast and, while
 * paused, on a short timer (ws has no drain event).
 */
const PAGE_DRAIN_POLL_MS = 50;

/** Largest received image previewed inline. */
export const PREVIEW_MAX = 32 * 1024 * 1024;
/** Ephemeral mode: messages disappear after this long (reference GUI: 30 s). */
export const EPHEMERAL_MS = 30_000;

export interface BridgeOptions {
  core: ClientApi;
  config: GuiConfig;
  configFile: string;
  version: string;
  downloadDir: string;
  ephemeralMs?: number;
  /** Opens a folder in the desktop's file manager; resolves with an error text or null. */
  openFolder?: (dir: string) => Promise<string | null>;
  debug?: (line: string) => void;
}

export interface ReceivedFile {
  path: string;
  name: string;
}

export class Bridge {
  private readonly core: ClientApi;
  private config: GuiConfig;
  private readonly pages = new Set<WebSocket>();
  private readonly uploads = new UploadCopies();
  /** Files the core reported as received (hash ok), by transfer id: the only files ever served. */
  readonly received = new Map<string, ReceivedFile>();
  private ephemeralOwner: EphemeralOwner = null;
  private rekeyPrompt = false;
  private readonly calls: (ClientApi & CallApi) | null;
  /** The page whose microphone feeds the call and which plays it (the one that placed or accepted it). */
  private audioPage: WebSocket | null = null;
  private saving: Promise<unknown> = Promise.resolve();
  private readonly history = new SessionHistory();
  private closed = false;
  /** Reading from the relay is paused because a page is backed up. */
  private pagesBacklogged: NodeJS.Timeout | null = null;
  private readonly commandHost: CommandHost;
  readonly ephemeralMs: number;

  constructor(private readonly opts: BridgeOptions) {
    this.core = opts.core;
    this.config = opts.config;
    this.ephemeralMs = opts.ephemeralMs ?? EPHEMERAL_MS;
    for (const name of GUI_EVENTS) {
      // The listener registered for `name` receives that event's data: the pair is one ClientEvent.
      this.core.on(name, (data: ClientEventMap[typeof name]) => this.onEvent({ name, data } as ClientEvent));
    }
    this.calls = callsOf(this.core);
    if (this.calls) {
      // The GUI takes calls; the terminal client keeps declining them (the core's default).
      this.calls.setVoiceCalls(true);
      for (const name of GUI_CALL_EVENTS) {
        this.calls.onCall(name, (data: CallEventMap[typeof name]) => this.onCallEvent({ name, data } as CallJsonEvent));
      }
      this.calls.onCall("call_audio", (e) => this.onCallAudio(e.pcm));
    }
    this.commandHost = this.makeCommandHost();
    this.applySettings(this.config.settings);
  }

  get downloadDir(): string {
    return this.opts.downloadDir;
  }

  // ------------------------------------------------------------------ pages

  attach(ws: WebSocket): void {
    this.pages.add(ws);
    ws.on("message", (data, isBinary) => {
      if (isBinary) return this.onPageAudio(ws, data);
      void this.onMessage(ws, data.toString());
    });
    ws.on("close", () => this.detach(ws));
    ws.on("error", () => this.detach(ws));
    this.sendTo(ws, this.hello());
  }

  private detach(ws: WebSocket): void {
    this.pages.delete(ws);
    if (ws !== this.audioPage) return;
    // The tab with the microphone went away: the call cannot go on.
    this.audioPage = null;
    if (this.calls && this.calls.state().call?.phase !== "idle") {
      try {
        this.calls.hangUp();
      } catch {
        /* already ended */
      }
    }
  }

  get pageCount(): number {
    return this.pages.size;
  }

  private hello(): Hello {
    return {
      t: "hello",
      version: this.opts.version,
      protocol_version: PROTOCOL_VERSION,
      state: pageState(this.core.state()),
      config: this.config,
      ephemeral_owner: this.ephemeralOwner,
      ephemeral_ms: this.ephemeralMs,
      preview_max: PREVIEW_MAX,
      rekey_prompt: this.rekeyPrompt,
      history: this.history.snapshot(),
    };
  }

  private ephemeralNow(): boolean {
    try {
      return this.core.state().ephemeral_mode !== "OFF";
    } catch {
      return false;
    }
  }

  private sendTo(ws: WebSocket, msg: ServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  private broadcast(msg: ServerMessage): void {
    const text = JSON.stringify(msg);
    for (const ws of this.pages) if (ws.readyState === ws.OPEN) ws.send(text);
    if (this.pagesBacklogged === null && this.maxBacklog() > OUTPUT_HIGH_WATER) {
      this.core.pauseInbound("gui-pages");
      this.pagesBacklogged = setInterval(() => {
        if (this.maxBacklog() >= OUTPUT_LOW_WATER && !this.closed) return;
        this.resumeFromBacklog();
      }, PAGE_DRAIN_POLL_MS);
      this.pagesBacklogged.unref();
    }
  }

  /** The most any open page has waiting to be sent (a closed page no longer counts). */
  private maxBacklog(): number {
    let max = 0;
    for (const ws of this.pages) if (ws.readyState === ws.OPEN) max = Math.max(max, ws.bufferedAmount);
    return max;
  }

  private resumeFromBacklog(): void {
    if (this.pagesBacklogged === null) return;
    clearInterval(this.pagesBacklogged);
    this.pagesBacklogged = null;
    this.core.resumeInbound("gui-pages");
  }

  // ------------------------------------------------------------------ core events

  private onEvent(e: ClientEvent): void {
    const page = toPageEvent(e);
    this.remember(e);
    if (HISTORY_EVENTS.has(page.name)) this.history.record(page, this.ephemeralNow());
    this.broadcast({ t: "event", ...page });
  }

  /** What the bridge keeps about the session: upload copies, received files, who owns ephemeral mode, a pending rekey question, the history. */
  private remember(e: ClientEvent): void {
    switch (e.name) {
      case "file_offered":
        this.uploads.offered(e.data.path, e.data.transfer_id);
        break;
      case "file_received":
        if (e.data.hash_ok) this.received.set(e.data.transfer_id, { path: e.data.path, name: path.basename(e.data.path) });
        break;
      case "file_complete":
      case "file_send_failed":
        this.uploads.drop(e.data.transfer_id);
        break;
      case "file_expired":
      case "file_rejected":
        if (e.data.direction === "out") this.uploads.drop(e.data.transfer_id);
        break;
      case "ephemeral_mode":
        this.ephemeralOwner = e.data.mode === "GLOBAL" ? (e.data.by_peer ? "peer" : "self") : null;
        break;
      case "rekey_prompt":
        this.rekeyPrompt = true;
        break;
      case "rekey_started":
      case "rekey_done":
        this.rekeyPrompt = false;
        break;
      case "disconnected":
      case "reconnect_failed":
      case "reset":
      case "emergency_close": {
        // The conversation is over: a reload shows the connect form, so keep nothing
        // (an emergency close wipes it here as on the page). A reset keeps it: the
        // connection stays, and the page goes on showing the log; so does a
        // disconnect that a reconnect follows.
        const goesOn = e.name === "reset" || (e.name === "disconnected" && e.data.reconnect === true);
        if (!goesOn) this.history.clear();
        this.ephemeralOwner = null;
        this.rekeyPrompt = false;
        if (!goesOn) this.uploads.dropAll();
        break;
      }
      default:
        break;
    }
  }

  // ------------------------------------------------------------------ calls

  private onCallEvent(e: CallJsonEvent): void {
    if (e.name === "call_ended") this.audioPage = null;
    this.broadcast({ t: "event", ...e });
  }

  /** A received packet: binary 16-bit LE PCM to the page that owns the call (never queued behind a stalled tab). */
  private onCallAudio(pcm: Int16Array): void {
    const ws = this.audioPage;
    if (!ws || ws.readyState !== ws.OPEN || ws.bufferedAmount > AUDIO_BACKLOG) return;
    ws.send(pcmToBytes(pcm), { binary: true });
  }

  /** Microphone audio from a page: 16-bit LE mono PCM at 44.1 kHz (normally one 441-frame packet). */
  private onPageAudio(ws: WebSocket, data: unknown): void {
    const calls = this.calls;
    if (!calls || ws !== this.audioPage) return;
    const buf = messageBytes(data);
    if (buf === null) return;
    if (!validAudio(buf)) {
      this.opts.debug?.(`page sent an audio message of ${buf.length} bytes; ignored`);
      return;
    }
    calls.sendAudio(pcmFromBytes(buf));
  }

  // ------------------------------------------------------------------ uploads (http-routes.ts streams the body)

  /** The core is ready to offer a file. */
  get canSendFiles(): boolean {
    return this.core.state().phase === "secure";
  }

  /** Offers the streamed temp copy; the dir is removed when the transfer ends (or now, on failure). */
  async offerUpload(tempPath: string, tempDir: string): Promise<{ transfer_id: string; filename: string; file_size: number }> {
    this.uploads.expect(tempPath, tempDir);
    try {
      const info = await this.core.sendFile(tempPath);
      // file_offered (emitted inside sendFile) normally moved the dir already.
      this.uploads.offered(tempPath, info.transfer_id);
      return { transfer_id: info.transfer_id, filename: info.filename, file_size: info.file_size };
    } catch (err) {
      await this.uploads.failed(tempPath, tempDir);
      throw err;
    }
  }

  // ------------------------------------------------------------------ commands

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let msg: Record<string, unknown>;
    try {
      msg = parseCommandObject(text);
    } catch {
      this.opts.debug?.("page sent something that is not a JSON object");
      return;
    }
    const id = msg["id"];
    if (typeof id !== "number" || !Number.isSafeInteger(id)) return;
    try {
      const result = await runPageCommand(this.commandHost, msg, ws);
      this.sendTo(ws, { t: "reply", id, ok: true, result });
    } catch (err) {
      const refusal = refusalText(err);
      if (refusal === null) this.opts.debug?.(`command ${String(msg["cmd"])} failed: ${err instanceof Error ? err.stack : errorText(err)}`);
      this.sendTo(ws, { t: "reply", id, ok: false, error: refusal ?? "Internal error." });
    }
  }

  /** The bridge as the command handlers see it. */
  private makeCommandHost(): CommandHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const bridge = this;
    return {
      core: this.core,
      get config() {
        return bridge.config;
      },
      downloadDir: this.opts.downloadDir,
      calls: () => {
        if (!this.calls) throw new BridgeError("calls_unavailable", "Voice calls are not available.");
        return this.calls;
      },
      hello: () => this.hello(),
      updateConfig: (cfg) => this.updateConfig(cfg),
      applySettings: (s) => this.applySettings(s),
      newConversation: () => this.history.clear(),
      sendText: (text) => {
        const ephemeral = this.ephemeralNow();
        const sent = this.core.sendText(text);
        this.history.record({ name: "own_message", data: { text, message_id: sent.message_id } }, ephemeral);
        return sent;
      },
      takeAudio: (ws) => {
        this.audioPage = ws;
      },
      rekeyAnswered: () => {
        this.rekeyPrompt = false;
      },
      openFolder: (dir) => (this.opts.openFolder ?? openWithDesktop)(dir),
    };
  }

  private applySettings(s: Partial<GuiSettings>): void {
    const core = this.core;
    if (s.dummy_traffic !== undefined) core.setOption("dummy_traffic", s.dummy_traffic);
    if (s.delivery_receipts !== undefined) core.setOption("delivery_receipts", s.delivery_receipts);
    if (s.allow_nickname_change !== undefined) core.setOption("allow_nickname_change", s.allow_nickname_change);
    if (s.accept_files !== undefined) {
      const a = s.accept_files;
      core.setAcceptFiles(a === "ask" || a === "yes-unverified" ? a : a === "yes");
    }
  }

  /** Resolves once the file is written (a failure is only logged: the GUI works without it). */
  private updateConfig(cfg: GuiConfig): Promise<unknown> {
    this.config = cfg;
    this.broadcast({ t: "config", config: cfg });
    const file = this.opts.configFile;
    this.saving = this.saving.then(async () => {
      const err = await saveConfig(file, cfg);
      if (err) this.opts.debug?.(`could not save ${file}: ${err}`);
    });
    return this.saving;
  }

  /** Waits for pending config writes. */
  flushConfig(): Promise<unknown> {
    return this.saving;
  }

  // ------------------------------------------------------------------ shutdown

  /** CLIENT_DISCONNECT (bounded wait), close the pages, remove every upload copy. */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resumeFromBacklog();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.core.disconnect().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const ws of this.pages) ws.close(1001, "pqchat gui is shutting down");
    await this.uploads.removeAll();
    await this.saving;
  }
}
