// Files the user sends: streamed to the bridge by HTTP PUT (the browser reads
// the File from disk as it goes); the bridge offers it once it is complete.
// Progress goes through the reducer as upload_* actions.
import { clean } from "./format.mjs";
import type { Action } from "./model.mjs";

export interface UploadDeps {
  secure(): boolean;
  dispatch(a: Action): void;
  toast(text: string, error?: boolean): void;
}

let uploadSeq = 0;

/** A name for a pasted file: its own, unless the browser made one up ("image.png"). */
export function pastedName(f: File, d = new Date()): string {
  if (f.name && !/^image\.\w+$/i.test(f.name)) return f.name;
  const ext = ({ "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" } as Record<string, string>)[f.type] ?? "bin";
  const p = (n: number): string => String(n).padStart(2, "0");
  return `pasted-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.${ext}`;
}

export function sendFile(deps: UploadDeps, file: File, fileName = file.name): void {
  if (!deps.secure()) {
    deps.toast("Files can be sent once the secure session is established.", true);
    return;
  }
  const key = `upload-${++uploadSeq}`;
  deps.dispatch({ t: "upload_started", key, name: fileName, size: file.size });
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", `upload?name=${encodeURIComponent(fileName)}`);
  xhr.upload.addEventListener("progress", (e) => deps.dispatch({ t: "upload_progress", key, loaded: e.loaded, total: e.lengthComputable ? e.total : file.size }));
  xhr.upload.addEventListener("load", () => deps.dispatch({ t: "upload_progress", key, loaded: file.size, total: file.size }));
  xhr.addEventListener("load", () => {
    deps.dispatch({ t: "upload_ended", key });
    if (xhr.status === 200) return;
    deps.toast(`${clean(fileName, 80)}: ${uploadError(xhr.responseText)}`, true);
  });
  xhr.addEventListener("error", () => {
    deps.dispatch({ t: "upload_ended", key });
    deps.toast(`${clean(fileName, 80)}: the file could not be read.`, true);
  });
  xhr.send(file);
}

/** The bridge's plain-words refusal ({"error": …}), or a generic one. */
function uploadError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {
    /* keep the generic text */
  }
  return "The file could not be sent.";
}
