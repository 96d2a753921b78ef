// How each of the session's events (everything but files and calls) changes
// the page's model: the connection's phase, the peer, verification, messages
// and the lines they add to the log.
import { clean } from "./format.mjs";
import { closeDialogs, ephemeralNow, forgetPeer, sys, toConnect, wipe, type Draft } from "./reduce-base.mjs";
import type { PageEventMap } from "./wire.mjs";

type SessionEventName =
  | "connected" | "server_version" | "peer_version" | "waiting_for_peer" | "key_exchange_started" | "key_exchange_complete" | "verified" | "peer_verified" | "verification_not_carried"
  | "message" | "sent" | "delivered" | "nickname" | "nickname_ignored" | "ephemeral_mode" | "rekey_started" | "rekey_done" | "rekey_prompt"
  | "emergency_close" | "reset" | "server_full" | "server_disconnect" | "server_error" | "disconnected" | "error";
type Handlers<N extends keyof PageEventMap> = { [K in N]: (d: Draft, e: PageEventMap[K]) => void };

/** The same error again within this long shows once. */
const ERROR_REPEAT_MS = 5000;

export const SESSION_EVENTS: Handlers<SessionEventName> = {
  connected(d, e) {
    const s = d.m.session;
    s.phase = "waiting_for_peer";
    s.host = e.host;
    s.port = e.port;
    s.room = e.room;
    s.reconnect = null;
    d.m.view = "chat";
    sys(d, `Connected to ${clean(e.host, 80)}:${e.port}${e.room ? ` (room “${clean(e.room, 40)}”)` : ""}.`);
  },
  peer_version(d, e) {
    // SPEC §4.2.1: minor → a notice, patch → silent; breaking also arrives as a version_mismatch error.
    if (e.compatibility === "minor") sys(d, `Your peer speaks protocol ${clean(e.version ?? "", 32)} (this client: ${clean(e.local_version, 32)}).`, "warn");
    else if (e.compatibility === "missing") sys(d, `Your peer did not say which protocol version it speaks (this client: ${clean(e.local_version, 32)}).`, "warn");
  },
  server_version(d, e) {
    if (!e.match) sys(d, `The server speaks protocol ${clean(e.version, 32)} (this client: ${clean(e.local_version, 32)}).`, e.compatibility === "breaking" ? "bad" : "warn");
  },
  waiting_for_peer(d) {
    d.m.session.phase = "waiting_for_peer";
    sys(d, "Waiting for your peer to join…");
  },
  key_exchange_started(d) {
    d.m.session.phase = "key_exchange";
    sys(d, "Your peer is here. Agreeing on keys (ML-KEM-1024 + X25519)…");
  },
  key_exchange_complete(d, e) {
    d.m.interrupted = false;
    const s = d.m.session;
    s.phase = "secure";
    s.words = e.words;
    s.fingerprint_sha256 = e.fingerprint_sha256;
    s.verified = null;
    s.peer_verified = null;
    sys(d, "The session is end-to-end encrypted. Compare the eight words with your peer to make sure nobody is in the middle.", "plain", "verify");
    if (!d.replay) d.fx.push({ k: "open", dialog: "verify" });
  },
  verified(d, e) {
    d.m.session.verified = e.verified;
    if (e.carried) {
      sys(d, "Verified again automatically: your peer proved it is the one you verified in the previous session.", "good");
      if (!d.replay) d.fx.push({ k: "close", dialogs: ["verify"] });
      return;
    }
    sys(d, e.verified ? "You verified your peer: the words match." : "You said the words do not match. Treat this chat as untrusted.", e.verified ? "good" : "bad");
  },
  verification_not_carried(d, e) {
    sys(d, clean(e.text, 400), "bad");
    if (!d.replay) d.fx.push({ k: "alert", kind: "message", body: "This may not be the peer you verified before" });
  },
  peer_verified(d, e) {
    d.m.session.peer_verified = e.verified;
    sys(
      d,
      e.verified ? "Your peer says they verified you. That is their claim, not proof: only your own comparison of the words protects you." : "Your peer says the words do NOT match. Compare them again.",
      e.verified ? "plain" : "bad",
    );
  },
  message(d, e) {
    const nick = e.nickname || "Peer";
    d.fx.push({ k: "peer_message", nick, text: e.text, unverified: !e.peer_key_verified, ephemeral: ephemeralNow(d) });
    if (!d.replay) d.fx.push({ k: "alert", kind: "message", body: `New message from ${clean(nick, 32)}` });
  },
  sent(d, e) {
    d.fx.push({ k: "tick", messageId: e.message_id, tick: "sent" });
  },
  delivered(d, e) {
    d.fx.push({ k: "tick", messageId: e.message_id, tick: "delivered" });
  },
  nickname(d, e) {
    d.m.session.peer_nickname = e.nickname;
    sys(d, ["Your peer is now called ", { name: e.nickname }, "."]);
  },
  nickname_ignored(d, e) {
    // Before we verified, the peer's client sends its nickname again once we have: say nothing.
    if (d.m.session.verified === true) sys(d, ["Your peer asked to be called ", { name: e.requested }, ` (ignored: ${e.reason})`]);
  },
  ephemeral_mode(d, e) {
    d.m.session.ephemeral_mode = e.mode;
    d.m.ephemeralOwner = e.mode === "GLOBAL" ? (e.by_peer ? "peer" : "self") : null;
    const who = e.by_peer ? "Your peer" : "You";
    const text = e.mode === "OFF" ? `${who} turned disappearing messages off.` : e.mode === "LOCAL" ? "Disappearing messages are on in this window." : `${who} turned on disappearing messages for both of you.`;
    sys(d, text, e.mode === "OFF" ? "plain" : "warn");
  },
  rekey_started(d, e) {
    sys(d, e.role === "initiator" ? "Agreeing on new keys…" : "Your peer asked for new keys; agreeing on them…");
  },
  rekey_done(d) {
    sys(d, "New keys are in use.", "good");
    closeDialogs(d, "rekey");
  },
  rekey_prompt(d) {
    d.fx.push({ k: "open", dialog: "rekey" });
    if (!d.replay) d.fx.push({ k: "alert", kind: "message", body: "Your peer asks for new keys" });
  },
  emergency_close(d) {
    wipe(d);
    toConnect(d, "Your peer sent an emergency close. The session was wiped and this window cleared.");
  },
  reset(d) {
    d.m.interrupted = true;
    forgetPeer(d);
    closeDialogs(d, "verify", "rekey");
    sys(d, "Your peer left. The session keys were wiped.", "warn");
  },
  server_full(d) {
    sys(d, "The server is full.", "bad");
  },
  server_disconnect(d, e) {
    sys(d, `The server ended the connection: ${clean(e.reason, 160)}`, "bad");
  },
  server_error(d, e) {
    sys(d, `The server reported an error: ${clean(e.error, 160)}`, "warn");
  },
  disconnected(d, e) {
    d.m.session.phase = "disconnected";
    forgetPeer(d);
    d.m.interrupted = e.reconnect === true;
    if (e.reconnect === true) {
      // Not the end: `reconnecting` follows and the banner counts down; the log stays.
      closeDialogs(d, "verify", "rekey");
      sys(d, `Connection lost: ${clean(e.reason, 160)}`, "bad");
      return;
    }
    if (e.emergency === true || d.m.selfEmergency) {
      d.m.selfEmergency = false;
      if (d.m.view === "chat") toConnect(d, "The session ended with an emergency close and was wiped.");
      return;
    }
    closeDialogs(d, "verify", "rekey");
    if (d.m.view === "chat") sys(d, `Disconnected: ${clean(e.reason, 160)}`, "bad", "new_connection");
  },
  error(d, e) {
    // Coalesced by the core: one event stands for `count` occurrences.
    const text = clean(e.text, 200) + (e.count > 1 ? ` (${e.count} times)` : "");
    if (text === d.m.lastError.text && d.now - d.m.lastError.at < ERROR_REPEAT_MS) return;
    d.m.lastError = { text, at: d.now };
    if (d.m.view === "chat") sys(d, text, "warn");
  },
};
