// What the user does in the page, wired to the bridge and the reducer: the
// connect form, the composer, files (picker, drop, paste) and the emergency
// close. The session's buttons and the settings are in controls-session.mts.
import { errorText } from "../../present/error-text.js";
import { setupDialog } from "./dialogs.mjs";
import type { Elements } from "./elements.mjs";
import type { ChatLog } from "./log.mjs";
import type { Action, PageModel } from "./model.mjs";
import { myNick } from "./reduce-base.mjs";
import { composerView } from "./view.mjs";
import { pastedName, sendFile, type UploadDeps } from "./uploads.mjs";
import type { Command } from "./wire.mjs";
import { showNextOffer } from "./effects.mjs";

/** What the controls work with. */
export interface PageDeps {
  ui: Elements;
  log: ChatLog;
  model(): PageModel;
  dispatch(a: Action): void;
  cmd(c: Command): Promise<unknown>;
  toast(text: string, error?: boolean): void;
}


/** Shows a failed command's plain-words error. */
export function toastError(p: PageDeps): (err: unknown) => void {
  return (err) => p.toast(errorText(err), true);
}

export function wireDialogs(p: PageDeps): void {
  const { ui } = p;
  for (const d of [ui.dlgVerify, ui.dlgRekey, ui.dlgSettings]) setupDialog(d);
  setupDialog(ui.dlgOffer, () => {
    // Escape or "decide later": the offer stays in the files panel; show the next one.
    const id = ui.dlgOffer.getAttribute("data-id");
    if (id !== null) p.dispatch({ t: "offer_deferred", id });
  });
  ui.dlgVerify.addEventListener("close", () => window.setTimeout(() => showNextOffer(p), 0));
}

export function wireConnectForm(p: PageDeps): void {
  const { ui } = p;
  ui.connectForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void connect(p);
  });
}

async function connect(p: PageDeps): Promise<void> {
  const { ui } = p;
  const port = Number(ui.fPort.value.trim());
  const nickname = ui.fNick.value.trim();
  p.dispatch({ t: "connect_started" });
  try {
    await p.cmd({ cmd: "connect", host: ui.fHost.value.trim(), port: Number.isInteger(port) ? port : -1, room: ui.fRoom.value.trim(), nickname });
    p.dispatch({ t: "connect_done", nickname });
    ui.input.focus();
  } catch (err) {
    p.dispatch({ t: "connect_failed", error: errorText(err) });
  }
}

/** The message box grows with its text (natively where CSS field-sizing exists: no layout work per key). */
export class Autosize {
  private readonly native = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
  private lastLength = 0;

  constructor(private readonly box: HTMLTextAreaElement) {}

  update(): void {
    if (this.native) return;
    const t = this.box;
    // Only shrinking needs the "auto" reset (two layouts); growing reads one height.
    if (t.value.length < this.lastLength) t.style.height = "auto";
    this.lastLength = t.value.length;
    if (t.scrollHeight > t.clientHeight || t.style.height === "auto") t.style.height = `${Math.min(t.scrollHeight + 2, 180)}px`;
  }
}

export function wireComposer(p: PageDeps, autosize: Autosize): void {
  const { ui } = p;
  ui.composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void sendMessage(p, autosize);
  });
  ui.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      void sendMessage(p, autosize);
    }
  });
  ui.input.addEventListener("input", () => autosize.update());
}

async function sendMessage(p: PageDeps, autosize: Autosize): Promise<void> {
  const { ui, log } = p;
  const m = p.model();
  const text = ui.input.value;
  if (text.trim() === "" || !composerView(m).enabled) return;
  ui.input.value = "";
  autosize.update();
  const li = log.addOwn(myNick(m), text, m.session.ephemeral_mode !== "OFF");
  try {
    const r = (await p.cmd({ cmd: "send", text })) as { message_id: string; pending?: boolean };
    log.bindOwn(li, r.message_id);
    // Held by the core until the session is back (a `sent` tick may already have overtaken the reply).
    if (r.pending === true) log.setTick(r.message_id, "pending");
  } catch (err) {
    log.setTickOn(li, "failed");
    p.toast(errorText(err), true);
  }
}

function uploadDeps(p: PageDeps): UploadDeps {
  return { secure: () => p.model().session.phase === "secure", dispatch: p.dispatch, toast: p.toast };
}

export function wireFilePicker(p: PageDeps): void {
  const { ui } = p;
  ui.btnAttach.addEventListener("click", () => ui.fileInput.click());
  ui.fileInput.addEventListener("change", () => {
    for (const f of ui.fileInput.files ?? []) sendFile(uploadDeps(p), f);
    ui.fileInput.value = "";
  });
  // Pasting an image (or files) from the clipboard.
  document.addEventListener("paste", (ev) => {
    const files = [...(ev.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    for (const f of files) sendFile(uploadDeps(p), f, pastedName(f));
  });
}

/** Files dropped anywhere on the window (the overlay shows while they hover, in a secure session). */
export function wireFileDrop(p: PageDeps): void {
  const { ui } = p;
  let dragDepth = 0;
  const secure = (): boolean => p.model().session.phase === "secure";
  const hasFiles = (ev: DragEvent): boolean => !!ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
  window.addEventListener("dragenter", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth++;
    ui.dropOverlay.hidden = !secure();
  });
  window.addEventListener("dragover", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = secure() ? "copy" : "none";
  });
  window.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) ui.dropOverlay.hidden = true;
  });
  window.addEventListener("drop", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth = 0;
    ui.dropOverlay.hidden = true;
    for (const f of ev.dataTransfer?.files ?? []) sendFile(uploadDeps(p), f);
  });
}

/** Ctrl+Q from anywhere in the page, or the button: the reducer sends EMERGENCY_CLOSE and wipes the window. */
export function wireEmergency(p: PageDeps): void {
  window.addEventListener(
    "keydown",
    (ev) => {
      if (ev.ctrlKey && !ev.altKey && !ev.metaKey && (ev.key === "q" || ev.key === "Q")) {
        ev.preventDefault();
        p.dispatch({ t: "emergency" });
      }
    },
    { capture: true },
  );
  p.ui.btnEmergency.addEventListener("click", () => p.dispatch({ t: "emergency" }));
}
