// Voice calls in the page: the call button, the incoming-call dialog
// with its ring tone, the in-call bar (duration, mute, hang up) and the audio
// path between the worklets (call-audio.mts) and the bridge's WebSocket. The
// in-call bar carries the packet counters as data attributes (data-sent,
// data-received) so tests and curious users can see media flow.
import { CallAudio, MicError, Ringer, type PlaybackStats } from "./call-audio.mjs";
import { closeDialog, openDialog, setupDialog } from "./dialogs.mjs";
import type { CallEndReason } from "../../client/events.js";
import { errorText } from "../../present/error-text.js";
import { $, $as } from "./dom.mjs";
import { fmtDuration } from "./format.mjs";
import type { Tone } from "./model.mjs";
import type { CallPageEvent, Command, PageCall, PageEventMap } from "./wire.mjs";

export interface CallDeps {
  cmd(c: Command): Promise<unknown>;
  /** Sends a binary message to the bridge; false when it could not (closed, backed up). */
  sendBinary(buf: ArrayBuffer): boolean;
  toast(text: string, error?: boolean): void;
  sys(text: string, tone?: Tone): void;
  peerName(): string;
  secure(): boolean;
  /** The page is in the background: notify / chime as for a message. */
  alert(body: string): void;
}

const REASON_TONE: Partial<Record<CallEndReason, Tone>> = {
  rejected: "warn",
  no_answer: "warn",
  missed: "warn",
  unsupported: "bad",
  reset: "warn",
  disconnected: "warn",
  emergency_close: "bad",
};

export class CallUi {
  private phase: PageCall["phase"] = "idle";
  private available = false;
  private muted = false;
  /** This page holds the microphone and plays the call (it placed or accepted it). */
  private owner = false;
  /** A command is on its way (no double clicks). */
  private busy = false;
  private sent = 0;
  private received = 0;
  private startedAt = 0;
  private clock: number | null = null;
  private readonly audio: CallAudio;
  private readonly ringer: Ringer;

  private readonly ui = {
    btnCall: $as("btn-call", HTMLButtonElement),
    bar: $("call-bar"),
    status: $("call-status"),
    duration: $("call-duration"),
    note: $("call-note"),
    btnMute: $as("btn-mute", HTMLButtonElement),
    muteLabel: $("mute-label"),
    muteIcon: $("mute-icon"),
    btnHangUp: $as("btn-hangup", HTMLButtonElement),
    dlg: $as("dlg-call", HTMLDialogElement),
    dlgText: $("call-desc"),
    btnAccept: $as("btn-call-accept", HTMLButtonElement),
    btnReject: $as("btn-call-reject", HTMLButtonElement),
  };

  constructor(private readonly deps: CallDeps) {
    this.audio = new CallAudio(
      (pcm) => this.onCapture(pcm),
      (s) => this.onStats(s),
    );
    this.ringer = new Ringer(() => this.audio.context());
    setupDialog(this.ui.dlg);
    // Escape on the incoming-call dialog declines (a dialog must not hide a ringing call).
    this.ui.dlg.addEventListener("cancel", (ev) => {
      ev.preventDefault();
      void this.answer(false);
    });
    this.ui.btnCall.addEventListener("click", () => void this.placeCall());
    this.ui.btnAccept.addEventListener("click", () => void this.answer(true));
    this.ui.btnReject.addEventListener("click", () => void this.answer(false));
    this.ui.btnHangUp.addEventListener("click", () => this.hangUp());
    this.ui.btnMute.addEventListener("click", () => this.toggleMute());
  }

  get inCall(): boolean {
    return this.phase !== "idle";
  }

  // ------------------------------------------------------------------ state from the bridge

  onHello(call: PageCall): void {
    this.available = call.available;
    if (call.phase === "idle" && this.phase !== "idle") this.ended();
    this.phase = call.phase;
    this.muted = call.muted;
    if (call.phase === "active" && !this.owner) {
      // A reload during a call: the audio stayed with the window that had it.
      this.startedAt = call.started_at ?? Date.now();
      this.startClock();
    }
    if (call.phase === "ringing_in") this.showIncoming();
    this.render();
  }

