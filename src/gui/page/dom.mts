// DOM helpers. Everything that came from the peer (text, nicknames, file
// names) enters the page as text nodes only — never through innerHTML.
import { displayMultiline, displayName } from "./display-text.mjs";

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e;
}

export function $as<T extends HTMLElement>(id: string, ctor: { new (): T }): T {
  const e = $(id);
  if (!(e instanceof ctor)) throw new Error(`#${id} has the wrong type`);
  return e;
}

type Child = Node | string | null | undefined | false;

/** Creates an element; string children become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An icon from the sprite in index.html. */
export function icon(name: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/**
 * One line of peer-controlled text (a nickname, a file name, a reason) for
 * display: the shared policy (display-text.mjs, also used by the terminal
 * client) makes controls, bidi overrides and invisible characters visible,
 * collapses long whitespace runs and cuts in the middle, so a name cannot hide
 * its real extension or break the layout.
 */
export function clean(s: string, max = 200): string {
  return displayName(s, max);
}

/** A chat message's text: line breaks kept, everything else the shared policy neutralises made visible. */
export function cleanText(s: string): string {
  return displayMultiline(s);
}

export function fmtSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Bytes per second as MB/s (decimal megabytes, as download tools show). */
export function fmtRate(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return "";
  const mb = bps / 1e6;
  return `${mb >= 100 ? Math.round(mb) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2)} MB/s`;
}

export function fmtEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "";
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s left`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m} min ${t % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

export function fmtTime(d: Date): string {
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Element focusable by keyboard, in a container (for the dialogs' focus trap). */
export function focusables(root: HTMLElement): HTMLElement[] {
  const sel = 'button:not([disabled]), [href], input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll<HTMLElement>(sel)].filter((e) => !e.hidden && e.getClientRects().length > 0);
}
