// Our temporary files and directories, and the removal of the ones a crashed
// pqchat left behind. A partial download (`.part`) holds plaintext; a killed
// process cannot clean up after itself, so every start sweeps them.
//
// Every name carries the pid of the process that created it. A leftover is
// removed only when (a) its name matches one of our exact patterns, (b) lstat
// says it is a regular file (a directory for the GUI's temp dirs) — never a
// symlink, which is not followed either — (c) it belongs to our uid, and (d)
// the pid in its name is not a running process. The pid rather than an age
// threshold: a transfer may legitimately run for hours (a 64 GiB file) or sit
// accepted but idle, so no age is both safe for a live transfer of another
// pqchat sharing the directory and quick to remove a dead one's plaintext.
// A reused pid only makes us keep a dead file longer (the safe side); a pid
// from another pid namespace sharing the directory is the one case where the
// check can be fooled, which is why the uid must match as well.
import { randomBytes } from "node:crypto";
import { lstat, open, readdir, rm, unlink, type FileHandle } from "node:fs/promises";
import * as path from "node:path";

export type TempFileSuffix = ".part" | ".out" | ".gz.tmp";

/** `.pqchat-<pid>-<16 hex><suffix>`: a leading dot, which safeFileName() strips, so a peer can never name it. */
export const TEMP_FILE_PATTERN = /^\.pqchat-([1-9][0-9]{0,9})-[0-9a-f]{16}(?:\.part|\.out|\.gz\.tmp)$/;
/** The GUI's private temp dirs in os.tmpdir(): `pqchat-upload-<pid>-XXXXXX`, `pqchat-open-<pid>-XXXXXX` (mkdtemp). */
export const TEMP_DIR_PATTERN = /^pqchat-(?:upload|open)-([1-9][0-9]{0,9})-[A-Za-z0-9]{6}$/;

export function tempFileName(suffix: TempFileSuffix): string {
  return `.pqchat-${process.pid}-${randomBytes(8).toString("hex")}${suffix}`;
}

/** The prefix to hand to mkdtemp() for one of the GUI's temp dirs. */
export function tempDirPrefix(dir: string, kind: "upload" | "open"): string {
  return path.join(dir, `pqchat-${kind}-${process.pid}-`);
}

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

const uid = typeof process.getuid === "function" ? process.getuid() : null;

/**
 * Removes the stale temp files (`what` = "files", e.g. in a download dir or
 * os.tmpdir()) or stale GUI temp dirs (`what` = "dirs", in os.tmpdir()) in
 * `dir`, as described above. Never throws; returns how many were removed.
 */
export async function removeStaleTemps(dir: string, what: "files" | "dirs"): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const pattern = what === "files" ? TEMP_FILE_PATTERN : TEMP_DIR_PATTERN;
  let removed = 0;
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const p = path.join(dir, name);
    try {
      const st = await lstat(p);
      if (uid !== null && st.uid !== uid) continue;
      if (what === "files") {
        if (!st.isFile()) continue;
        await unlink(p);
      } else {
        if (!st.isDirectory()) continue;
        await rm(p, { recursive: true, force: true });
      }
      removed++;
    } catch {
      // Gone meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * The temp files one transfer created, so that a failure or abort removes
 * exactly those: a path is registered only once our exclusive create
 * succeeded, so a file we did not create is never removed.
 */
export class OwnedTempFiles {
  private readonly paths = new Set<string>();

  /**
   * Creates a fresh temp file in `dir` (exclusive create, mode 0600: the
   * content is the user's). The leading dot of its name, which safeFileName()
   * strips, means a peer can never name or clash with it; our pid in the name
   * lets a later start remove it if we crash.
   */
  async create(dir: string, suffix: TempFileSuffix): Promise<{ path: string; handle: FileHandle }> {
    const p = path.join(dir, tempFileName(suffix));
    const handle = await open(p, "wx", 0o600);
    this.paths.add(p);
    return { path: p, handle };
  }

  /** Removes `p` and forgets it. */
  async remove(p: string): Promise<void> {
    await rm(p, { force: true });
    this.paths.delete(p);
  }

  /** `p` is no longer a temp file of ours (it was renamed into place). */
  forget(p: string): void {
    this.paths.delete(p);
  }

  /** Removes every file still registered; never throws. */
  async removeAll(): Promise<void> {
    for (const p of [...this.paths]) await this.remove(p).catch(() => undefined);
  }
}
