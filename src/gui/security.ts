// The bridge's request checks. The page is served on 127.0.0.1 only, but any
// web page the user visits can make the browser send requests to loopback
// ports, and a DNS-rebinding site can even make them same-origin with it.
// So every request must carry the random 128-bit token (the first path
// segment: /<token>/...), name our host exactly (Host header) and, for the
// WebSocket and uploads, come from our own origin (Origin header).
import { randomBytes, timingSafeEqual } from "node:crypto";

/** 128 random bits, 32 lowercase hex characters. */
export function newToken(): string {
  return randomBytes(16).toString("hex");
}

/** Constant-time comparison (the length of the token is not secret). */
export function tokenEquals(candidate: string, token: string): boolean {
  const a = Buffer.from(candidate, "utf8");
  const b = Buffer.from(token, "utf8");
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Splits a request target "/<token>/rest?query" after checking the token.
 * Returns the rest of the path (without the token segment, starting with "/",
 * "" for "/<token>" itself) or null. Absolute-form targets ("http://...") and
 * anything not starting with "/" are refused.
 */
export function stripToken(target: string | undefined, token: string): { rest: string; query: string } | null {
  if (!target || target[0] !== "/") return null;
  const q = target.indexOf("?");
  const pathPart = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q + 1);
  const slash = pathPart.indexOf("/", 1);
  const seg = slash < 0 ? pathPart.slice(1) : pathPart.slice(1, slash);
  if (!tokenEquals(seg, token)) return null;
  return { rest: slash < 0 ? "" : pathPart.slice(slash), query };
}

/** The Host header must name us exactly: 127.0.0.1:PORT or localhost:PORT (DNS rebinding). */
export function allowedHost(host: string | undefined, port: number): string | null {
  if (typeof host !== "string") return null;
  const h = host.toLowerCase();
  if (h === `127.0.0.1:${port}` || h === `localhost:${port}`) return h;
  return null;
}

/** The Origin must be exactly the page's own origin (for the Host the request named). */
export function allowedOrigin(origin: string | undefined, host: string): boolean {
  return typeof origin === "string" && origin.toLowerCase() === `http://${host}`;
}

/** Headers for every response, error responses included. */
export function securityHeaders(host: string | null): Record<string, string> {
  const connect = host ? `'self' ws://${host}` : "'self'";
  return {
    "Content-Security-Policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src ${connect}`,
      "font-src 'none'",
      "media-src 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    // The microphone for voice calls, for this origin only.
    "Permissions-Policy": "camera=(), microphone=(self), geolocation=(), payment=(), usb=()",
    "Cache-Control": "no-store",
  };
}
