// The GUI bridge: one ClientCore in this Node process (all keys stay here),
// any number of page WebSockets (normally one tab). Core events go to every
// page as {t:"event"}; page commands come back with an id and get exactly one
// {t:"reply"}. The message types are in page/wire.mts.
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import * as path from "node:path";
import * as os from "node:os";
import type { WebSocket } from "ws";
import { CommandError, type CallApi, type CallState, type ClientApi, type ClientState } from "../client/api.js";
import type { CallEventMap, CallEventName, ClientEventMap, ClientEventName } from "../client/events.js";
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { cleanSettings, saveConfig } from "./config.js";
import { imageTypeByName } from "./files.js";
import { HISTORY_EVENTS, SessionHistory } from "./history.js";
import type { EphemeralOwner, GuiConfig, GuiSettings, Hello, PageCall, PageEvent, PageState, ServerMessage } from "./page/wire.mjs";

/** A core event with its name: a switch on `name` narrows `data`. */
type ClientEvent = { [K in ClientEventName]: { name: K; data: ClientEventMap[K] } }[ClientEventName];
type CallJsonEvent = { [K in (typeof GUI_CALL_EVENTS)[number]]: { name: K; data: CallEventMap[K] } }[(typeof GUI_CALL_EVENTS)[number]];

/** Every core event, forwarded (the compile-time check below keeps this complete). */
export const GUI_EVENTS = [
  "connected", "server_version", "peer_version", "waiting_for_peer", "key_exchange_started", "key_exchange_complete", "verified",
  "peer_verified", "message", "sent", "delivered", "nickname", "nickname_ignored", "ephemeral_mode", "file_offer",
  "file_offered", "file_accepted", "file_rejected", "file_progress", "file_sent", "file_complete", "file_received",
  "file_receive_failed", "file_send_failed", "file_expired", "rekey_started", "rekey_done", "rekey_prompt", "voice_call_rejected",
  "emergency_close", "reset", "server_full", "server_disconnect", "server_error", "disconnected", "error",
] as const satisfies readonly ClientEventName[];
type Unforwarded = Exclude<ClientEventName, (typeof GUI_EVENTS)[number]>;
const _allForwarded: [Unforwarded] extends [never] ? true : Unforwarded = true;
void _allForwarded;

/** Call events sent to the pages as JSON (call_audio goes as a binary message to the page that owns the call's audio). */
export const GUI_CALL_EVENTS = ["call_ringing", "call_incoming", "call_started", "call_muted", "call_ended"] as const satisfies readonly CallEventName[];
type UnforwardedCall = Exclude<CallEventName, (typeof GUI_CALL_EVENTS)[number] | "call_audio">;
const _allCallForwarded: [UnforwardedCall] extends [never] ? true : UnforwardedCall = true;
void _allCallForwarded;

/** Largest microphone message from the page: 100 ms of 16-bit mono at 44.1 kHz. */
export const MAX_AUDIO_MESSAGE = 4410 * 2;
/** Received audio is not sent to a page that has this much unsent already (a stalled tab): dropped, never queued. */
export const AUDIO_BACKLOG = 64 * 1024;
const LITTLE_ENDIAN = os.endianness() === "LE";

/** Stand-in cores (benchmarks, tests) may lack calls. */
function callsOf(core: ClientApi): (ClientApi & CallApi) | null {
  const c = core as ClientApi & Partial<CallApi>;
  return typeof c.onCall === "function" && typeof c.sendAudio === "function" ? (c as ClientApi & CallApi) : null;
}

function pageCall(c: CallState | undefined): PageCall {
  if (!c) return { available: false, phase: "idle", direction: null, format: null, muted: false, started_at: null };
  return { available: true, phase: c.phase, direction: c.direction, format: c.format, muted: c.muted, started_at: c.started_at };
}

