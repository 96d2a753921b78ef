// The files panel: one entry per transfer, both directions, with a progress
// bar, MB/s and time left; accept/reject for offers.
import { clean, el, fmtEta, fmtRate, fmtSize, icon } from "./dom.mjs";
import type { PageTransfer } from "./wire.mjs";

type Status = PageTransfer["status"] | "uploading" | "waiting";

interface Entry {
  li: HTMLLIElement;
  bar: HTMLProgressElement;
  left: HTMLElement;
  right: HTMLElement;
  actions: HTMLElement;
  dir: "in" | "out";
  total: number;
  name: string;
  size: number;
  status: Status;
}

export interface TransferActions {
  accept(id: string): void;
  reject(id: string): void;
}

export class TransferPanel {
  private readonly items = new Map<string, Entry>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly actions: TransferActions,
  ) {}

  private sync(): void {
    this.empty.hidden = this.items.size > 0;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  info(id: string): { name: string; size: number; dir: "in" | "out"; status: Status } | null {
    const e = this.items.get(id);
    return e ? { name: e.name, size: e.size, dir: e.dir, status: e.status } : null;
  }

  /** Creates (or refreshes) an entry. */
  upsert(id: string, dir: "in" | "out", name: string, size: number, total: number): void {
    let e = this.items.get(id);
    if (!e) {
      const bar = el("progress", { max: "1", value: "0", "aria-label": `Progress of ${clean(name)}` });
      const left = el("span", { class: "xfer-left" });
      const right = el("span", { class: "xfer-right" });
      const actions = el("div", { class: "xfer-actions" });
      const li = el(
        "li",
        { class: "xfer", "data-dir": dir, "data-id": id },
        el("div", { class: "xfer-top" }, icon(dir === "in" ? "down" : "up"), el("span", { class: "file-name", dir: "auto", title: clean(name, 400) }, clean(name)), el("span", { class: "xfer-size" }, fmtSize(size))),
        bar,
        el("div", { class: "xfer-status" }, left, right),
        actions,
      );
      e = { li, bar, left, right, actions, dir, total: Math.max(total, 1), name, size, status: "offered" };
      this.items.set(id, e);
      this.list.prepend(li);
      this.sync();
    }
    e.total = Math.max(total, 1);
    e.bar.max = e.total;
  }

  setStatus(id: string, status: Status, text: string): void {
    const e = this.items.get(id);
    if (!e) return;
    e.status = status;
    e.li.setAttribute("data-status", status);
    e.left.textContent = text;
    if (status !== "transferring" && status !== "uploading") e.right.textContent = "";
    if (status === "done") e.bar.value = e.bar.max;
    e.actions.replaceChildren();
    if (status === "offered" && e.dir === "in") {
      const acc = el("button", { type: "button", class: "btn primary small" }, "Accept");
      const rej = el("button", { type: "button", class: "btn small" }, "Reject");
      acc.setAttribute("aria-label", `Accept ${clean(e.name)}`);
      rej.setAttribute("aria-label", `Reject ${clean(e.name)}`);
      acc.addEventListener("click", () => this.actions.accept(id));
      rej.addEventListener("click", () => this.actions.reject(id));
      e.actions.append(rej, acc);
    } else if (e.dir === "in" && (status === "accepted" || status === "transferring")) {
      const cancel = el("button", { type: "button", class: "btn small" }, "Cancel");
      cancel.setAttribute("aria-label", `Cancel ${clean(e.name)}`);
      cancel.addEventListener("click", () => this.actions.reject(id));
      e.actions.append(cancel);
    }
  }

  progress(id: string, bytes: number, total: number, rate: number, eta: number | null): void {
    const e = this.items.get(id);
    if (!e) return;
    e.total = Math.max(total, 1);
    e.bar.max = e.total;
    e.bar.value = Math.min(bytes, e.total);
    const pct = Math.floor((100 * bytes) / e.total);
    if (e.status !== "transferring") this.setStatus(id, "transferring", "");
    e.left.textContent = `${pct}% · ${fmtSize(bytes)} of ${fmtSize(total)}`;
    e.right.textContent = [fmtRate(rate), fmtEta(eta)].filter((s) => s !== "").join(" · ");
  }

  /** The local copy to the bridge (before the offer exists). */
  uploading(key: string, loaded: number, total: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.total = Math.max(total, 1);
    e.bar.max = e.total;
    e.bar.value = loaded;
    e.left.textContent = loaded >= total ? "Preparing (hashing and compressing)…" : `Reading ${Math.floor((100 * loaded) / e.total)}%`;
  }

  remove(id: string): void {
    const e = this.items.get(id);
    if (!e) return;
    e.li.remove();
    this.items.delete(id);
    this.sync();
  }

  clear(): void {
    this.items.clear();
    this.list.replaceChildren();
    this.sync();
  }
}
