// AudioWorklet processors for voice calls, loaded by call-audio.mts
// with audioWorklet.addModule() — a separate same-origin module, as the page's
// CSP requires (no inline or blob scripts).
//
// pq-capture: the microphone (channel 0) → 44,100 Hz (linear resampling when
//   the context runs at another rate) → 16-bit packets of 441 frames, posted
//   to the page as transferable ArrayBuffers (little-endian, the platform
//   order of every browser pqchat runs on).
// pq-playback: received 16-bit packets at the PEER's rate and packet size
//   (processorOptions {rate, chunk}: a reference peer sends at its own rate,
//   1,000–384,000 Hz, and 1–1,000 packets per second, WIRE-NOTES §4.6) →
//   a jitter buffer that starts playing once it holds the target delay (80 ms,
//   or one packet plus 20 ms when packets are longer), conceals an underrun by
//   repeating the last packet while fading it out (20 ms), then plays silence
//   and refills to the target instead of stalling; a buffer grown past the
//   maximum (late bursts) is trimmed back to the target. Linear interpolation
//   from the peer's rate to the context's. Stats go to the page four times a
//   second, with the frequency of what was played (zero crossings), so a
//   wrong playback rate shows as a wrong pitch.

// The AudioWorkletGlobalScope (not in TypeScript's DOM library).
declare const sampleRate: number;
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: PlaybackOptions);
}
declare function registerProcessor(name: string, ctor: new (options?: PlaybackOptions) => AudioWorkletProcessor): void;

interface PlaybackOptions {
  processorOptions?: { rate?: number; chunk?: number };
}

const WIRE_RATE = 44100;
const PACKET = 441;

class CaptureProcessor extends AudioWorkletProcessor {
  private packet = new Int16Array(PACKET);
  private fill = 0;
  /** Position of the next wire sample, in input samples (resampling). */
  private pos = 0;
  private prev = 0;
  private readonly step = sampleRate / WIRE_RATE;

  process(inputs: Float32Array[][]): boolean {
    const ch = inputs[0]?.[0];
    if (!ch) return true;
    if (this.step === 1) {
      for (let i = 0; i < ch.length; i++) this.push(ch[i]!);
      return true;
    }
    // Linear interpolation between input samples; `pos` is relative to `prev` (index -1).
    let pos = this.pos;
    while (pos < ch.length - 1) {
      const i = Math.floor(pos);
      const t = pos - i;
      const a = i < 0 ? this.prev : ch[i]!;
      const b = ch[i + 1]!;
      this.push(a + (b - a) * t);
      pos += this.step;
    }
    this.pos = pos - ch.length;
    this.prev = ch[ch.length - 1]!;
    return true;
  }

  private push(x: number): void {
    const v = x < -1 ? -1 : x > 1 ? 1 : x;
    this.packet[this.fill++] = Math.round(v * 32767);
    if (this.fill === PACKET) {
      const buf = this.packet.buffer;
      this.port.postMessage(buf, [buf]);
      this.packet = new Int16Array(PACKET);
      this.fill = 0;
    }
  }
}

class PlaybackProcessor extends AudioWorkletProcessor {
  /** The peer's rate and packet size; jitter buffer settings in the peer's frames. */
  private readonly rate: number;
  private readonly target: number;
  private readonly max: number;
  private readonly conceal: number;
  private readonly chunk: number;
  private queue: Int16Array[] = [];
  private head = 0; // read index in queue[0]
  private buffered = 0; // frames in the queue
  private playing = false;
  private last: Int16Array | null = null;
  private concealLeft = 0;
  private concealIdx = 0;
  // resampling state (peer's rate → context rate)
  private readonly step: number;
  private t = 0;
  private a = 0;
  private b = 0;
  // stats
  private received = 0;
  private underruns = 0;
  private concealed = 0;
  private trimmed = 0;
  private quanta = 0;
  // what was played since the last stats message: frames and zero crossings
  private outFrames = 0;
  private crossings = 0;
  private sign = 0;

