// Texts we sent, remembered until the peer confirms them
// (DELIVERY_CONFIRMATION, WIRE-NOTES §4.6). A reference peer confirms its
// highest counter rather than each text's own (WIRE-NOTES §15.16), so an
// exact match is tried first, then the oldest text below the confirmed counter.
import type { ClientContext } from "./context.js";

/** Sent texts remembered for delivery confirmations (the oldest is forgotten first). */
export const MAX_TRACKED_TEXTS = 10000;

export class SentTexts {
  private sent: { message_id: string; counter: number }[] = [];

  constructor(private readonly ctx: ClientContext) {}

  /** A text left with `counter`: the `sent` event, and remembered for its confirmation. */
  record(message_id: string, counter: number): void {
    this.sent.push({ message_id, counter });
    if (this.sent.length > MAX_TRACKED_TEXTS) this.sent.shift();
    this.ctx.emit("sent", { message_id, counter });
  }

  /** The peer's DELIVERY_CONFIRMATION (a safe integer). */
  onConfirmation(c: number): void {
    let i = this.sent.findIndex((t) => t.counter === c);
    if (i < 0) i = this.sent.findIndex((t) => t.counter < c);
    if (i < 0) return;
    const [t] = this.sent.splice(i, 1);
    this.ctx.emit("delivered", { message_id: t!.message_id, counter: t!.counter });
  }

  clear(): void {
    this.sent = [];
  }
}
