// Draws the model into the page's fixed parts: header, banners, composer,
// connect form, settings and the fingerprint dialog. The words come from
// view.mts; this module only puts them into elements.
import { el } from "./dom.mjs";
import type { Elements } from "./elements.mjs";
import type { PageModel } from "./model.mjs";
import { aboutText, bannerView, composerView, ephemeralView, headerView, reconnectView, THEME_NAMES, verifyDialogView } from "./view.mjs";

/** Draws `m`; the theme and settings only when they changed since `prev` (they also follow the user's clicks before the bridge confirms). */
export function render(ui: Elements, prev: PageModel | null, m: PageModel): void {
  renderHeader(ui, m);
  renderBanner(ui, m);
  renderReconnect(ui, m, Date.now());
  const c = composerView(m);
  ui.input.disabled = !c.enabled;
  ui.btnSend.disabled = !c.enabled;
  ui.btnAttach.disabled = !c.enabled;
  ui.input.placeholder = c.placeholder;
  renderViews(ui, m);
  renderEphemeral(ui, m);
  renderVerifyDialog(ui, m);
  if (prev === null || prev.config !== m.config) renderConfig(ui, m);
}

function renderHeader(ui: Elements, m: PageModel): void {
  const h = headerView(m);
  ui.status.setAttribute("data-phase", h.phase);
  ui.statusText.textContent = h.status;
  ui.peer.hidden = !h.peerShown;
  ui.peerName.textContent = h.peerName;
  ui.peerAvatar.textContent = h.avatar;
  ui.peerWaiting.hidden = h.peerShown;
  ui.peerWaiting.textContent = h.waiting;
  ui.verifyPill.setAttribute("data-state", h.verify);
  ui.verifyPill.textContent = h.pill;
  ui.verifyPill.setAttribute("aria-label", h.pillLabel);
  ui.peerVerdict.textContent = h.peerVerdict;
  ui.peerVerdict.className = h.peerVerdictBad ? "peer-verdict bad" : "peer-verdict";
  ui.btnVerify.hidden = !h.showVerify;
  ui.btnRekey.hidden = !h.showRekey;
  ui.btnDisconnect.hidden = !h.showDisconnect;
  ui.btnEmergency.hidden = !h.showEmergency;
  ui.ephemeralWrap.hidden = !h.showEphemeral;
}

function renderBanner(ui: Elements, m: PageModel): void {
  const b = bannerView(m);
  ui.verifyBanner.hidden = !b.shown;
  ui.verifyBanner.className = b.bad ? "banner bad" : "banner warn";
  ui.verifyBannerText.replaceChildren(el("strong", null, b.strong), b.rest);
  ui.bannerVerify.textContent = b.button;
}

/** The "Reconnecting in N s" banner; app.mts redraws it every second while it shows. */
export function renderReconnect(ui: Elements, m: PageModel, now: number): void {
  const r = reconnectView(m, now);
  ui.reconnectBanner.hidden = !r.shown;
  ui.reconnectText.textContent = r.text;
}

/** Connect form or chat, the connect form's state, and the "lost contact" overlay. */
function renderViews(ui: Elements, m: PageModel): void {
  ui.connectView.hidden = m.view !== "connect";
  ui.chatView.hidden = m.view !== "chat";
  const c = m.connect;
  ui.connectNotice.hidden = c.notice === null;
  ui.connectNotice.className = c.notice?.tone === "info" ? "notice info" : "notice";
  ui.connectNotice.textContent = c.notice?.text ?? "";
  ui.connectError.hidden = c.error === null;
  ui.connectError.textContent = c.error ?? "";
  ui.btnConnect.disabled = c.busy;
  ui.btnConnect.textContent = c.busy ? "Connecting…" : "Connect";
  ui.offline.hidden = !m.offline;
  if (m.helloSeen && !m.offline) document.documentElement.setAttribute("data-ready", "1");
  else document.documentElement.removeAttribute("data-ready");
  ui.sAbout.textContent = aboutText(m);
  ui.btnDownloads.title = m.session.download_dir;
}

export function renderEphemeral(ui: Elements, m: PageModel): void {
  const e = ephemeralView(m);
  ui.ephemeral.value = e.mode;
  ui.ephemeral.disabled = e.locked;
  ui.ephemeral.title = e.title;
  const globalOpt = ui.ephemeral.querySelector<HTMLOptionElement>('option[value="GLOBAL"]');
  if (globalOpt) globalOpt.disabled = e.globalDisabled;
  ui.ephemeralBanner.hidden = !e.bannerShown;
  ui.ephemeralText.textContent = e.banner;
}

export function renderVerifyDialog(ui: Elements, m: PageModel): void {
  const v = verifyDialogView(m);
  const line = (ws: string[]): Node[] => ws.map((x) => el("span", null, x));
  ui.words1.replaceChildren(...line(v.line1));
  ui.words2.replaceChildren(...line(v.line2));
  ui.verifyFull.hidden = v.hex === null;
  ui.verifyHex.replaceChildren(...(v.hex ?? []).map((l) => el("p", null, l)));
  ui.verifyOwn.className = v.ownClass;
  ui.verifyOwn.textContent = v.own;
  ui.verifyPeer.className = v.peerBad ? "peer-claim bad" : "peer-claim";
  ui.verifyPeer.textContent = v.peer;
  ui.btnMatch.disabled = !v.canAnswer;
  ui.btnNoMatch.disabled = !v.canAnswer;
}

/** The theme and the settings dialog's controls, as saved. */
export function renderConfig(ui: Elements, m: PageModel): void {
  const cfg = m.config;
  if (!cfg) return;
  const s = cfg.settings;
  document.documentElement.setAttribute("data-theme", s.theme);
  ui.btnTheme.setAttribute("aria-label", `Theme: ${THEME_NAMES[s.theme]} (change)`);
  ui.btnTheme.title = `Theme: ${THEME_NAMES[s.theme]}`;
  ui.sDummy.checked = s.dummy_traffic;
  ui.sReceipts.checked = s.delivery_receipts;
  ui.sNickChange.checked = s.allow_nickname_change;
  ui.sFiles.value = s.accept_files;
  ui.sNotify.checked = s.notifications;
  ui.sSound.checked = s.sound;
  ui.sTheme.value = s.theme;
  if (document.activeElement !== ui.sNick) ui.sNick.value = cfg.nickname;
}
