// The files panel: one entry per transfer, both directions, with a progress
// bar, MB/s and time left; accept/reject for offers. It draws the model's
// entries (model.mts FileEntry), redrawing only those a step replaced.
import { el, icon } from "./dom.mjs";
import { clean, formatBytes } from "./format.mjs";
import type { FileEntry } from "./model.mjs";

interface Row {
  li: HTMLLIElement;
  bar: HTMLProgressElement;
  left: HTMLElement;
  right: HTMLElement;
  actions: HTMLElement;
  drawn: FileEntry | null;
}

export interface TransferActions {
  accept(id: string): void;
  reject(id: string): void;
}

export class TransferPanel {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly actions: TransferActions,
  ) {}

  /** Brings the panel to `files`: new entries on top, changed ones redrawn, gone ones removed. */
  render(files: ReadonlyMap<string, FileEntry>): void {
    for (const [id, row] of this.rows) {
      if (files.has(id)) continue;
      row.li.remove();
      this.rows.delete(id);
    }
    for (const [id, e] of files) {
      let row = this.rows.get(id);
      if (!row) {
        row = this.create(id, e);
        this.rows.set(id, row);
        this.list.prepend(row.li);
      }
      if (row.drawn !== e) this.draw(id, row, e);
    }
    this.empty.hidden = this.rows.size > 0;
  }

  private create(id: string, e: FileEntry): Row {
    const bar = el("progress", { max: "1", value: "0", "aria-label": `Progress of ${clean(e.name)}` });
    const left = el("span", { class: "xfer-left" });
    const right = el("span", { class: "xfer-right" });
    const actions = el("div", { class: "xfer-actions" });
    const top = el("div", { class: "xfer-top" }, icon(e.dir === "in" ? "down" : "up"), el("span", { class: "file-name", dir: "auto", title: clean(e.name, 400) }, clean(e.name)), el("span", { class: "xfer-size" }, formatBytes(e.size)));
    const li = el("li", { class: "xfer", "data-dir": e.dir, "data-id": id }, top, bar, el("div", { class: "xfer-status" }, left, right), actions);
    return { li, bar, left, right, actions, drawn: null };
  }

  private draw(id: string, row: Row, e: FileEntry): void {
    row.bar.max = e.total;
    row.bar.value = e.done;
    row.left.textContent = e.left;
    row.right.textContent = e.right;
    if (row.drawn?.status !== e.status) {
      row.li.setAttribute("data-status", e.status);
      row.actions.replaceChildren(...this.buttons(id, e));
    }
    row.drawn = e;
  }

  private buttons(id: string, e: FileEntry): HTMLButtonElement[] {
    const button = (text: string, label: string, primary: boolean, run: () => void): HTMLButtonElement => {
      const b = el("button", { type: "button", class: primary ? "btn primary small" : "btn small" }, text);
      b.setAttribute("aria-label", `${label} ${clean(e.name)}`);
      b.addEventListener("click", run);
      return b;
    };
    if (e.status === "offered" && e.dir === "in") {
      return [button("Reject", "Reject", false, () => this.actions.reject(id)), button("Accept", "Accept", true, () => this.actions.accept(id))];
    }
    if (e.dir === "in" && (e.status === "accepted" || e.status === "transferring")) return [button("Cancel", "Cancel", false, () => this.actions.reject(id))];
    return [];
  }
}
