// Yes/no questions the terminal client asks (do the eight words match? may
// the unverified peer rekey?): answered in order, each by the next "yes" or
// "no" line; the prompt shows "(yes/no)" while one is waiting.
import { groupHex } from "../present/display-text.js";
import { sanitizeInline } from "../present/sanitize.js";
import type { Palette } from "./format.js";

export const PROMPT = "> ";
export const QUESTION_PROMPT = "(yes/no) > ";

export interface Question {
  kind: "verify" | "rekey" | "resume";
  answer(yes: boolean): void;
}

export class Questions {
  private readonly queue: Question[] = [];

  constructor(private readonly setPrompt: (prompt: string) => void) {}

  /** The question the next yes/no answers. */
  get first(): Question | undefined {
    return this.queue[0];
  }

  push(q: Question): void {
    this.queue.push(q);
    if (this.queue.length === 1) this.setPrompt(QUESTION_PROMPT);
  }

  /** Removes the first question (it was answered). */
  shift(): void {
    this.queue.shift();
    if (this.queue.length === 0) this.setPrompt(PROMPT);
  }

  /** Drops every question of a kind (the session they were about is gone). */
  drop(kind: Question["kind"]): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.kind === kind) this.queue.splice(i, 1);
    if (this.queue.length === 0) this.setPrompt(PROMPT);
  }
}

/** "yes"/"y" -> true, "no"/"n" -> false, anything else -> null. */
export function yesNo(text: string): boolean | null {
  const a = text.trim().toLowerCase();
  if (a === "yes" || a === "y") return true;
  if (a === "no" || a === "n") return false;
  return null;
}

/** The verification question: the eight words (or, `full`, the whole fingerprint in groups) to compare out of band. */
export function verifyQuestionLines(words: string[], hex: string | null, full: boolean, p: Palette): string[] {
  const w = words.map(sanitizeInline);
  if (full && hex) {
    return [
      "Compare the whole fingerprint with your peer over another channel (in person, by voice):",
      "",
      ...groupHex(sanitizeInline(hex)).map((l) => "    " + p.bold(l)),
      "",
      p.dim("(the eight words: " + w.join(" ") + ")"),
      "",
      p.bold("Does every group match exactly? (yes/no)"),
    ];
  }
  return [
    "Compare these eight words with your peer over another channel (in person, by voice):",
    "",
    "    " + p.bold(w.slice(0, 4).join(" ")),
    "    " + p.bold(w.slice(4).join(" ")),
    "",
    p.dim("The words carry about 72 bits of the fingerprint; /verify full shows all 256."),
    p.bold("Do they match exactly? (yes/no)"),
  ];
}
