// The page as a pure function: reduce(model, action) gives the next model and
// the effects to carry out (log lines, dialogs, alerts). Actions are the
// bridge's messages and what the user did; nothing here reads the clock, the
// DOM or the network, so every step can be tested in Node (test/gui-page-reducer).
import type { Action, PageModel, Step } from "./model.mjs";
import { draft, myNick, toConnect, wipe, type Draft } from "./reduce-base.mjs";
import { FILE_EVENTS, filesFromHello, setStatus, upsertFile, uploadProgress } from "./reduce-files.mjs";
import { RECONNECT_EVENTS } from "./reduce-reconnect.mjs";
import { SESSION_EVENTS } from "./reduce-session.mjs";
import { setFile } from "./reduce-base.mjs";
import type { CallEventPageName, CallPageEvent, Hello, HistoryEvent, PageEvent, PageEventMap, SessionPageEvent } from "./wire.mjs";

type SessionName = SessionPageEvent["name"];
type Handler<K extends SessionName> = (d: Draft, e: PageEventMap[K]) => void;

/** One handler per event the reducer takes: the compiler fails if an event has none. */
const HANDLERS: { [K in SessionName]: Handler<K> } = { ...SESSION_EVENTS, ...FILE_EVENTS, ...RECONNECT_EVENTS };

function onEvent<K extends SessionName>(d: Draft, e: { name: K; data: PageEventMap[K] }): void {
  const handler: Handler<K> = HANDLERS[e.name];
  handler(d, e.data);
}

export function reduce(m: PageModel, a: Action): Step {
  if (a.t === "hello") return hello(m, a.hello);
  const d = draft(m, a.t === "event" ? a.now : 0);
  switch (a.t) {
    case "config":
      d.m.config = a.config;
      break;
    case "event":
      onEvent(d, a.event);
      break;
    case "socket_closed":
      d.m.offline = true;
      d.fx.push({ k: "calls_reset" });
      break;
    case "connect_started":
      d.m.connect = { ...d.m.connect, busy: true, error: null, notice: null };
      d.m.files = new Map();
      d.fx.push({ k: "clear_log" });
      break;
    case "connect_done":
      d.m.connect = { ...d.m.connect, busy: false };
      if (a.nickname) d.m.session.nickname = a.nickname;
      d.m.view = "chat";
      break;
    case "connect_failed":
      d.m.connect = { ...d.m.connect, busy: false, error: a.error };
      break;
    default:
      userAction(d, a);
  }
  return { state: d.m, effects: d.fx };
}

/** What the user did in the page (beyond connecting). */
function userAction(d: Draft, a: Exclude<Action, { t: "hello" | "config" | "event" | "socket_closed" | "connect_started" | "connect_done" | "connect_failed" }>): void {
  // One case per action, most of them one line: a table would only hide the switch.
  switch (a.t) {
    case "new_connection":
      toConnect(d, null);
      return;
    case "emergency":
      if (d.m.session.phase === "disconnected" && d.m.view === "connect") return;
      d.m.selfEmergency = true;
      // Sent first: the bridge writes EMERGENCY_CLOSE as soon as it reads this.
      d.fx.push({ k: "command", cmd: { cmd: "emergency_close" } });
      wipe(d);
      toConnect(d, "Emergency close sent. The session was wiped and this window cleared.");
      return;
    case "nick_saved":
      d.m.session.nickname = a.nickname;
      return;
    case "offer_answered":
      if (a.accepted) setStatus(d, a.id, "accepted", "Accepting…");
      d.fx.push({ k: "close_offer", id: a.id });
      d.m.offers = d.m.offers.filter((x) => x !== a.id);
      d.fx.push({ k: "next_offer" });
      return;
    case "offer_deferred": {
      const [first, ...rest] = d.m.offers;
      if (first === a.id) d.m.offers = [...rest, first];
      // A task later: the dialog that just closed has given the focus back first.
      if (d.m.offers.length > 1) d.fx.push({ k: "next_offer", later: true });
      return;
    }
    case "upload_started":
      upsertFile(d, a.key, "out", a.name, a.size, a.size);
      setStatus(d, a.key, "uploading", "Reading…");
      return;
    case "upload_progress":
      uploadProgress(d, a.key, a.loaded, a.total);
      return;
    case "upload_ended":
      setFile(d, a.key, null);
      return;
  }
}

/**
 * A hello (the page loaded, or its socket reconnected): the bridge's state,
 * and for a page loaded mid-session the conversation again, drawn from the
 * bridge's history by the same handlers at the original times, with no alerts
 * or dialogs; the state stays the one the hello gave.
 */
function hello(m: PageModel, h: Hello): Step {
  const d = draft(m, 0);
  d.m.session = h.state;
  d.m.config = h.config;
  d.m.ephemeralOwner = h.ephemeral_owner;
  d.m.ephemeralMs = h.ephemeral_ms;
  d.m.about = { version: h.version, protocol: h.protocol_version };
  d.m.offline = false;
  if (!m.helloSeen) d.fx.push({ k: "fill_connect_form" });
  d.m.helloSeen = true;
  if (h.state.phase === "disconnected") toConnect(d, null);
  else {
    d.m.view = "chat";
    const replayed = replay(d.m, h.history);
    d.m = { ...replayed.state, session: h.state, ephemeralOwner: h.ephemeral_owner, interrupted: h.state.reconnect !== null };
    d.fx.push(...replayed.effects);
    filesFromHello(d, h.state.transfers);
  }
  if (h.rekey_prompt) d.fx.push({ k: "open", dialog: "rekey" });
  d.fx.push({ k: "calls_hello", call: h.state.call });
  return { state: d.m, effects: d.fx };
}

function replay(m: PageModel, events: HistoryEvent[]): Step {
  const d = draft(m, 0, true);
  d.fx.push({ k: "clear_log" });
  for (const e of events) {
    d.now = e.at;
    d.fx.push({ k: "clock", at: e.at });
    if (e.name === "own_message") d.fx.push({ k: "own_message", nick: myNick(d.m), text: e.data.text, messageId: e.data.message_id });
    else if (isSessionEvent(e)) onEvent(d, e);
  }
  d.fx.push({ k: "clock", at: null });
  return { state: d.m, effects: d.fx };
}

/** The events the page's call module handles (the compiler checks the list is complete). */
const CALL_EVENTS: Record<CallEventPageName, true> = {
  call_ringing: true,
  call_incoming: true,
  call_started: true,
  call_muted: true,
  call_ended: true,
  voice_call_rejected: true,
};

export function isCallEvent(e: PageEvent): e is CallPageEvent {
  return Object.hasOwn(CALL_EVENTS, e.name);
}

/** The history holds session events and the user's own messages; a call event there is skipped. */
function isSessionEvent(e: PageEvent): e is SessionPageEvent {
  return !isCallEvent(e);
}
