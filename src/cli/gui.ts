import { UsageError } from "./args.js";

export async function runGui(_argv: string[]): Promise<number> {
  throw new UsageError("'pqchat gui' is not available in this build yet");
}