  onEvent(e: CallPageEvent): void {
    switch (e.name) {
      case "call_ringing":
        this.phase = "ringing_out";
        this.ringer.start("ringback");
        this.deps.sys(`Calling ${this.deps.peerName()}…`);
        break;
      case "call_incoming":
        this.phase = "ringing_in";
        this.owner = false;
        this.showIncoming();
        this.ringer.start("incoming");
        this.deps.alert("Your peer is calling you");
        break;
      case "call_started":
        this.started(e.data);
        break;
      case "call_muted":
        this.muted = e.data.muted;
        this.audio.setMuted(this.muted);
        break;
      case "call_ended": {
        const d = e.data;
        const dur = d.duration_ms !== null ? ` (${fmtDuration(d.duration_ms)})` : "";
        this.ended();
        this.deps.sys(`Call ended: ${d.text}${dur}`, REASON_TONE[d.reason] ?? "plain");
        break;
      }
      case "voice_call_rejected":
        this.deps.sys(`Your peer tried to call; the call was declined: ${e.data.reason}`, "warn");
        break;
    }
    this.render();
  }

  private started(d: PageEventMap["call_started"]): void {
    this.phase = "active";
    this.ringer.stop();
    closeDialog(this.ui.dlg);
    this.sent = 0;
    this.received = 0;
    this.startedAt = Date.now();
    this.startClock();
    const rate = d.peer_rate;
    this.ui.bar.setAttribute("data-peer-rate", String(rate));
    const peerAt = rate === 44100 ? "" : `; your peer sends ${(rate / 1000).toLocaleString("en-US")} kHz`;
    this.deps.sys(`Voice call started (${d.format_name}, 44.1 kHz${peerAt}, end-to-end encrypted).`, "good");
    if (this.owner) this.startAudio({ rate, chunk: d.peer_chunk_size });
  }

  /** The session is gone (disconnected, emergency close): the core ends the call too; this just cleans up at once. */
  reset(): void {
    if (this.phase === "idle") return;
    this.ended();
    this.render();
  }

  /** A binary message from the bridge: one received packet. */
  onBinary(buf: ArrayBuffer): void {
    if (this.phase !== "active" || !this.owner) return;
    this.received++;
    if (this.received % 10 === 0) {
      // The peak of every 10th packet (0–32767): a quick "is there sound" indicator, also for tests.
      const pcm = new Int16Array(buf, 0, buf.byteLength >> 1);
      let peak = 0;
      for (const v of pcm) peak = Math.max(peak, Math.abs(v));
      this.ui.bar.setAttribute("data-rx-peak", String(peak));
    }
    this.audio.play(buf);
    this.ui.bar.setAttribute("data-received", String(this.received));
  }

  // ------------------------------------------------------------------ user actions

