// The page's audio for voice calls: the microphone through the
// pq-capture worklet into 441-frame 16-bit packets at 44.1 kHz, the peer's
// packets (at the peer's own rate and packet size, which the reference lets
// its users choose) through the pq-playback jitter buffer, which resamples them
// to the context's rate, and the ring tones, all
// generated with WebAudio (no audio files). Keys never come here: only PCM
// passes between this page and the pqchat process.

import { micError, micErrorKind } from "./mic-error.mjs";

export { MicError, type MicErrorKind } from "./mic-error.mjs";

export interface PlaybackStats {
  /** The peer's rate the playback runs at (resampled to the context's). */
  rate: number;
  /** Frequency of what was played in the last quarter second (zero crossings). */
  out_hz: number;
  buffered_ms: number;
  playing: boolean;
  received: number;
  underruns: number;
  concealed: number;
  trimmed: number;
}

export class CallAudio {
  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private capture: AudioWorkletNode | null = null;
  private playback: AudioWorkletNode | null = null;
  private moduleLoaded: Promise<void> | null = null;
  stats: PlaybackStats | null = null;

  constructor(
    private readonly onPacket: (pcm: ArrayBuffer) => void,
    private readonly onStats: (s: PlaybackStats) => void,
  ) {}

  get running(): boolean {
    return this.capture !== null;
  }

  /** The context at the wire rate (the browser resamples to the device); created on a user gesture so it may start. */
  context(): AudioContext {
    if (!this.ctx || this.ctx.state === "closed") {
      try {
        this.ctx = new AudioContext({ sampleRate: 44100, latencyHint: "interactive" });
      } catch {
        // Some browsers refuse a forced rate: the worklets resample instead.
        this.ctx = new AudioContext({ latencyHint: "interactive" });
      }
      this.moduleLoaded = null;
    }
    if (this.ctx.state === "suspended") void this.ctx.resume().catch(() => undefined);
    return this.ctx;
  }

  /**
   * Asks for the microphone (the browser may prompt) and loads the worklets.
   * Call from a click handler. Throws a MicError (a kind, and a plain-words message).
   */
  async prepare(): Promise<void> {
    const ctx = this.context();
    if (!this.stream) {
      if (!navigator.mediaDevices?.getUserMedia) throw micError("unsupported");
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
          video: false,
        });
      } catch (err) {
        throw micError(micErrorKind(err), err);
      }
    }
    this.moduleLoaded ??= ctx.audioWorklet.addModule(new URL("call-worklet.mjs", location.href).href);
    try {
      await this.moduleLoaded;
    } catch {
      this.moduleLoaded = null;
      throw micError("engine");
    }
  }

  /** Audio flows: microphone → packets, packets (at the peer's rate and packet size) → speaker. */
  async start(peer: { rate: number; chunk: number }): Promise<void> {
    if (this.capture) return;
    await this.prepare();
    const ctx = this.context();
    const stream = this.stream!;
    this.source = ctx.createMediaStreamSource(stream);
    this.capture = new AudioWorkletNode(ctx, "pq-capture", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 1, channelCountMode: "explicit" });
    this.capture.port.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) this.onPacket(ev.data);
    };
    this.playback = new AudioWorkletNode(ctx, "pq-playback", { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: peer });
    this.playback.port.onmessage = (ev: MessageEvent) => {
      this.stats = ev.data as PlaybackStats;
      this.onStats(this.stats);
    };
    this.source.connect(this.capture);
    // The capture node outputs silence; connecting it keeps it pulled by the graph.
    this.capture.connect(ctx.destination);
    this.playback.connect(ctx.destination);
  }

  /** A received packet (16-bit LE mono at the peer's rate); handed over to the worklet. */
  play(pcm: ArrayBuffer): void {
    this.playback?.port.postMessage(pcm, [pcm]);
  }

  /** The microphone track off while muted (the browser's indicator shows it), on again after. */
  setMuted(muted: boolean): void {
    for (const t of this.stream?.getAudioTracks() ?? []) t.enabled = !muted;
  }

  /** Ends the call's audio and releases the microphone; the context stays for ring tones. */
  stop(): void {
    this.capture?.port.close();
    this.playback?.port.close();
    this.source?.disconnect();
    this.capture?.disconnect();
    this.playback?.disconnect();
    this.source = null;
    this.capture = null;
    this.playback = null;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.stats = null;
  }
}

/**
 * Ring tones from oscillators: "incoming" is a two-note ring (1.2 s on, 1.8 s
 * off), "ringback" (our call ringing at the peer) a soft 425 Hz beep (1 s on,
 * 3 s off). Silent if the browser does not let the context start.
 */
export class Ringer {
  private timer: number | null = null;
  private nodes: OscillatorNode[] = [];

  constructor(private readonly ctx: () => AudioContext | null) {}

  start(kind: "incoming" | "ringback"): void {
    this.stop();
    const period = kind === "incoming" ? 3000 : 4000;
    const ring = (): void => this.burst(kind);
    ring();
    this.timer = window.setInterval(ring, period);
  }

  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    for (const n of this.nodes) {
      try {
        n.stop();
      } catch {
        /* not started or already stopped */
      }
    }
    this.nodes = [];
  }

  private burst(kind: "incoming" | "ringback"): void {
    const ctx = this.ctx();
    if (!ctx || ctx.state !== "running") return;
    const t0 = ctx.currentTime + 0.02;
    this.nodes = this.nodes.filter((n) => n.context === ctx);
    const tone = (freq: number, start: number, dur: number, level: number): void => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(level, start + 0.02);
      gain.gain.setValueAtTime(level, start + dur - 0.04);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + dur + 0.01);
      this.nodes.push(osc);
      osc.onended = () => {
        this.nodes = this.nodes.filter((n) => n !== osc);
      };
    };
    if (kind === "incoming") {
      for (let i = 0; i < 6; i++) tone(i % 2 === 0 ? 880 : 660, t0 + i * 0.2, 0.18, 0.16);
    } else {
      tone(425, t0, 1.0, 0.06);
    }
  }
}