  constructor(options?: PlaybackOptions) {
    super(options);
    const o = options?.processorOptions ?? {};
    const ok = (x: unknown, lo: number, hi: number): x is number => typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi;
    this.rate = ok(o.rate, 1000, 384_000) ? o.rate : WIRE_RATE;
    this.chunk = ok(o.chunk, 1, this.rate) ? o.chunk : PACKET;
    this.step = this.rate / sampleRate;
    // 80 ms, or a whole packet and 20 ms when packets are longer (1 packet/s at the slowest).
    this.target = Math.max(Math.round(0.08 * this.rate), this.chunk + Math.round(0.02 * this.rate));
    this.max = Math.max(Math.round(0.2 * this.rate), this.target + 2 * this.chunk);
    this.conceal = Math.round(0.02 * this.rate);
    this.port.onmessage = (ev: MessageEvent) => {
      if (ev.data === "reset") return this.reset();
      if (!(ev.data instanceof ArrayBuffer)) return;
      const p = new Int16Array(ev.data);
      if (p.length === 0) return;
      this.queue.push(p);
      this.buffered += p.length;
      this.received++;
      if (this.buffered > this.max) {
        // A burst after a stall: play the newest target, not a growing delay.
        while (this.buffered > this.target && this.queue.length > 1) {
          const drop = this.queue.shift()!;
          this.buffered -= drop.length - this.head;
          this.head = 0;
          this.trimmed++;
        }
      }
      if (this.concealLeft > 0 && this.playing) this.concealLeft = 0; // data is back: resume at once
    };
  }

  private reset(): void {
    this.queue = [];
    this.head = 0;
    this.buffered = 0;
    this.playing = false;
    this.last = null;
    this.concealLeft = 0;
  }

  /** The next wire-rate sample, in [-1, 1]. */
  private next(): number {
    if (!this.playing) {
      if (this.buffered < this.target) return 0;
      this.playing = true;
    }
    const cur = this.queue[0];
    if (cur) {
      const s = cur[this.head++]!;
      this.buffered--;
      if (this.head >= cur.length) {
        this.queue.shift();
        this.head = 0;
        this.last = cur;
      }
      return s / 32768;
    }
    // Underrun: repeat the last packet, fading out, then silence and refill.
    if (this.concealLeft === 0 && this.last) {
      this.underruns++;
      this.concealLeft = this.conceal;
      this.concealIdx = 0;
    }
    if (this.concealLeft > 0 && this.last) {
      const gain = this.concealLeft / this.conceal;
      const s = this.last[this.concealIdx % this.last.length]!;
      this.concealIdx++;
      this.concealLeft--;
      if (this.concealIdx % this.chunk === 0) this.concealed++;
      if (this.concealLeft === 0) this.playing = false;
      return (s / 32768) * gain;
    }
    this.playing = false;
    return 0;
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (out) {
      if (this.step === 1) {
        for (let i = 0; i < out.length; i++) out[i] = this.next();
      } else {
        for (let i = 0; i < out.length; i++) {
          this.t += this.step;
          while (this.t >= 1) {
            this.a = this.b;
            this.b = this.next();
            this.t -= 1;
          }
          out[i] = this.a + (this.b - this.a) * this.t;
        }
      }
      for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]![c]!.set(out);
      for (let i = 0; i < out.length; i++) {
        const v = out[i]!;
        const now = v > 0.006 ? 1 : v < -0.006 ? -1 : 0; // hysteresis against noise
        if (now !== 0) {
          if (this.sign !== 0 && now !== this.sign) this.crossings++;
          this.sign = now;
        }
      }
      this.outFrames += out.length;
    }
    if (++this.quanta % Math.max(1, Math.round((sampleRate * 0.25) / 128)) === 0) {
      const outHz = this.outFrames > 0 ? Math.round(this.crossings / 2 / (this.outFrames / sampleRate)) : 0;
      this.outFrames = 0;
      this.crossings = 0;
      this.port.postMessage({
        rate: this.rate,
        out_hz: outHz,
        buffered_ms: Math.round((this.buffered / this.rate) * 1000),
        playing: this.playing,
        received: this.received,
        underruns: this.underruns,
        concealed: this.concealed,
        trimmed: this.trimmed,
      });
    }
    return true;
  }
}

registerProcessor("pq-capture", CaptureProcessor);
registerProcessor("pq-playback", PlaybackProcessor);
