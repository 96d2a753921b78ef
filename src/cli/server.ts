import { UsageError } from "./args.js";

export async function runServer(_argv: string[]): Promise<number> {
  throw new UsageError("'pqchat server' is not available in this build yet");
}
