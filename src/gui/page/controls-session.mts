// The session's controls: the fingerprint check, file offers, rekeying, the
// toolbar (disconnect, downloads, disappearing messages) and the settings.
import { askNotificationPermission } from "./alerts.mjs";
import { closeDialog, openDialog } from "./dialogs.mjs";
import { $as } from "./dom.mjs";
import { errorText } from "../../present/error-text.js";
import { toastError, type PageDeps } from "./controls.mjs";
import { openVerify } from "./effects.mjs";
import { renderConfig, renderEphemeral } from "./render.mjs";
import { nextTheme, shownFingerprint } from "./view.mjs";
import type { GuiSettings, Mode, Theme } from "./wire.mjs";

export function wireVerify(p: PageDeps): void {
  const { ui } = p;
  const open = (): void => openVerify(p);
  ui.btnVerify.addEventListener("click", open);
  ui.verifyPill.addEventListener("click", open);
  ui.bannerVerify.addEventListener("click", open);
  ui.btnMatch.addEventListener("click", () => void answerVerify(p, true));
  ui.btnNoMatch.addEventListener("click", () => void answerVerify(p, false));
}

async function answerVerify(p: PageDeps, answer: boolean): Promise<void> {
  // The answer names the words the dialog shows: the bridge refuses it once they are stale.
  const fingerprint = shownFingerprint(p.model());
  try {
    await p.cmd(fingerprint === null ? { cmd: "verify", answer } : { cmd: "verify", answer, fingerprint });
    closeDialog(p.ui.dlgVerify);
  } catch (err) {
    p.toast(errorText(err), true);
  }
}

export async function answerOffer(p: PageDeps, id: string, accept: boolean): Promise<void> {
  let accepted = false;
  try {
    await p.cmd(accept ? { cmd: "accept", transfer_id: id } : { cmd: "reject", transfer_id: id });
    accepted = accept;
  } catch (err) {
    p.toast(errorText(err), true);
  }
  p.dispatch({ t: "offer_answered", id, accepted });
}

export function wireOffers(p: PageDeps): void {
  const { ui } = p;
  const answer = (accept: boolean) => (): void => {
    const id = ui.dlgOffer.getAttribute("data-id");
    if (id) void answerOffer(p, id, accept);
  };
  ui.btnOfferAccept.addEventListener("click", answer(true));
  ui.btnOfferReject.addEventListener("click", answer(false));
}

export function wireRekey(p: PageDeps): void {
  const { ui } = p;
  const answer = (accept: boolean) => (): void => {
    closeDialog(ui.dlgRekey);
    p.cmd({ cmd: "rekey_answer", accept }).catch(toastError(p));
  };
  ui.btnRekeyYes.addEventListener("click", answer(true));
  ui.btnRekeyNo.addEventListener("click", answer(false));
  ui.btnRekey.addEventListener("click", () => {
    p.cmd({ cmd: "rekey" }).catch(toastError(p));
  });
}

export function wireToolbar(p: PageDeps): void {
  const { ui } = p;
  ui.btnDisconnect.addEventListener("click", () => {
    p.cmd({ cmd: "disconnect" }).catch(toastError(p));
  });
  // Between reconnect attempts, "disconnect" stops the automatic reconnect.
  ui.btnCancelReconnect.addEventListener("click", () => {
    p.cmd({ cmd: "disconnect" }).catch(toastError(p));
  });
  ui.btnDownloads.addEventListener("click", () => {
    p.cmd({ cmd: "open_downloads" }).then(() => p.toast("Opened the downloads folder."), toastError(p));
  });
  ui.ephemeral.addEventListener("change", () => {
    p.cmd({ cmd: "ephemeral", mode: ui.ephemeral.value as Mode }).catch((err: unknown) => {
      p.toast(errorText(err), true);
      renderEphemeral(ui, p.model());
    });
  });
}

async function changeSetting(p: PageDeps, s: Partial<GuiSettings>): Promise<void> {
  try {
    await p.cmd({ cmd: "settings", settings: s });
  } catch (err) {
    p.toast(errorText(err), true);
    renderConfig(p.ui, p.model());
  }
}

export function wireSettings(p: PageDeps): void {
  const { ui } = p;
  ui.btnSettings.addEventListener("click", () => {
    renderConfig(ui, p.model());
    openDialog(ui.dlgSettings);
  });
  const theme = (t: Theme): void => {
    document.documentElement.setAttribute("data-theme", t);
    void changeSetting(p, { theme: t });
  };
  ui.btnTheme.addEventListener("click", () => theme(nextTheme(p.model().config?.settings.theme ?? "auto")));
  ui.sTheme.addEventListener("change", () => theme(ui.sTheme.value as Theme));
  ui.sDummy.addEventListener("change", () => void changeSetting(p, { dummy_traffic: ui.sDummy.checked }));
  ui.sReceipts.addEventListener("change", () => void changeSetting(p, { delivery_receipts: ui.sReceipts.checked }));
  ui.sNickChange.addEventListener("change", () => void changeSetting(p, { allow_nickname_change: ui.sNickChange.checked }));
  ui.sFiles.addEventListener("change", () => void changeSetting(p, { accept_files: ui.sFiles.value as GuiSettings["accept_files"] }));
  ui.sSound.addEventListener("change", () => void changeSetting(p, { sound: ui.sSound.checked }));
  ui.sNotify.addEventListener("change", () => void setNotifications(p));
  ui.sNickSave.addEventListener("click", () => saveNick(p));
  ui.sNick.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      saveNick(p);
    }
  });
  $as("settings-form", HTMLFormElement).addEventListener("submit", (ev) => ev.preventDefault());
}

async function setNotifications(p: PageDeps): Promise<void> {
  const box = p.ui.sNotify;
  if (box.checked && !(await askNotificationPermission())) {
    box.checked = false;
    p.toast("The browser did not allow notifications for this page.", true);
    return;
  }
  await changeSetting(p, { notifications: box.checked });
}

function saveNick(p: PageDeps): void {
  const nickname = p.ui.sNick.value.trim();
  if (nickname === "") return void p.toast("The nickname must not be empty.", true);
  p.cmd({ cmd: "nick", nickname }).then(() => {
    p.dispatch({ t: "nick_saved", nickname });
    p.ui.fNick.value = nickname;
    p.toast(p.model().session.phase === "secure" ? "Nickname sent to your peer." : "Nickname saved.");
  }, toastError(p));
}