/** Little-endian 16-bit PCM bytes to samples (a copy: aligned, and independent of the socket's buffer). */
function pcmFromBytes(b: Buffer): Int16Array {
  const out = new Int16Array(b.length >> 1);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b.subarray(0, out.length * 2));
  else for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
  return out;
}

function pcmToBytes(p: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const b = Buffer.alloc(p.length * 2);
  for (let i = 0; i < p.length; i++) b.writeInt16LE(p[i]!, 2 * i);
  return b;
}

/**
 * Past this much unsent on any page's WebSocket, the core stops reading from
 * the relay (TCP backpressure to the relay and the peer) instead of queueing
 * events without bound or dropping them; it reads again once every page is
 * below PAGE_LOW_WATER. Checked after each broadcast and, while paused, on a
 * short timer (ws has no drain event).
 */
export const PAGE_HIGH_WATER = 2 * 1024 * 1024;
export const PAGE_LOW_WATER = 512 * 1024;
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

/** Spawns the platform's opener, detached; resolves once it started (or could not). */
export function openWithDesktop(target: string): Promise<string | null> {
  const [cmd, args] =
    process.platform === "darwin" ? ["open", [target]] : process.platform === "win32" ? ["cmd", ["/c", "start", '""', target]] : ["xdg-open", [target]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { detached: true, stdio: "ignore", windowsHide: true });
      child.once("error", (err) => resolve(`${cmd}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      child.once("spawn", () => {
        child.unref();
        resolve(null);
      });
    } catch (err) {
      resolve(err instanceof Error ? err.message : String(err));
    }
  });
}

function pageState(s: ClientState): PageState {
  return {
    phase: s.phase,
    host: s.host,
    port: s.port,
    room: s.room,
    role: s.role,
    words: s.words,
    fingerprint_sha256: s.fingerprint_sha256 ?? null,
    verified: s.verified,
    peer_verified: s.peer_verified,
    nickname: s.nickname,
    peer_nickname: s.peer_nickname,
    ephemeral_mode: s.ephemeral_mode,
    transfers: s.transfers.map((t) => ({
      transfer_id: t.transfer_id,
      filename: t.filename,
      file_size: t.file_size,
      direction: t.direction,
      status: t.status,
      bytes: t.bytes,
      total: t.total,
      rate: t.rate,
    })),
    download_dir: s.download_dir,
    call: pageCall(s.call),
  };
}

class BadCommand extends Error {}

function str(m: Record<string, unknown>, k: string, max: number): string {
  const v = m[k];
  if (typeof v !== "string") throw new BadCommand(`"${k}" must be a string.`);
  if (v.length > max) throw new BadCommand(`"${k}" is too long.`);
  return v;
}

function bool(m: Record<string, unknown>, k: string): boolean {
  const v = m[k];
  if (typeof v !== "boolean") throw new BadCommand(`"${k}" must be true or false.`);
  return v;
}

export class Bridge {
  private readonly core: ClientApi;
  private config: GuiConfig;
  private readonly pages = new Set<WebSocket>();
  /** Upload temp dirs by the temp file's path, until the core announced the offer. */
  private readonly uploadsByPath = new Map<string, string>();
  /** Upload temp dirs by transfer id, until the transfer ended. */
  private readonly uploads = new Map<string, string>();
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
    if (this.pagesBacklogged === null && this.maxBacklog() > PAGE_HIGH_WATER) {
      this.core.pauseInbound("gui-pages");
      this.pagesBacklogged = setInterval(() => {
        if (this.maxBacklog() >= PAGE_LOW_WATER && !this.closed) return;
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
    const page = this.toPage(e);
    this.remember(e);
    if (HISTORY_EVENTS.has(page.name)) this.history.record(page, this.ephemeralNow());
    this.broadcast({ t: "event", ...page });
  }

  /** The event as the page gets it (page/wire.mts PageEventMap): no private paths, received files named. */
  private toPage(e: ClientEvent): PageEvent {
    switch (e.name) {
      case "file_offered": {
        // The path is our private temp copy: keep it here, the page does not need it.
        const { path: p, ...data } = e.data;
        const dir = this.uploadsByPath.get(p);
        if (dir !== undefined) {
          this.uploadsByPath.delete(p);
          this.uploads.set(e.data.transfer_id, dir);
        }
        return { name: e.name, data };
      }
      case "file_received": {
        const p = e.data.path;
        const ok = e.data.hash_ok;
        if (ok) this.received.set(e.data.transfer_id, { path: p, name: path.basename(p) });
        return { name: e.name, data: { ...e.data, name: path.basename(p), preview: ok && imageTypeByName(p) !== null } };
      }
      default:
        return e;
    }
  }

  /** What the bridge keeps about the session: upload copies, who owns ephemeral mode, a pending rekey question, the history. */
  private remember(e: ClientEvent): void {
    switch (e.name) {
      case "file_complete":
      case "file_send_failed":
        this.dropUpload(e.data.transfer_id);
        break;
      case "file_expired":
      case "file_rejected":
        if (e.data.direction === "out") this.dropUpload(e.data.transfer_id);
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
      case "reset":
      case "emergency_close":
      case "disconnected":
        // The conversation is over: a reload shows the connect form, so keep nothing
        // (an emergency close wipes it here as on the page). A reset keeps it: the
        // connection stays, and the page goes on showing the log.
        if (e.name !== "reset") this.history.clear();
        this.ephemeralOwner = null;
        this.rekeyPrompt = false;
        if (e.name !== "reset") for (const id of [...this.uploads.keys()]) this.dropUpload(id);
        break;
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
    let buf: Buffer;
    if (Buffer.isBuffer(data)) buf = data;
    else if (Array.isArray(data)) buf = Buffer.concat(data as Buffer[]);
    else if (data instanceof ArrayBuffer) buf = Buffer.from(data);
    else return;
    if (buf.length === 0 || buf.length % 2 !== 0 || buf.length > MAX_AUDIO_MESSAGE) {
      this.opts.debug?.(`page sent an audio message of ${buf.length} bytes; ignored`);
      return;
    }
    calls.sendAudio(pcmFromBytes(buf));
  }

  private needCalls(): ClientApi & CallApi {
    if (!this.calls) throw new BadCommand("Voice calls are not available.");
    return this.calls;
  }

  private dropUpload(id: string): void {
    const dir = this.uploads.get(id);
    if (dir === undefined) return;
    this.uploads.delete(id);
    void rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  // ------------------------------------------------------------------ uploads (server.ts streams the body)

  /** The core is ready to offer a file. */
  get canSendFiles(): boolean {
    return this.core.state().phase === "secure";
  }

  /** Offers the streamed temp copy; the dir is removed when the transfer ends (or now, on failure). */
  async offerUpload(tempPath: string, tempDir: string): Promise<{ transfer_id: string; filename: string; file_size: number }> {
    this.uploadsByPath.set(tempPath, tempDir);
    try {
      const info = await this.core.sendFile(tempPath);
      // file_offered (emitted inside sendFile) normally moved the dir to `uploads` already.
      if (this.uploadsByPath.get(tempPath) === tempDir) {
        this.uploadsByPath.delete(tempPath);
        this.uploads.set(info.transfer_id, tempDir);
      }
      return { transfer_id: info.transfer_id, filename: info.filename, file_size: info.file_size };
    } catch (err) {
      this.uploadsByPath.delete(tempPath);
      await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  // ------------------------------------------------------------------ commands

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let msg: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(text);
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      msg = v as Record<string, unknown>;
    } catch {
      this.opts.debug?.("page sent something that is not a JSON object");
      return;
    }
    const id = msg["id"];
    if (typeof id !== "number" || !Number.isSafeInteger(id)) return;
    try {
      const result = await this.run(msg, ws);
      this.sendTo(ws, { t: "reply", id, ok: true, result: result ?? null });
    } catch (err) {
      const known = err instanceof CommandError || err instanceof BadCommand;
      const error = known ? err.message : "Internal error.";
      if (!known) this.opts.debug?.(`command ${String(msg["cmd"])} failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.sendTo(ws, { t: "reply", id, ok: false, error });
    }
  }

  private async run(m: Record<string, unknown>, ws: WebSocket): Promise<unknown> {
    const core = this.core;
    switch (m["cmd"]) {
      case "state":
        return this.hello();
      case "connect": {
        const host = str(m, "host", 253).trim();
        const port = m["port"];
        const room = str(m, "room", 256).trim();
        const nickname = str(m, "nickname", 64).trim();
        if (host === "") throw new BadCommand("Enter the server's host name or address.");
        if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new BadCommand("The port must be a number from 1 to 65535.");
        if (nickname !== "") core.setNickname(nickname);
        await this.updateConfig({ ...this.config, host, port, room, nickname });
        this.history.clear(); // a new conversation (the page clears its log too)
        await core.connect({ host, port, room: room === "" ? null : room });
        return null;
      }
      case "disconnect":
        await core.disconnect();
        return null;
      case "verify":
        // The page names the words it showed: an answer for words no longer current is refused.
        if (m["fingerprint"] === undefined) core.verify(bool(m, "answer"));
        else core.verify(bool(m, "answer"), str(m, "fingerprint", 1024));
        return null;
      case "send": {
        const text = str(m, "text", 1 << 20);
        if (text.trim() === "") throw new BadCommand("The message is empty.");
        const ephemeral = this.ephemeralNow();
        const sent = core.sendText(text);
        this.history.record({ name: "own_message", data: { text, message_id: sent.message_id } }, ephemeral);
        return sent;
      }
      case "accept":
        core.acceptFile(str(m, "transfer_id", 64));
        return null;
      case "reject":
        core.rejectFile(str(m, "transfer_id", 64));
        return null;
      case "rekey":
        core.rekey();
        return null;
      case "rekey_answer": {
        const accept = bool(m, "accept");
        core.answerRekey(accept);
        this.rekeyPrompt = false;
        return null;
      }
      case "nick": {
        const nickname = str(m, "nickname", 64).trim();
        core.setNickname(nickname);
        await this.updateConfig({ ...this.config, nickname });
        return null;
      }
      case "ephemeral": {
        const mode = m["mode"];
        if (mode !== "OFF" && mode !== "LOCAL" && mode !== "GLOBAL") throw new BadCommand('The mode must be "OFF", "LOCAL" or "GLOBAL".');
        core.setEphemeralMode(mode);
        return null;
      }
      case "settings": {
        const s = cleanSettings(m["settings"]);
        this.applySettings(s);
        await this.updateConfig({ ...this.config, settings: { ...this.config.settings, ...s } });
        return null;
      }
      case "emergency_close":
        core.emergencyClose();
        return null;
      case "call": {
        const calls = this.needCalls();
        calls.call();
        this.audioPage = ws;
        return null;
      }
      case "answer_call": {
        const accept = bool(m, "accept");
        const calls = this.needCalls();
        calls.answerCall(accept);
        if (accept) this.audioPage = ws;
        return null;
      }
      case "hang_up":
        this.needCalls().hangUp();
        return null;
      case "mute":
        this.needCalls().setMuted(bool(m, "muted"));
        return null;
      case "open_downloads": {
        const open = this.opts.openFolder ?? openWithDesktop;
        const err = await open(this.opts.downloadDir);
        if (err !== null) throw new BadCommand(`Could not open the folder ${this.opts.downloadDir} (${err}).`);
        return { path: this.opts.downloadDir };
      }
      default:
        throw new BadCommand("Unknown command.");
    }
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
    const dirs = [...this.uploads.values(), ...this.uploadsByPath.values()];
    this.uploads.clear();
    this.uploadsByPath.clear();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => undefined)));
    await this.saving;
  }
}
