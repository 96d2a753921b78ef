// The transfers the terminal client shows: incoming offers waiting for
// /accept or /reject, every transfer's progress for the status area, and when
// plain (non-terminal) output last printed a progress line.
import type { FileInfo } from "../client/events.js";
import { sanitizeInline, sanitizeName } from "../present/sanitize.js";
import { TuiCommandError } from "./errors.js";
import type { TransferView } from "./format.js";

export type Transfer = TransferView & { status: "offered" | "active" | "sent" };

export class TransferList {
  /** Incoming offers waiting for /accept or /reject. */
  readonly offers = new Map<string, FileInfo>();
  readonly transfers = new Map<string, Transfer>();
  /** Plain output: when each transfer's last progress line was printed, and at what percentage. */
  readonly plainProgress = new Map<string, { at: number; pct: number }>();

  /** A new transfer in either direction, offered and not yet answered. */
  add(info: FileInfo, direction: "in" | "out"): void {
    this.transfers.set(info.transfer_id, { ...info, direction, bytes: 0, total: info.file_size, rate: 0, eta: null, status: "offered" });
  }

  /** The transfers moving data now (for the status area). */
  active(): Transfer[] {
    return [...this.transfers.values()].filter((t) => t.status === "active");
  }

  /** The file's name for a sentence ("report.pdf" in quotes, made safe), or its short id. */
  fileName(id: string): string {
    const t = this.transfers.get(id) ?? this.offers.get(id);
    return t ? `"${sanitizeName(t.filename, 120)}"` : `transfer ${id.slice(0, 8)}`;
  }

  end(id: string): void {
    this.transfers.delete(id);
    this.offers.delete(id);
    this.plainProgress.delete(id);
  }

  endAll(): void {
    for (const id of [...this.transfers.keys()]) this.end(id);
  }

  /** The offer an /accept or /reject means: the only one, or the one whose id starts with `arg`. */
  findOffer(arg: string): string {
    if (arg === "") {
      if (this.offers.size === 1) return [...this.offers.keys()][0]!;
      if (this.offers.size === 0) throw new TuiCommandError("no_offer", "no file offer is waiting for an answer");
      throw new TuiCommandError("ambiguous_offer", `${this.offers.size} offers are waiting; give the ID: ${[...this.offers.keys()].map((k) => k.slice(0, 8)).join(", ")}`);
    }
    if (this.offers.has(arg)) return arg;
    const matches = [...this.offers.keys()].filter((k) => k.startsWith(arg));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new TuiCommandError("ambiguous_offer", `"${sanitizeInline(arg)}" matches several offers; give more of the ID`);
    return arg; // let the core decide (it knows every transfer)
  }
}
