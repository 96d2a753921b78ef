import { UsageError } from "./args.js";

export async function runChat(_argv: string[]): Promise<number> {
  throw new UsageError("'pqchat chat' is not available in this build yet");
}
