#!/usr/bin/env node
// Entry point: `pqchat <command> [options]`. Each command lives in its own module
// and is loaded only when used, so `pqchat --version` stays instant.
import { PROTOCOL_VERSION } from "../protocol/constants.js";
import { UsageError } from "./args.js";
import { packageVersion } from "../client/version.js";

const HELP = `Usage: pqchat <command> [options]

Post-quantum end-to-end encrypted chat (Secure Chat Protocol ${PROTOCOL_VERSION}).

Commands:
  server    run the relay server
  chat      start the terminal client (--json for the JSON-lines interface)
  gui       start the browser client on 127.0.0.1
  selftest  run a local handshake and message exchange and print the fingerprint

Options:
  -h, --help       show help (also: pqchat <command> --help)
  -v, --version    show the version

Run 'pqchat <command> --help' for the options of a command.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  server: async () => (await import("./server.js")).runServer,
  chat: async () => (await import("./chat.js")).runChat,
  gui: async () => (await import("./gui.js")).runGui,
  selftest: async () => (await import("./selftest.js")).runSelftest,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(HELP + "\n");
    return first === undefined ? 1 : 0;
  }
  if (first === "-v" || first === "--version") {
    process.stdout.write(`pqchat ${packageVersion()} (protocol ${PROTOCOL_VERSION})\n`);
    return 0;
  }
  const load = commands[first];
  if (!load) throw new UsageError(`unknown command "${first}" (try 'pqchat --help')`, "unknown_command");
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`pqchat: ${msg}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
