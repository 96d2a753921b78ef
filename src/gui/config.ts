// The GUI's small config file: the connect form (host, port, room, nickname)
// and the page's settings, remembered between runs. Never keys or messages.
//
//   $XDG_CONFIG_HOME/pqchat/gui.json, else ~/.config/pqchat/gui.json
//   (%APPDATA%\pqchat\gui.json on Windows)
//
// Written atomically (temp file + rename), mode 0600 in a 0700 directory.
// A missing or damaged file gives the defaults; unknown or ill-typed fields
// are ignored one by one.
import { mkdir, readFile, rename, writeFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import type { AcceptFiles, GuiConfig, GuiSettings, Theme } from "./page/wire.mjs";

export const DEFAULT_SETTINGS: GuiSettings = {
  dummy_traffic: true,
  delivery_receipts: true,
  allow_nickname_change: true,
  accept_files: "ask",
  notifications: false,
  sound: true,
  theme: "auto",
};

export const DEFAULT_CONFIG: GuiConfig = {
  host: "127.0.0.1",
  port: 16384,
  room: "",
  nickname: "",
  settings: DEFAULT_SETTINGS,
};

/** Field limits (the config file is ours, but it is read back into the page). */
const MAX_HOST = 253;
const MAX_ROOM = 256;
const MAX_NICK = 64;

export function configPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32" && env["APPDATA"]) return path.join(env["APPDATA"], "pqchat", "gui.json");
  const xdg = env["XDG_CONFIG_HOME"];
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env["HOME"] || os.homedir(), ".config");
  return path.join(base, "pqchat", "gui.json");
}

const ACCEPT: readonly AcceptFiles[] = ["ask", "yes", "no", "yes-unverified"];
const THEMES: readonly Theme[] = ["auto", "light", "dark", "contrast"];

/** Keeps only well-typed known settings from `raw` (an untrusted object). */
export function cleanSettings(raw: unknown): Partial<GuiSettings> {
  const out: Partial<GuiSettings> = {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return out;
  const r = raw as Record<string, unknown>;
  for (const k of ["dummy_traffic", "delivery_receipts", "allow_nickname_change", "notifications", "sound"] as const) {
    if (typeof r[k] === "boolean") out[k] = r[k];
  }
  if (typeof r["accept_files"] === "string" && (ACCEPT as readonly string[]).includes(r["accept_files"])) out.accept_files = r["accept_files"] as AcceptFiles;
  if (typeof r["theme"] === "string" && (THEMES as readonly string[]).includes(r["theme"])) out.theme = r["theme"] as Theme;
  return out;
}

/** A full config from an untrusted parsed object, defaults where a field is missing or bad. */
export function cleanConfig(raw: unknown): GuiConfig {
  const cfg: GuiConfig = { ...DEFAULT_CONFIG, settings: { ...DEFAULT_SETTINGS } };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return cfg;
  const r = raw as Record<string, unknown>;
  if (typeof r["host"] === "string" && r["host"].length <= MAX_HOST) cfg.host = r["host"];
  if (typeof r["port"] === "number" && Number.isInteger(r["port"]) && r["port"] >= 1 && r["port"] <= 65535) cfg.port = r["port"];
  if (typeof r["room"] === "string" && r["room"].length <= MAX_ROOM) cfg.room = r["room"];
  if (typeof r["nickname"] === "string" && r["nickname"].length <= MAX_NICK) cfg.nickname = r["nickname"];
  cfg.settings = { ...DEFAULT_SETTINGS, ...cleanSettings(r["settings"]) };
  return cfg;
}

export async function loadConfig(file: string): Promise<GuiConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return cleanConfig(null);
  }
  try {
    return cleanConfig(JSON.parse(text));
  } catch {
    return cleanConfig(null);
  }
}

/** Atomic write; errors are returned as text (the GUI keeps working without a config file). */
export async function saveConfig(file: string, cfg: GuiConfig): Promise<string | null> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.gui.json.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    await rename(tmp, file);
    return null;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    return err instanceof Error ? err.message : String(err);
  }
}
