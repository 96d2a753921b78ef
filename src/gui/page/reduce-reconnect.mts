// How the automatic reconnect and the held messages change the page's model:
// the "Reconnecting in N s" banner (its figures live in session.reconnect),
// the log lines, and the pending marks on messages typed while disconnected.
import { clean } from "./format.mjs";
import { sys, type Draft } from "./reduce-base.mjs";
import type { PageEventMap } from "./wire.mjs";

type ReconnectEventName = "reconnecting" | "reconnect_failed" | "message_pending" | "messages_held" | "message_not_sent" | "message_expired";
type Handlers<N extends keyof PageEventMap> = { [K in N]: (d: Draft, e: PageEventMap[K]) => void };

export const RECONNECT_EVENTS: Handlers<ReconnectEventName> = {
  reconnecting(d, e) {
    const s = d.m.session;
    s.phase = "reconnecting";
    s.reconnect = { attempt: e.attempt, max_attempts: e.max_attempts, next_at: d.now + e.delay_ms, reason: e.reason };
    if (e.attempt === 1) sys(d, "Trying to reconnect to the server…", "warn");
  },
  reconnect_failed(d, e) {
    d.m.session.reconnect = null;
    d.m.interrupted = false;
    if (d.m.session.phase === "reconnecting") d.m.session.phase = "disconnected";
    if (d.m.view !== "chat") return;
    if (e.canceled) sys(d, "Reconnecting canceled.", "plain", "new_connection");
    else sys(d, `Could not reconnect (${e.attempts} attempts): ${clean(e.reason, 160)}`, "bad", "new_connection");
  },
  message_pending(d, e) {
    d.fx.push({ k: "tick", messageId: e.message_id, tick: "pending" });
  },
  messages_held(d, e) {
    sys(d, `${e.count} message${e.count === 1 ? "" : "s"} you wrote while disconnected will be sent once you verify this new session: it may be someone else.`, "warn", "verify");
  },
  // The page runs its own timers for disappearing messages (log.mts), from when it drew them.
  message_expired() {},
  message_not_sent(d, e) {
    d.fx.push({ k: "tick", messageId: e.message_id, tick: "failed" });
    if (d.m.view === "chat") sys(d, `A message was not sent: ${clean(e.reason, 160)}`, "bad");
  },
};
