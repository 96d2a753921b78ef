// Opening a folder or a URL with the desktop's own program (file manager,
// browser), detached from this process.
import { spawn } from "node:child_process";
import { errorText } from "../present/error-text.js";

/** Spawns the platform's opener, detached; resolves once it started (or could not). */
export function openWithDesktop(target: string): Promise<string | null> {
  const [cmd, args] =
    process.platform === "darwin" ? ["open", [target]] : process.platform === "win32" ? ["cmd", ["/c", "start", '""', target]] : ["xdg-open", [target]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { detached: true, stdio: "ignore", windowsHide: true });
      child.once("error", (err) => resolve(`${cmd}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      child.once("spawn", () => {
        child.unref();
        resolve(null);
      });
    } catch (err) {
      resolve(errorText(err));
    }
  });
}
