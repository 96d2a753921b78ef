// Carries out what a reducer step asked for: lines in the chat log, dialogs,
// alerts for a page in the background, the call's reset. Each effect is one
// case; the model they refer to is the step's new one.
import { alertUser } from "./alerts.mjs";
import type { CallUi } from "./call.mjs";
import { closeDialog, openDialog } from "./dialogs.mjs";
import { el } from "./dom.mjs";
import type { Elements } from "./elements.mjs";
import { clean, formatBytes } from "./format.mjs";
import type { ChatLog } from "./log.mjs";
import type { Dialog, Effect, PageModel, SysAction, SysPart } from "./model.mjs";
import { renderVerifyDialog } from "./render.mjs";
import { nextOffer, offerNote } from "./view.mjs";
import type { Command } from "./wire.mjs";

export interface EffectDeps {
  ui: Elements;
  log: ChatLog;
  calls: CallUi;
  model(): PageModel;
  send(c: Command): void;
  /** The user clicked "New connection" under a disconnect line. */
  newConnection(): void;
  clearInput(): void;
}

/** The button under a system line, if it has one. */
function sysButton(deps: EffectDeps, a: SysAction | undefined): { label: string; run: () => void } | undefined {
  if (a === "verify") return { label: "Compare words", run: () => openVerify(deps) };
  if (a === "new_connection") return { label: "New connection", run: deps.newConnection };
  if (a !== undefined) return { label: "Continue sending", run: () => deps.send({ cmd: "resume", transfer_id: a.resume, answer: true }) };
  return undefined;
}

export function applyEffects(deps: EffectDeps, effects: Effect[]): void {
  for (const e of effects) applyEffect(deps, e);
}

// One case per effect kind, each a line or two: the switch is the list of what a step can ask for.
function applyEffect(deps: EffectDeps, e: Effect): void {
  const { ui, log } = deps;
  switch (e.k) {
    case "sys": {
      log.addSystem(e.parts.map(sysPart), e.tone, sysButton(deps, e.action));
      return;
    }
    case "peer_message":
      log.addPeer(e.nick, e.text, e.unverified, e.ephemeral);
      return;
    case "own_message":
      log.bindOwn(log.addOwn(e.nick, e.text, false), e.messageId);
      return;
    case "tick":
      log.setTick(e.messageId, e.tick);
      return;
    case "file_message":
      log.addFile(e.nick, e.name, e.size, e.preview, e.savedAs, e.ephemeral);
      return;
    case "clock":
      log.setClock(e.at);
      return;
    case "clear_log":
      log.clear();
      return;
    case "clear_input":
      deps.clearInput();
      return;
    case "alert":
      alertUser(deps.model().config?.settings ?? null, e.kind, e.body);
      return;
    case "open":
      if (e.dialog === "verify") openVerify(deps);
      else openDialog(ui.dlgRekey);
      return;
    case "close":
      for (const d of e.dialogs) closeDialog(dialogOf(ui, d));
      return;
    case "next_offer":
      if (e.later) window.setTimeout(() => showNextOffer(deps), 0);
      else showNextOffer(deps);
      return;
    case "close_offer":
      if (e.id === undefined || ui.dlgOffer.getAttribute("data-id") === e.id) closeDialog(ui.dlgOffer);
      return;
    case "command":
      deps.send(e.cmd);
      return;
    case "calls_reset":
      deps.calls.reset();
      return;
    case "calls_hello":
      deps.calls.onHello(e.call);
      return;
    case "fill_connect_form":
      fillConnectForm(ui, deps.model());
      return;
  }
}

function sysPart(p: SysPart): string | Node {
  return typeof p === "string" ? p : el("span", { class: "name", dir: "auto" }, clean(p.name));
}

function dialogOf(ui: Elements, d: Dialog): HTMLDialogElement {
  return d === "verify" ? ui.dlgVerify : d === "offer" ? ui.dlgOffer : d === "rekey" ? ui.dlgRekey : ui.dlgSettings;
}

export function openVerify(deps: Pick<EffectDeps, "ui" | "model">): void {
  const m = deps.model();
  renderVerifyDialog(deps.ui, m);
  openDialog(deps.ui.dlgVerify, m.session.verified === null ? deps.ui.btnMatch : undefined);
}

/** The first waiting offer, in its dialog, unless a dialog is already in the way. */
export function showNextOffer(deps: Pick<EffectDeps, "ui" | "model">): void {
  const { ui } = deps;
  const m = deps.model();
  const id = nextOffer(m);
  const entry = id === null ? undefined : m.files.get(id);
  if (id === null || !entry || ui.dlgOffer.open || ui.dlgVerify.open) return;
  ui.dlgOffer.setAttribute("data-id", id);
  ui.offerName.textContent = clean(entry.name);
  ui.offerName.title = clean(entry.name, 400);
  ui.offerSize.textContent = formatBytes(entry.size);
  ui.offerNote.textContent = offerNote(m);
  openDialog(ui.dlgOffer, ui.btnOfferAccept);
}

function fillConnectForm(ui: Elements, m: PageModel): void {
  if (!m.config) return;
  ui.fHost.value = m.config.host;
  ui.fPort.value = String(m.config.port);
  ui.fRoom.value = m.config.room;
  ui.fNick.value = m.config.nickname;
}
