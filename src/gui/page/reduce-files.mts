// The files panel and the offer queue as data: each file event's change to
// the panel's entries, the incoming offers waiting for the offer dialog, and
// the local files on their way to the bridge.
import { clean, fmtEta, fmtRate, formatBytes } from "./format.mjs";
import type { FileEntry, FileStatus } from "./model.mjs";
import { ephemeralNow, setFile, sys, type Draft } from "./reduce-base.mjs";
import type { PageEventMap, PageTransfer } from "./wire.mjs";

/** The status line of a transfer the hello lists (a reloaded page). */
export function statusWords(dir: "in" | "out", s: PageTransfer["status"]): string {
  switch (s) {
    case "offered":
      return dir === "in" ? "Waiting for your answer" : "Waiting for your peer to accept";
    case "accepted":
      return "Accepted";
    case "transferring":
      return dir === "in" ? "Receiving…" : "Sending…";
    case "verifying":
      return "Checking…";
    case "done":
      return dir === "in" ? "Received" : "Delivered";
    case "rejected":
      return "Rejected";
    default:
      return "Failed";
  }
}

/** Creates an entry, or sets the bar's maximum of an existing one. */
export function upsertFile(d: Draft, id: string, dir: "in" | "out", name: string, size: number, total: number): void {
  const e = d.m.files.get(id);
  const max = Math.max(total, 1);
  setFile(d, id, e ? { ...e, total: max } : { dir, name, size, total: max, done: 0, status: "offered", left: "", right: "" });
}

/** A new status and its words; speed and time left only stay while data moves. */
export function setStatus(d: Draft, id: string, status: FileStatus, text: string): void {
  const e = d.m.files.get(id);
  if (!e) return;
  const moving = status === "transferring" || status === "uploading";
  setFile(d, id, { ...e, status, left: text, right: moving ? e.right : "", done: status === "done" ? e.total : e.done });
}

export function queueOffer(d: Draft, id: string): void {
  if (!d.m.offers.includes(id)) d.m.offers = [...d.m.offers, id];
  d.fx.push({ k: "next_offer" });
}

/** The offer was answered or ended: out of the queue (and out of the dialog, if it was the one shown). */
export function dropOffer(d: Draft, id: string): void {
  const wasFirst = d.m.offers[0] === id;
  d.m.offers = d.m.offers.filter((x) => x !== id);
  if (wasFirst) d.fx.push({ k: "close_offer" }, { k: "next_offer" });
}

/** The panel's entries for the transfers a hello lists. */
export function filesFromHello(d: Draft, transfers: PageTransfer[]): void {
  for (const t of transfers) {
    upsertFile(d, t.transfer_id, t.direction, t.filename, t.file_size, t.total);
    setStatus(d, t.transfer_id, t.status, statusWords(t.direction, t.status));
    if (t.status === "offered" && t.direction === "in") queueOffer(d, t.transfer_id);
  }
}

type FileEventName =
  | "file_offer" | "file_offered" | "file_accepted" | "file_rejected" | "file_progress" | "file_sent" | "file_complete" | "file_received"
  | "file_receive_failed" | "file_send_failed" | "file_resumable" | "file_expired";
type Handlers<N extends keyof PageEventMap> = { [K in N]: (d: Draft, e: PageEventMap[K]) => void };

