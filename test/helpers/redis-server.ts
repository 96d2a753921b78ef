// A real redis-server on a free loopback port, for the relay cluster tests
// (CI installs Debian's redis-server). Nothing is persisted.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface RedisHandle {
  port: number;
  url: string;
  /** Stops the server (SIGKILL unless `graceful`); resolves when it has exited. */
  stop(graceful?: boolean): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server (on `port`, or a free one) and resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<RedisHandle> {
  const p = port ?? (await freePort());
  const proc: ChildProcess = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be started (${err.message}); install Debian's redis-server`));
    });
    proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    async stop(graceful = false) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(graceful ? "SIGTERM" : "SIGKILL");
      await exited;
    },
  };
}
