// The JSON API's stdout: one line per event, in order, with back-pressure
// towards the relay. Nothing is ever dropped: while the reader is slow, lines
// wait in memory, and past OUTPUT_HIGH_WATER bytes of them the client is told
// to stop reading from the relay (so the peer's messages wait in TCP buffers,
// then at the peer) until the backlog is below OUTPUT_LOW_WATER again.
import type { Writable } from "node:stream";
import { OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER } from "../present/limits.js";

export { OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER };

/**
 * Writes one line per event, in order, respecting backpressure: when the
 * stream asks us to wait, later lines queue up in memory until 'drain'.
 * `onPressure(true)` past OUTPUT_HIGH_WATER queued bytes, `onPressure(false)`
 * once the reader caught up below OUTPUT_LOW_WATER.
 */
export class LineWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  private pressured = false;
  onPressure: (on: boolean) => void = () => undefined;
  private waiting = false;
  private broken = false;
  private idle: Array<() => void> = [];
  private pendingCallbacks = 0;

  constructor(
    private readonly out: Writable,
    private readonly onBroken: (err: Error) => void,
  ) {
    out.on("error", (err: Error) => {
      if (this.broken) return;
      this.broken = true;
      this.queue = [];
      this.queuedBytes = 0;
      this.settle();
      this.onBroken(err);
    });
  }

  write(line: string): void {
    if (this.broken) return;
    if (this.waiting) {
      this.queue.push(line);
      this.queuedBytes += line.length;
      if (!this.pressured && this.queuedBytes > OUTPUT_HIGH_WATER) {
        this.pressured = true;
        this.onPressure(true);
      }
      return;
    }
    this.push(line);
  }

  private push(line: string): void {
    this.pendingCallbacks++;
    const ok = this.out.write(line + "\n", () => {
      this.pendingCallbacks--;
      this.settle();
    });
    if (!ok) {
      this.waiting = true;
      this.out.once("drain", () => this.drained());
    }
  }

  private drained(): void {
    this.waiting = false;
    while (!this.waiting && this.queue.length > 0 && !this.broken) {
      const line = this.queue.shift()!;
      this.queuedBytes -= line.length;
      this.push(line);
    }
    if (this.pressured && this.queuedBytes < OUTPUT_LOW_WATER) {
      this.pressured = false;
      this.onPressure(false);
    }
    this.settle();
  }

  private settle(): void {
    if (this.broken || (this.queue.length === 0 && !this.waiting && this.pendingCallbacks === 0)) {
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once every line so far has been handed to the OS (or the stream broke). */
  flush(): Promise<void> {
    return new Promise((res) => {
      this.idle.push(res);
      this.settle();
    });
  }
}
