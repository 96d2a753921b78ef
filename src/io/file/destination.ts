// Claiming the final path of a received file in the download directory and
// moving the file there: the claim itself is the existence test, so an
// existing file is never overwritten (WIRE-NOTES §15.5).
import { link, open, rename, rm } from "node:fs/promises";
import { FileTransferError } from "../../protocol/file/metadata.js";
import { assertInside, candidateName } from "../../protocol/file/names.js";

/** How many "name (n).ext" candidates uniqueDestination tries before giving up. */
export const MAX_UNIQUE_ATTEMPTS = 10000;

/**
 * Claims a candidate path atomically; must reject with an EEXIST error if the
 * path is taken. The default creates an empty placeholder with O_CREAT|O_EXCL
 * ("wx"), which also refuses to follow a symlink planted at that name.
 */
export type ClaimFn = (candidatePath: string) => Promise<void>;

async function claimByExclusiveCreate(p: string): Promise<void> {
  const fh = await open(p, "wx", 0o600);
  await fh.close();
}

/**
 * Finds an unused name in `dir` for `name` and claims it with `claim` (default:
 * exclusive create of an empty file). There is no check-then-act window: the
 * claim itself is the existence test, so a concurrent writer can never be
 * overwritten. incoming.ts passes a claim that hard-links the finished file
 * into place. `name` is expected to come from safeFileName(); every candidate
 * is still verified to resolve directly inside `dir`.
 */
export async function uniqueDestination(dir: string, name: string, claim: ClaimFn = claimByExclusiveCreate): Promise<string> {
  for (let n = 0; n < MAX_UNIQUE_ATTEMPTS; n++) {
    const full = assertInside(dir, candidateName(name, n));
    try {
      await claim(full);
      return full;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
  }
  throw new FileTransferError("io_error", `No free file name for "${name}" in the download folder.`);
}

/** Link-based placement is not available on every file system (FAT, some network/FUSE mounts). */
const NO_LINK_CODES = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK", "ENOSYS", "EACCES"]);

/**
 * Gives the verified temp file `tmp` the first free name "name", "name (1).ext",
 * … in `dir`: a hard link (link() fails with EEXIST instead of replacing — no
 * check-then-rename race), after which the caller removes the temp name
 * (`tempRemains` true). Where hard links are unsupported: claims the name by
 * exclusive create and renames onto that empty placeholder we own (`tempRemains`
 * false: the temp name is gone).
 */
export async function placeFile(tmp: string, dir: string, name: string): Promise<{ dest: string; tempRemains: boolean }> {
  try {
    return { dest: await uniqueDestination(dir, name, (c) => link(tmp, c)), tempRemains: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !NO_LINK_CODES.has(code)) throw err;
  }
  const dest = await uniqueDestination(dir, name);
  try {
    await rename(tmp, dest);
  } catch (renameErr) {
    await rm(dest, { force: true }); // our empty placeholder
    throw renameErr;
  }
  return { dest, tempRemains: false };
}
