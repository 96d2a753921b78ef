import { UsageError } from "./args.js";

export async function runSelftest(_argv: string[]): Promise<number> {
  throw new UsageError("'pqchat selftest' is not available in this build yet");
}
