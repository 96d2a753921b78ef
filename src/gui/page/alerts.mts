// Desktop notifications and a short sound, only while the page is not in
// front. Notifications never carry message text (the OS may log or show them
// on a lock screen); they say who wrote and what kind of thing arrived.

import type { GuiSettings } from "./wire.mjs";

let audio: AudioContext | null = null;
/** Alerts since the page was last in front (shown in the title until it is focused again). */
let unread = 0;

/** Browsers start audio only after a user gesture: prepare it on the first one. */
export function primeAudio(): void {
  const prime = (): void => {
    try {
      audio ??= new AudioContext();
      void audio.resume();
    } catch {
      audio = null;
    }
  };
  window.addEventListener("pointerdown", prime, { once: true, capture: true });
  window.addEventListener("keydown", prime, { once: true, capture: true });
}

export function inBackground(): boolean {
  return document.hidden || !document.hasFocus();
}

/** Two soft notes (about 0.25 s). */
export function chime(kind: "message" | "offer"): void {
  const ctx = audio;
  if (!ctx || ctx.state !== "running") return;
  const t0 = ctx.currentTime;
  const notes = kind === "message" ? [880, 1320] : [660, 990];
  notes.forEach((f, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = f;
    const t = t0 + i * 0.11;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.18, t + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.14);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.15);
  });
}

export function notificationsSupported(): boolean {
  return "Notification" in window;
}

export async function askNotificationPermission(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  if (Notification.permission === "granted") return true;
  if (Notification.permission === "denied") return false;
  return (await Notification.requestPermission()) === "granted";
}

export function notify(title: string, body: string): void {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  try {
    const n = new Notification(title, { body, tag: "pqchat", silent: true });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    /* some platforms allow notifications only from a service worker */
  }
}

/** Something arrived while the page is in the background: count it in the title, notify and chime as the settings say. */
export function alertUser(settings: GuiSettings | null, kind: "message" | "offer", body: string): void {
  if (!inBackground() || !settings) return;
  unread++;
  document.title = `(${unread}) pqchat`;
  if (settings.notifications) notify("pqchat", body);
  if (settings.sound) chime(kind);
}

export function markRead(): void {
  unread = 0;
  document.title = "pqchat";
}
