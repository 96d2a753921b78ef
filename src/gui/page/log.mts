// The message list (role="log"): own and peer messages with nickname, time
// and delivery ticks, distinct system lines, inline image previews, and the
// ephemeral-mode expiry. A screen reader reads each message as
// "nickname, time, text" (the commas are visually hidden text).
import { el, fmtTime } from "./dom.mjs";
import { clean, cleanText, formatBytes } from "./format.mjs";

export type Tick = "queued" | "pending" | "sent" | "delivered" | "failed";
export type SysTone = "plain" | "good" | "bad" | "warn";

const TICK_TEXT: Record<Tick, [string, string]> = {
  queued: ["◷", "queued"],
  pending: ["◷ pending", "waiting for the connection to come back"],
  sent: ["✓", "sent"],
  delivered: ["✓✓", "delivered"],
  failed: ["not sent", "not sent"],
};

/** Keeps at most this many entries in the view (the oldest go first). */
const MAX_ENTRIES = 20000;

export class ChatLog {
  private readonly own = new Map<string, HTMLElement>();
  private readonly early = new Map<string, Tick>();
  private ephemeralMs = 30_000;
  /** While a reloaded page replays the session, entries carry their original time. */
  private fixedTime: number | null = null;

  constructor(private readonly list: HTMLOListElement) {}

  /** Entries added until the next call get this time (ms since the epoch), or the current time again with null. */
  setClock(at: number | null): void {
    this.fixedTime = at;
  }

  private now(): Date {
    return this.fixedTime === null ? new Date() : new Date(this.fixedTime);
  }

  setEphemeralMs(ms: number): void {
    this.ephemeralMs = ms;
    this.list.style.setProperty("--ttl", `${ms / 1000}s`);
  }

  private nearBottom(): boolean {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }

  // Entries are appended in batches, once per frame: a burst of messages costs
  // one layout, not one each (5,000 messages in the view stay cheap).
  private pending: HTMLElement[] = [];
  private forceScroll = false;
  private flushScheduled = false;

  private add(li: HTMLElement, ephemeral: boolean, forceScroll = false): HTMLElement {
    this.pending.push(li);
    if (forceScroll) this.forceScroll = true;
    if (ephemeral) {
      li.classList.add("ephemeral");
      window.setTimeout(() => this.expire(li), this.ephemeralMs);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // requestAnimationFrame does not run in a hidden tab: the timer covers that case.
      requestAnimationFrame(() => this.flush());
      window.setTimeout(() => this.flush(), 250);
    }
    return li;
  }

  /** Appends what is pending now (also used before reading the log). */
  flush(): void {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    const items = this.pending;
    this.pending = [];
    const stick = this.forceScroll || this.nearBottom();
    this.forceScroll = false;
    const frag = document.createDocumentFragment();
    for (const li of items) if (!li.hasAttribute("data-gone")) frag.append(li);
    this.list.append(frag);
    let extra = this.list.childElementCount - MAX_ENTRIES;
    while (extra-- > 0) this.list.firstElementChild?.remove();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }

  private expire(li: HTMLElement): void {
    const id = li.getAttribute("data-id");
    if (id) this.own.delete(id);
    li.setAttribute("data-gone", "");
    li.remove();
  }

  private meta(nick: string, when: Date, flag: string | null): HTMLElement {
    return el(
      "div",
      { class: "meta" },
      el("span", { class: "nick", dir: "auto" }, nick),
      el("span", { class: "sr-only" }, ", "),
      el("time", { datetime: when.toISOString() }, fmtTime(when)),
      el("span", { class: "sr-only" }, ", "),
      flag ? el("span", { class: "flag" }, flag) : null,
    );
  }

  /** A message the local user typed; ticks follow with setTick(). */
  addOwn(nick: string, text: string, ephemeral: boolean): HTMLElement {
    const when = this.now();
    const ticks = el("span", { class: "ticks", "data-state": "queued", role: "img", "aria-label": "queued" }, TICK_TEXT.queued[0]);
    const li = el("li", { class: "msg own" }, this.meta(nick, when, null), el("div", { class: "bubble" }, el("p", { class: "text", dir: "auto" }, cleanText(text)), ticks));
    return this.add(li, ephemeral, true);
  }

