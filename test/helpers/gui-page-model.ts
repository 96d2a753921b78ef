// Builders for the page's reducer tests: a hello as the bridge sends it and
// a model stepped through a list of actions (effects collected).
import type { Action, Effect, PageModel } from "../../src/gui/page/model.mjs";
import { initialModel } from "../../src/gui/page/model.mjs";
import { reduce } from "../../src/gui/page/reducer.mjs";
import type { GuiConfig, Hello, HistoryEvent, PageEvent, PageState, SessionPageEvent } from "../../src/gui/page/wire.mjs";

export const CONFIG: GuiConfig = {
  host: "127.0.0.1",
  port: 39000,
  room: "r",
  nickname: "alice",
  settings: { dummy_traffic: false, delivery_receipts: true, allow_nickname_change: true, accept_files: "ask", notifications: false, sound: false, theme: "auto" },
};

export function pageState(over: Partial<PageState> = {}): PageState {
  return { ...initialModel().session, ...over };
}

export function hello(over: Partial<Hello> = {}): Hello {
  return {
    t: "hello",
    version: "0.1.0",
    protocol_version: "6.0.1",
    state: pageState(),
    config: CONFIG,
    ephemeral_owner: null,
    ephemeral_ms: 30_000,
    preview_max: 1 << 20,
    rekey_prompt: false,
    history: [],
    ...over,
  };
}

export function event(e: PageEvent, now = 1_000_000): Action {
  return { t: "event", event: e as SessionPageEvent, now };
}

export const WORDS = ["apple", "banana", "cherry", "delta", "echo", "fox", "golf", "hotel"];

/** The events of a session that reached the secure phase. */
export const SECURE: PageEvent[] = [
  { name: "connected", data: { host: "127.0.0.1", port: 39000, room: "r" } },
  { name: "key_exchange_started", data: { role: "initiator" } },
  { name: "key_exchange_complete", data: { fingerprint: "f", words: WORDS, fingerprint_sha256: "ab".repeat(32) } },
];

/** Steps `m` through `actions`; the effects of all steps, in order. */
export function run(m: PageModel, actions: Action[]): { state: PageModel; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const a of actions) {
    const step = reduce(m, a);
    m = step.state;
    effects.push(...step.effects);
  }
  return { state: m, effects };
}

/** A model connected and secure (after a hello for a fresh page). */
export function secureModel(): PageModel {
  return run(initialModel(), [{ t: "hello", hello: hello() }, ...SECURE.map((e) => event(e))]).state;
}

export function historyOf(events: PageEvent[], at = 5000): HistoryEvent[] {
  return events.map((e, i) => ({ ...e, at: at + i }));
}

/** The system lines among effects, as plain text (names as they were given). */
export function sysLines(effects: Effect[]): string[] {
  return effects.flatMap((e) => (e.k === "sys" ? [e.parts.map((p) => (typeof p === "string" ? p : p.name)).join("")] : []));
}
