// The page's commands (page/wire.mts Command), one handler each. The
// arguments are parsed and checked by the shared parser (src/present/
// command-args.ts, PAGE_COMMANDS) before a handler runs; a handler gets them
// typed, does the work through the client and returns the reply's result.
import type { WebSocket } from "ws";
import type { CallApi, ClientApi } from "../client/api.js";
import { CommandError } from "../client/api.js";
import { CommandArgsError, PAGE_COMMANDS, parseCommand, type ArgsOf } from "../present/command-args.js";
import { cleanSettings } from "./config.js";
import type { GuiConfig, GuiSettings, Hello } from "./page/wire.mjs";

/** Why the bridge refused a command the client never saw. */
export type BridgeErrorKind = "calls_unavailable" | "open_folder_failed";

/** A refusal of the bridge's own, in words for the page. */
export class BridgeError extends Error {
  readonly kind: BridgeErrorKind;
  constructor(kind: BridgeErrorKind, message: string) {
    super(message);
    this.name = "BridgeError";
    this.kind = kind;
  }
}

/** What the handlers may do to the bridge. */
export interface CommandHost {
  readonly core: ClientApi;
  readonly config: GuiConfig;
  readonly downloadDir: string;
  /** The core's calls, or a BridgeError when this process has none. */
  calls(): ClientApi & CallApi;
  hello(): Hello;
  updateConfig(cfg: GuiConfig): Promise<unknown>;
  applySettings(s: Partial<GuiSettings>): void;
  /** A new conversation starts: the history a reloaded page would replay is forgotten. */
  newConversation(): void;
  /** Sends a message and keeps it for a reloaded page (unless it is ephemeral). */
  sendText(text: string): { message_id: string };
  /** This page holds the call's microphone and speaker. */
  takeAudio(ws: WebSocket): void;
  /** The user answered the peer's rekey question. */
  rekeyAnswered(): void;
  openFolder(dir: string): Promise<string | null>;
}

type PageCommandName = keyof typeof PAGE_COMMANDS;
type Handler<N extends PageCommandName> = (h: CommandHost, args: ArgsOf<(typeof PAGE_COMMANDS)[N]>, ws: WebSocket) => unknown;

/** One handler per command of PAGE_COMMANDS (the compiler checks none is missing). */
const HANDLERS: { [N in PageCommandName]: Handler<N> } = {
  state: (h) => h.hello(),
  async connect(h, { host, port, room, nickname }) {
    if (nickname !== "") h.core.setNickname(nickname);
    await h.updateConfig({ ...h.config, host, port, room, nickname });
    h.newConversation(); // the page clears its log too
    await h.core.connect({ host, port, room: room === "" ? null : room });
    return null;
  },
  async disconnect(h) {
    await h.core.disconnect();
    return null;
  },
  verify(h, { answer, fingerprint }) {
    // The page names the words it showed: an answer for words no longer current is refused.
    if (fingerprint === undefined) h.core.verify(answer);
    else h.core.verify(answer, fingerprint);
    return null;
  },
  send: (h, { text }) => h.sendText(text),
  accept(h, { transfer_id }) {
    h.core.acceptFile(transfer_id);
    return null;
  },
  reject(h, { transfer_id }) {
    h.core.rejectFile(transfer_id);
    return null;
  },
  resume(h, { transfer_id, answer }) {
    h.core.resumeFile(transfer_id, answer);
    return null;
  },
  rekey(h) {
    h.core.rekey();
    return null;
  },
  rekey_answer(h, { accept }) {
    h.core.answerRekey(accept);
    h.rekeyAnswered();
    return null;
  },
  async nick(h, { nickname }) {
    h.core.setNickname(nickname);
    await h.updateConfig({ ...h.config, nickname });
    return null;
  },
  ephemeral(h, { mode }) {
    h.core.setEphemeralMode(mode);
    return null;
  },
  async settings(h, { settings }) {
    const s = cleanSettings(settings);
    h.applySettings(s);
    await h.updateConfig({ ...h.config, settings: { ...h.config.settings, ...s } });
    return null;
  },
  emergency_close(h) {
    h.core.emergencyClose();
    return null;
  },
  call(h, _args, ws) {
    h.calls().call();
    h.takeAudio(ws);
    return null;
  },
  answer_call(h, { accept }, ws) {
    h.calls().answerCall(accept);
    if (accept) h.takeAudio(ws);
    return null;
  },
  hang_up(h) {
    h.calls().hangUp();
    return null;
  },
  mute(h, { muted }) {
    h.calls().setMuted(muted);
    return null;
  },
  async open_downloads(h) {
    const err = await h.openFolder(h.downloadDir);
    if (err !== null) throw new BridgeError("open_folder_failed", `Could not open the folder ${h.downloadDir} (${err}).`);
    return { path: h.downloadDir };
  },
};

function run<N extends PageCommandName>(h: CommandHost, c: { name: N; args: ArgsOf<(typeof PAGE_COMMANDS)[N]> }, ws: WebSocket): unknown {
  const handler: Handler<N> = HANDLERS[c.name];
  return handler(h, c.args, ws);
}

/** Runs one command object from the page; resolves with the reply's result. */
export async function runPageCommand(h: CommandHost, msg: Readonly<Record<string, unknown>>, ws: WebSocket): Promise<unknown> {
  return (await run(h, parseCommand(PAGE_COMMANDS, msg), ws)) ?? null;
}

/** The reply's error text for a refusal the user should read, or null for an internal error (logged, not shown). */
export function refusalText(err: unknown): string | null {
  if (err instanceof CommandArgsError) return err.kind === "unknown_command" ? "Unknown command." : err.message;
  if (err instanceof CommandError || err instanceof BridgeError) return err.message;
  return null;
}
