// The microphone's failures as a kind the compiler checks and a sentence for
// the user. No DOM here (a DOMException is read by its name), so the mapping is
// tested in Node.

/** A thrown value's name (a DOMException's or an Error's), or "". */
function errorName(err: unknown): string {
  const name = typeof err === "object" && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === "string" ? name : "";
}

/** Why the microphone or the call's audio could not be used (a stable kind; the message is for the user). */
export type MicErrorKind = "denied" | "not_found" | "busy" | "unsupported" | "engine" | "unknown";

/** A getUserMedia or audio-engine failure in plain words. */
export class MicError extends Error {
  readonly kind: MicErrorKind;
  constructor(kind: MicErrorKind, message: string) {
    super(message);
    this.name = "MicError";
    this.kind = kind;
  }
}

const MIC_ERROR_TEXT: Record<Exclude<MicErrorKind, "unknown">, string> = {
  denied: "Microphone access was refused. Allow the microphone for this page (the icon at the left of the address bar, or the browser's site settings) and try again.",
  not_found: "No microphone was found. Connect one and try again.",
  busy: "The microphone could not be opened: another program may be using it.",
  unsupported: "This browser cannot use a microphone on this page.",
  engine: "The audio engine of this page could not start.",
};

/** The kind of a getUserMedia failure, by the DOMException's name. */
export function micErrorKind(err: unknown): MicErrorKind {
  const name = errorName(err);
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
    case "PermissionDeniedError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "not_found";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "unknown";
  }
}

export function micError(kind: MicErrorKind, cause?: unknown): MicError {
  if (kind !== "unknown") return new MicError(kind, MIC_ERROR_TEXT[kind]);
  const name = errorName(cause);
  return new MicError(kind, `The microphone could not be used (${name || "unknown error"}).`);
}

