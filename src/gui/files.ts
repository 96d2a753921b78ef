// File helpers of the bridge: the name an uploaded file keeps (the protocol
// sends the base name of the path, so the temp copy is named like the
// original), and which received files may be shown as inline images.
import { open } from "node:fs/promises";
import * as path from "node:path";
import { stripUnsafe } from "../present/display-text.js";

const MAX_NAME_BYTES = 200;

/** A safe base name for the local temp copy of an upload; "file" when nothing is left. */
export function safeUploadName(raw: string, platform: NodeJS.Platform = process.platform): string {
  // Controls, bidi overrides and invisible characters go (the one display policy's set).
  let n = stripUnsafe(raw.normalize("NFC"));
  n = n.split(/[\\/]/).pop() ?? "";
  if (platform === "win32") n = n.replace(/[<>:"|?*]/g, "_").replace(/[. ]+$/, "");
  n = n.trim();
  if (n === "" || n === "." || n === "..") return "file";
  if (Buffer.byteLength(n) > MAX_NAME_BYTES) {
    const ext = path.extname(n);
    const keepExt = Buffer.byteLength(ext) <= 16 ? ext : "";
    let stem = keepExt ? n.slice(0, -keepExt.length) : n;
    const cps = [...stem];
    while (Buffer.byteLength(cps.join("") + keepExt) > MAX_NAME_BYTES) cps.pop();
    stem = cps.join("");
    n = stem + keepExt;
  }
  return n;
}

export const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

/** The content type for an inline preview from the file name, or null (only png/jpeg/gif/webp; never SVG). */
export function imageTypeByName(file: string): string | null {
  return IMAGE_TYPES[path.extname(file).toLowerCase()] ?? null;
}

/** The content type the file's first bytes prove, or null. */
export function sniffImage(head: Uint8Array): string | null {
  const b = head;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return "image/gif";
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
  return null;
}

/** Reads the first bytes of a file and returns its image type when name and content agree. */
export async function previewType(file: string): Promise<string | null> {
  const byName = imageTypeByName(file);
  if (!byName) return null;
  const fh = await open(file, "r");
  try {
    const buf = new Uint8Array(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    const sniffed = sniffImage(buf.subarray(0, bytesRead));
    return sniffed === byName ? byName : null;
  } finally {
    await fh.close();
  }
}

/** True when `child` is `dir` itself or inside it (both already resolved/real paths). */
export function isInside(dir: string, child: string): boolean {
  const rel = path.relative(dir, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