export const FILE_EVENTS: Handlers<FileEventName> = {
  file_offer(d, e) {
    upsertFile(d, e.transfer_id, "in", e.filename, e.file_size, e.processed_size);
    setStatus(d, e.transfer_id, "offered", e.resume_from === undefined ? "Waiting for your answer" : `Offered again: ${formatBytes(e.resume_from)} already here`);
    if (e.resume_from !== undefined && e.auto === null) {
      sys(d, [{ name: e.filename }, ` was interrupted and is offered again. Your peer has not proved it is the one you verified before: accept only if you trust this peer.`], "warn");
    }
    if (e.auto === null && !e.peer_key_verified && d.m.config?.settings.accept_files === "yes") {
      sys(d, "This file was not accepted automatically: you have not verified your peer. Automatic acceptance is for verified peers only.", "warn");
    }
    queueOffer(d, e.transfer_id);
    if (!d.replay) d.fx.push({ k: "alert", kind: "offer", body: "Your peer wants to send you a file" });
  },
  file_offered(d, e) {
    upsertFile(d, e.transfer_id, "out", e.filename, e.file_size, e.processed_size);
    setStatus(d, e.transfer_id, "offered", "Waiting for your peer to accept");
  },
  file_accepted(d, e) {
    setStatus(d, e.transfer_id, "accepted", e.direction === "in" ? "Accepted; waiting for data…" : "Accepted by your peer; sending…");
    dropOffer(d, e.transfer_id);
  },
  file_rejected(d, e) {
    setStatus(d, e.transfer_id, "rejected", e.direction === "in" ? "Rejected" : `Declined by your peer (${clean(e.reason, 80)})`);
    dropOffer(d, e.transfer_id);
  },
  file_progress(d, e) {
    const entry = d.m.files.get(e.transfer_id);
    if (!entry) return;
    const total = Math.max(e.total, 1);
    const pct = Math.floor((100 * e.bytes) / total);
    const right = [fmtRate(e.rate), fmtEta(e.eta)].filter((s) => s !== "").join(" · ");
    setFile(d, e.transfer_id, { ...entry, status: "transferring", total, done: Math.min(e.bytes, total), left: `${pct}% · ${formatBytes(e.bytes)} of ${formatBytes(e.total)}`, right });
  },
  file_sent(d, e) {
    setStatus(d, e.transfer_id, "verifying", "Sent; waiting for your peer to confirm…");
  },
  file_complete(d, e) {
    setStatus(d, e.transfer_id, "done", "Delivered ✓");
    const entry = d.m.files.get(e.transfer_id);
    if (entry) sys(d, [{ name: entry.name }, ` (${formatBytes(entry.size)}) was delivered.`], "good");
  },
  file_received(d, e) {
    const entry = d.m.files.get(e.transfer_id);
    setStatus(d, e.transfer_id, e.hash_ok ? "done" : "failed", e.hash_ok ? "Received ✓ (hash verified)" : "Received, but the hash does not match");
    const preview = e.preview ? `files/${encodeURIComponent(e.transfer_id)}` : null;
    const nick = d.m.session.peer_nickname || "Peer";
    d.fx.push({ k: "file_message", nick, name: entry?.name ?? e.name, size: e.size, preview, savedAs: e.name, ephemeral: ephemeralNow(d) });
    dropOffer(d, e.transfer_id);
  },
  file_receive_failed(d, e) {
    setStatus(d, e.transfer_id, "failed", `Failed: ${clean(e.error, 160)}`);
    dropOffer(d, e.transfer_id);
  },
  file_resumable(d, e) {
    // Never sent to an unverified peer by itself (docs/PROTOCOL-EXTENSIONS.md §5); sending the same file again continues it.
    sys(d, [`Sending `, { name: e.filename }, ` was interrupted. Your peer has not proved it is the one you verified before, so it was not offered again by itself. Continue sending only if you trust this peer.`], "warn", { resume: e.transfer_id });
  },
  file_send_failed(d, e) {
    setStatus(d, e.transfer_id, "failed", `Failed: ${clean(e.error, 160)}`);
    dropOffer(d, e.transfer_id);
  },
  file_expired(d, e) {
    setStatus(d, e.transfer_id, "failed", e.reason === "offer" ? "Expired: not answered in time" : "Stalled: canceled");
    sys(d, clean(e.text, 200), "warn");
    dropOffer(d, e.transfer_id);
  },
};

/** A local file being read into the bridge (before the core offers it). */
export function uploadProgress(d: Draft, key: string, loaded: number, total: number): void {
  const e = d.m.files.get(key);
  if (!e) return;
  const max = Math.max(total, 1);
  const left = loaded >= total ? "Preparing (hashing and compressing)…" : `Reading ${Math.floor((100 * loaded) / max)}%`;
  setFile(d, key, { ...e, total: max, done: loaded, left } satisfies FileEntry);
}
