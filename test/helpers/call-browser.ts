// Chromium for the GUI call test: the usual flags plus a fake microphone fed
// from a WAV file (44.1 kHz 16-bit mono sine, written here) and no permission
// prompt, and audio allowed to start without a gesture.
import { writeFileSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from "./gui-browser.js";

/** A RIFF/WAVE file: PCM 16-bit mono at `rate`, a sine of `freq` Hz for `seconds`. */
export function sineWav(freq: number, seconds: number, rate = 44100, amplitude = 12000): Buffer {
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)), 2 * i);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write("data", 36, "ascii");
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export async function launchCallBrowser(wavPath: string, freq = 440): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  writeFileSync(wavPath, sineWav(freq, 4));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-audio-capture=${wavPath}`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}
