// Helpers for the voice-call tests and the call benchmark: a recorder for the
// call events of a ClientCore (awaitable, never misses an earlier event), a
// continuous-phase tone source cut into 441-frame packets, a drift-corrected
// 10 ms pacer, and a zero-crossing frequency estimate.
import type { CallApi } from "../../src/client/api.js";
import type { CallEventMap, CallEventName } from "../../src/client/events.js";

export const CALL_EVENTS: CallEventName[] = ["call_ringing", "call_incoming", "call_started", "call_audio", "call_muted", "call_ended"];

type Entry = { name: CallEventName; payload: unknown; taken: boolean; at: number };

/** Records every call event of a core except the audio itself, which is kept as counts and (optionally) samples. */
export class CallRecorder {
  readonly log: Entry[] = [];
  readonly audio: Int16Array[] = [];
  audioPackets = 0;
  keepAudio = true;
  private waiters: { name: CallEventName; pred: (p: never) => boolean; resolve: (p: unknown) => void }[] = [];

  constructor(
    readonly label: string,
    core: CallApi,
  ) {
    for (const name of CALL_EVENTS) {
      core.onCall(name, (payload: unknown) => {
        if (name === "call_audio") {
          this.audioPackets++;
          if (this.keepAudio) this.audio.push((payload as CallEventMap["call_audio"]).pcm);
          this.wakeAudio();
          return;
        }
        const e: Entry = { name, payload, taken: false, at: performance.now() };
        this.log.push(e);
        for (const w of this.waiters) {
          if (w.name === name && w.pred(payload as never)) {
            e.taken = true;
            this.waiters = this.waiters.filter((x) => x !== w);
            w.resolve(payload);
            return;
          }
        }
      });
    }
  }

  next<K extends CallEventName>(name: K, pred: (p: CallEventMap[K]) => boolean = () => true, timeoutMs = 15000): Promise<CallEventMap[K]> {
    const hit = this.log.find((e) => !e.taken && e.name === name && pred(e.payload as CallEventMap[K]));
    if (hit) {
      hit.taken = true;
      return Promise.resolve(hit.payload as CallEventMap[K]);
    }
    return new Promise((resolve, reject) => {
      const w = { name, pred: pred as (p: never) => boolean, resolve: resolve as (p: unknown) => void };
      this.waiters.push(w);
      setTimeout(() => {
        if (!this.waiters.includes(w)) return;
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.label}: no "${name}" within ${timeoutMs} ms; call events: ${this.log.map((e) => e.name).join(", ")}`));
      }, timeoutMs).unref();
    });
  }

  private audioWaiters: { n: number; resolve: () => void }[] = [];

  private wakeAudio(): void {
    this.audioWaiters = this.audioWaiters.filter((w) => {
      if (this.audioPackets < w.n) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `n` packets arrived in total, or after `timeoutMs` (whichever first): a bounded wait. */
  audioCount(n: number, timeoutMs: number): Promise<number> {
    if (this.audioPackets >= n) return Promise.resolve(this.audioPackets);
    return new Promise((resolve) => {
      const w = { n, resolve: () => resolve(this.audioPackets) };
      this.audioWaiters.push(w);
      setTimeout(() => {
        this.audioWaiters = this.audioWaiters.filter((x) => x !== w);
        resolve(this.audioPackets);
      }, timeoutMs).unref();
    });
  }

  /** All received samples, concatenated. */
  samples(): Int16Array {
    const n = this.audio.reduce((a, p) => a + p.length, 0);
    const out = new Int16Array(n);
    let o = 0;
    for (const p of this.audio) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** A sine tone at `freq` Hz, 44,100 Hz, continuous across packets. */
export class Tone {
  private phase = 0;
  constructor(
    readonly freq: number,
    readonly amplitude = 12000,
  ) {}

  packet(frames = 441): Int16Array {
    const out = new Int16Array(frames);
    const step = (2 * Math.PI * this.freq) / 44100;
    for (let i = 0; i < frames; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    return out;
  }
}

/**
 * Calls `tick(k)` every `intervalMs` for `durationMs`, scheduled against the
 * start time (no drift: a late tick is followed by a shorter wait) until
 * `stop()` returns true. Resolves with the number of ticks.
 */
export function pace(intervalMs: number, durationMs: number, tick: (k: number) => void, stop: () => boolean = () => false): Promise<number> {
  const start = performance.now();
  const total = Math.round(durationMs / intervalMs);
  let k = 0;
  return new Promise((resolve) => {
    const step = (): void => {
      const now = performance.now();
      while (k < total && start + k * intervalMs <= now) tick(k++);
      if (k >= total || stop()) return resolve(k);
      setTimeout(step, Math.max(0, start + k * intervalMs - performance.now()));
    };
    step();
  });
}

/** Frequency estimate from zero crossings (with a small hysteresis against noise). */
export function zeroCrossingHz(samples: Int16Array, rate = 44100, hysteresis = 200): number {
  let crossings = 0;
  let sign = 0;
  for (const s of samples) {
    const now = s > hysteresis ? 1 : s < -hysteresis ? -1 : 0;
    if (now !== 0) {
      if (sign !== 0 && now !== sign) crossings++;
      sign = now;
    }
  }
  return crossings / 2 / (samples.length / rate);
}