  bindOwn(li: HTMLElement, messageId: string): void {
    li.setAttribute("data-id", messageId);
    this.own.set(messageId, li);
    const t = this.early.get(messageId);
    if (t) {
      this.early.delete(messageId);
      this.setTickOn(li, t);
    }
  }

  setTick(messageId: string, tick: Tick): void {
    const li = this.own.get(messageId);
    if (!li) {
      // The event can overtake the reply to "send".
      const prev = this.early.get(messageId);
      if (prev !== "delivered") this.early.set(messageId, tick);
      if (this.early.size > 1000) this.early.delete(this.early.keys().next().value as string);
      return;
    }
    this.setTickOn(li, tick);
    if (tick === "delivered") this.own.delete(messageId);
  }

  setTickOn(li: HTMLElement, tick: Tick): void {
    const t = li.querySelector<HTMLElement>(".ticks");
    if (!t) return;
    const now = t.getAttribute("data-state");
    if (now === "delivered") return;
    // "pending" only replaces "queued": a `sent` that overtook the reply to "send" stays.
    if (tick === "pending" && now !== "queued") return;
    t.setAttribute("data-state", tick);
    t.setAttribute("aria-label", TICK_TEXT[tick][1]);
    t.textContent = TICK_TEXT[tick][0];
  }

  /** A message from the peer (text inserted as text; `unverified` marks it). */
  addPeer(nick: string, text: string, unverified: boolean, ephemeral: boolean): HTMLElement {
    const when = this.now();
    const li = el(
      "li",
      { class: "msg peer" },
      this.meta(clean(nick, 64), when, unverified ? "unverified" : null),
      el("div", { class: "bubble" }, el("p", { class: "text", dir: "auto" }, cleanText(text))),
    );
    return this.add(li, ephemeral);
  }

  /** A received file, with an inline preview for images the bridge serves. */
  addFile(nick: string, name: string, size: number, previewUrl: string | null, savedAs: string, ephemeral: boolean): HTMLElement {
    const when = this.now();
    const caption = el("figcaption", null, `${clean(name)} · ${formatBytes(size)} · saved as ${clean(savedAs)}`);
    const fig = el("figure", null);
    if (previewUrl) {
      const img = el("img", { src: previewUrl, alt: `Image from ${clean(nick, 64)}: ${clean(name)}`, loading: "lazy", decoding: "async" });
      img.addEventListener("error", () => img.remove(), { once: true });
      // The picture grows the entry once loaded: stay at the bottom if we were there.
      img.addEventListener(
        "load",
        () => {
          const l = this.list;
          if (l.scrollHeight - l.scrollTop - l.clientHeight < img.height + 120) l.scrollTop = l.scrollHeight;
        },
        { once: true },
      );
      fig.append(img);
    }
    fig.append(caption);
    const li = el("li", { class: "msg peer file" }, this.meta(clean(nick, 64), when, null), el("div", { class: "bubble" }, fig));
    return this.add(li, ephemeral);
  }

  /** A system line (connection, verification, files...), optionally with one action button. */
  addSystem(parts: (string | Node)[], tone: SysTone = "plain", action?: { label: string; run: () => void }): HTMLElement {
    const when = this.now();
    const li = el("li", { class: `sys ${tone}` }, el("span", { class: "sr-only" }, "pqchat, "), el("time", { datetime: when.toISOString() }, fmtTime(when)), el("span", { class: "sr-only" }, ", "), ...parts);
    if (action) {
      const b = el("button", { type: "button", class: "btn small" }, action.label);
      b.addEventListener("click", action.run);
      li.append(b);
    }
    return this.add(li, false);
  }

  clear(): void {
    this.pending = [];
    this.forceScroll = false;
    this.list.replaceChildren();
    this.own.clear();
    this.early.clear();
  }

  get size(): number {
    return this.list.childElementCount + this.pending.length;
  }
}
