// The pqchat page: a view over the client core that runs in the `pqchat gui`
// process. It holds no keys and talks only to that process, over one
// WebSocket (commands with ids and replies; the core's events) plus HTTP PUT
// for the files the user sends. Everything the peer controls is inserted as
// text, never as markup.
//
// The parts: the model and its pure reducer (model.mts, reducer.mts), what it
// looks like (view.mts, render.mts, transfers.mts, log.mts), the effects a step
// asks for (effects.mts), the user's controls (controls*.mts), the socket
// (socket.mts) and the call (call.mts). This module ties them together: every
// change goes through dispatch().
import { markRead, primeAudio } from "./alerts.mjs";
import { CallUi } from "./call.mjs";
import { answerOffer, wireOffers, wireRekey, wireSettings, wireToolbar, wireVerify } from "./controls-session.mjs";
import { Autosize, wireComposer, wireConnectForm, wireDialogs, wireEmergency, wireFileDrop, wireFilePicker, type PageDeps } from "./controls.mjs";
import { el } from "./dom.mjs";
import { applyEffects, type EffectDeps } from "./effects.mjs";
import { ui } from "./elements.mjs";
import { ChatLog } from "./log.mjs";
import { initialModel, type Action, type PageModel } from "./model.mjs";
import { isCallEvent, reduce } from "./reducer.mjs";
import { render, renderReconnect } from "./render.mjs";
import { BridgeSocket } from "./socket.mjs";
import { TransferPanel } from "./transfers.mjs";
import { needsRender, peerNick } from "./view.mjs";
import type { ServerMessage } from "./wire.mjs";

let model: PageModel = initialModel();
let drawn: PageModel | null = null;

const log = new ChatLog(ui.log);
const autosize = new Autosize(ui.input);
const socket = new BridgeSocket({ message: onServerMessage, binary: (buf) => calls.onBinary(buf), closed: () => dispatch({ t: "socket_closed" }) });

function toast(text: string, error = false): void {
  const t = el("div", { class: error ? "toast error" : "toast", role: error ? "alert" : "status" }, text);
  ui.toasts.append(t);
  window.setTimeout(() => t.remove(), error ? 7000 : 4000);
}

const deps: PageDeps = { ui, log, model: () => model, dispatch, cmd: (c) => socket.cmd(c), toast };

const calls = new CallUi({
  cmd: deps.cmd,
  sendBinary: (buf) => socket.sendBinary(buf),
  toast,
  sys: (text, tone) => log.addSystem([text], tone),
  peerName: () => peerNick(model),
  secure: () => model.session.phase === "secure",
  alert: (body) => applyEffects(effectDeps, [{ k: "alert", kind: "message", body }]),
});

const transfers = new TransferPanel(ui.transfers, ui.transfersEmpty, {
  accept: (id) => void answerOffer(deps, id, true),
  reject: (id) => void answerOffer(deps, id, false),
});

const effectDeps: EffectDeps = {
  ui,
  log,
  calls,
  model: () => model,
  send: (c) => void socket.cmd(c).catch(() => undefined),
  newConnection: () => dispatch({ t: "new_connection" }),
  clearInput: () => {
    ui.input.value = "";
    autosize.update();
  },
};

/** Every change: reduce, carry out the effects, draw what changed. */
function dispatch(a: Action): void {
  const step = reduce(model, a);
  model = step.state;
  if (drawn === null || drawn.ephemeralMs !== model.ephemeralMs) log.setEphemeralMs(model.ephemeralMs);
  applyEffects(effectDeps, step.effects);
  if (drawn === null || drawn.files !== model.files) transfers.render(model.files);
  if (drawn === null || needsRender(drawn, model)) {
    render(ui, drawn, model);
    calls.render();
  }
  drawn = model;
}

function onServerMessage(msg: Exclude<ServerMessage, { t: "reply" }>): void {
  switch (msg.t) {
    case "hello":
      return dispatch({ t: "hello", hello: msg });
    case "config":
      return dispatch({ t: "config", config: msg.config });
    case "event":
      try {
        if (isCallEvent(msg)) calls.onEvent(msg);
        else dispatch({ t: "event", event: msg, now: Date.now() });
      } catch (err) {
        console.error(err);
      }
      return;
  }
}

// The reconnect banner counts down: one redraw a second while it shows.
window.setInterval(() => {
  if (model.session.reconnect !== null) renderReconnect(ui, model, Date.now());
}, 1000);

primeAudio();
window.addEventListener("focus", markRead);
wireDialogs(deps);
wireConnectForm(deps);
wireComposer(deps, autosize);
wireFilePicker(deps);
wireFileDrop(deps);
wireEmergency(deps);
wireVerify(deps);
wireOffers(deps);
wireRekey(deps);
wireToolbar(deps);
wireSettings(deps);
socket.open();
