// What a reloaded page shows again: the session's conversation as the events
// that drew it, in order, with the time each happened. Kept in this process's
// memory only (never on disk), bounded, and forgotten when the connection
// ends (a reload then shows the connect form) or on an emergency close. Disappearing (ephemeral) messages are never kept: a
// reload must not bring them back or make them live longer.
import type { HistoryEvent, OwnMessage, PageEvent } from "./page/wire.mjs";

type Name = HistoryEvent["name"];

/** Events that draw a line in the chat log; the rest (progress, offers, prompts) come back through the hello state. */
export const HISTORY_EVENTS: ReadonlySet<Name> = new Set<Name>([
  "connected", "server_version", "peer_version", "waiting_for_peer", "key_exchange_started", "key_exchange_complete", "verified",
  "peer_verified", "message", "sent", "delivered", "nickname", "nickname_ignored", "ephemeral_mode", "file_complete",
  "file_received", "rekey_started", "rekey_done", "reset", "server_full", "server_disconnect", "server_error",
  "error",
  // Not a core event: a message the local user sent ({ text, message_id }).
  "own_message",
]);

/** Content that disappears in ephemeral mode. */
const CONTENT: ReadonlySet<Name> = new Set<Name>(["message", "own_message", "file_received", "file_complete"]);

export const HISTORY_MAX_EVENTS = 2000;
export const HISTORY_MAX_BYTES = 4 * 1024 * 1024;

export class SessionHistory {
  private events: { e: HistoryEvent; bytes: number }[] = [];
  private bytes = 0;

  constructor(
    private readonly maxEvents = HISTORY_MAX_EVENTS,
    private readonly maxBytes = HISTORY_MAX_BYTES,
  ) {}

  /** Keeps one event (if it draws in the log), dropping the oldest beyond the bounds. */
  record(event: PageEvent | OwnMessage, ephemeral: boolean, at = Date.now()): void {
    if (!HISTORY_EVENTS.has(event.name) || (ephemeral && CONTENT.has(event.name))) return;
    const e: HistoryEvent = { ...event, at };
    const bytes = JSON.stringify(e).length;
    if (bytes > this.maxBytes) return;
    this.events.push({ e, bytes });
    this.bytes += bytes;
    while (this.events.length > this.maxEvents || this.bytes > this.maxBytes) this.bytes -= this.events.shift()!.bytes;
  }

  clear(): void {
    this.events = [];
    this.bytes = 0;
  }

  snapshot(): HistoryEvent[] {
    return this.events.map((x) => x.e);
  }

  get size(): number {
    return this.events.length;
  }
}
