// The operator's HTTP endpoint (--metrics HOST:PORT): /metrics (Prometheus
// text format), /healthz (the process is up and serving) and /readyz (it
// accepts new clients: 503 as soon as a drain starts, so a load balancer
// stops sending clients here). Never exposed by default; defaults to loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
/** What /metrics serves: a prom-client Registry, or the merged metrics of a relay's workers. */
export interface MetricsText {
  metrics(): Promise<string>;
  readonly contentType: string;
}
import type { Logger } from "./log.js";

export interface HealthSource {
  /** True once the relay's listener came up (and stays true while draining: the process is healthy). */
  started(): boolean;
  /** True while draining or shutting down. */
  draining(): boolean;
}

export class HealthHttp {
  private readonly server: Server;

  constructor(
    private readonly registry: MetricsText,
    private readonly health: HealthSource,
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.warn(`metrics endpoint: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      });
    });
    // Scrapers keep connections alive; never let one hold shutdown.
    this.server.keepAliveTimeout = 5000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => this.log.error(`metrics endpoint: ${err.message}`));
        const a = this.server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("method not allowed\n");
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    switch (path) {
      case "/metrics": {
        const body = await this.registry.metrics();
        res.writeHead(200, { "content-type": this.registry.contentType });
        res.end(req.method === "HEAD" ? undefined : body);
        return;
      }
      case "/healthz":
        this.text(res, req, this.health.started() ? 200 : 503, this.health.started() ? "ok\n" : "not started\n");
        return;
      case "/readyz": {
        const ready = this.health.started() && !this.health.draining();
        this.text(res, req, ready ? 200 : 503, ready ? "ready\n" : this.health.draining() ? "draining\n" : "not started\n");
        return;
      }
      default:
        this.text(res, req, 404, "not found: try /metrics, /healthz or /readyz\n");
    }
  }

  private text(res: ServerResponse, req: IncomingMessage, status: number, body: string): void {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}