  private async placeCall(): Promise<void> {
    if (this.phase !== "idle" || this.busy || !this.deps.secure()) return;
    this.busy = true;
    this.render();
    try {
      // The microphone first: no call is placed if it cannot be used.
      await this.audio.prepare();
      this.owner = true;
      await this.deps.cmd({ cmd: "call" });
    } catch (err) {
      this.owner = false;
      this.audio.stop();
      const text = errorText(err);
      this.deps.toast(text, true);
      if (err instanceof MicError) this.deps.sys(`No call: ${text}`, "bad");
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private async answer(accept: boolean): Promise<void> {
    if (this.phase !== "ringing_in" || this.busy) return;
    this.busy = true;
    this.ringer.stop();
    closeDialog(this.ui.dlg);
    try {
      if (accept) {
        try {
          await this.audio.prepare();
        } catch (err) {
          const text = errorText(err);
          this.deps.toast(text, true);
          this.deps.sys(`The call was declined because the microphone could not be used. ${text}`, "bad");
          this.audio.stop();
          await this.deps.cmd({ cmd: "answer_call", accept: false });
          return;
        }
        this.owner = true;
      }
      await this.deps.cmd({ cmd: "answer_call", accept });
    } catch (err) {
      this.owner = false;
      this.audio.stop();
      this.deps.toast(errorText(err), true);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private hangUp(): void {
    if (this.phase === "idle") return;
    this.deps.cmd({ cmd: "hang_up" }).catch((err: unknown) => this.deps.toast(errorText(err), true));
  }

  private toggleMute(): void {
    if (this.phase !== "active") return;
    const muted = !this.muted;
    // Stop sending at once; the bridge confirms with call_muted.
    this.muted = muted;
    this.audio.setMuted(muted);
    this.render();
    this.deps.cmd({ cmd: "mute", muted }).catch((err: unknown) => this.deps.toast(errorText(err), true));
  }

  // ------------------------------------------------------------------ audio

  private startAudio(peer: { rate: number; chunk: number }): void {
    this.audio.start(peer).catch((err: unknown) => {
      this.deps.toast(err instanceof MicError ? err.message : "The call's audio could not start.", true);
      this.hangUp();
    });
  }

  private onCapture(pcm: ArrayBuffer): void {
    if (this.phase !== "active" || !this.owner || this.muted) return;
    if (this.deps.sendBinary(pcm)) {
      this.sent++;
      this.ui.bar.setAttribute("data-sent", String(this.sent));
    }
  }

  private onStats(s: PlaybackStats): void {
    this.ui.bar.setAttribute("data-buffer-ms", String(s.buffered_ms));
    this.ui.bar.setAttribute("data-out-hz", String(s.out_hz));
    this.ui.bar.setAttribute("data-concealed", String(s.concealed));
    this.ui.bar.setAttribute("data-underruns", String(s.underruns));
  }

  // ------------------------------------------------------------------ rendering

  private showIncoming(): void {
    this.ui.dlgText.textContent = `${this.deps.peerName()} is calling you. The call is end-to-end encrypted with this session's keys.`;
    openDialog(this.ui.dlg, this.ui.btnAccept);
  }

  private ended(): void {
    this.phase = "idle";
    this.owner = false;
    this.muted = false;
    this.ringer.stop();
    this.audio.stop();
    closeDialog(this.ui.dlg);
    if (this.clock !== null) window.clearInterval(this.clock);
    this.clock = null;
  }

  private startClock(): void {
    if (this.clock !== null) window.clearInterval(this.clock);
    const tick = (): void => {
      this.ui.duration.textContent = fmtDuration(Date.now() - this.startedAt);
    };
    tick();
    this.clock = window.setInterval(tick, 500);
  }

  render(): void {
    const ui = this.ui;
    const secure = this.deps.secure();
    ui.btnCall.hidden = !this.available || !secure;
    ui.btnCall.disabled = this.phase !== "idle" || this.busy;
    ui.bar.hidden = this.phase === "idle" || this.phase === "ringing_in";
    ui.bar.setAttribute("data-state", this.phase);
    ui.bar.setAttribute("data-muted", String(this.muted));
    ui.bar.setAttribute("data-sent", String(this.sent));
    ui.bar.setAttribute("data-received", String(this.received));
    ui.status.textContent = this.phase === "ringing_out" ? `Calling ${this.deps.peerName()}…` : this.phase === "active" ? `In a call with ${this.deps.peerName()}` : "";
    ui.duration.hidden = this.phase !== "active";
    ui.note.textContent = this.phase === "active" && !this.owner ? "The audio is in the window that took the call." : this.muted ? "Your microphone is muted." : "";
    ui.btnMute.hidden = this.phase !== "active" || !this.owner;
    ui.btnMute.setAttribute("aria-pressed", String(this.muted));
    ui.muteLabel.textContent = this.muted ? "Unmute" : "Mute";
    ui.muteIcon.setAttribute("href", this.muted ? "#i-mic-off" : "#i-mic");
    ui.btnHangUp.querySelector("span")!.textContent = this.phase === "ringing_out" ? "Cancel" : "Hang up";
  }
}
