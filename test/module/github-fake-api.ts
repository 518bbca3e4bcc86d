/**
 * A fake GitHub REST API on loopback: records every request (method, path with query, headers,
 * raw body) and answers from a route table. Unrouted GETs get 404; unrouted writes get 200 `{}`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";

/** One request as the server saw it. */
export interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A canned answer: a JSON body (status 200), or an explicit status and body. */
export type Answer = unknown | { status: number; json?: unknown };
type Route = Answer | ((r: Recorded) => Answer);

export class FakeGitHub {
  readonly requests: Recorded[] = [];
  private routes = new Map<string, Route>();
  private server?: http.Server;
  url = "";

  /** Answers `METHOD /path?query` (exact match) with `answer`. */
  on(key: string, answer: Route): this {
    this.routes.set(key, answer);
    return this;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const r: Recorded = { method: req.method!, path: req.url!, headers: req.headers, body };
        this.requests.push(r);
        const key = `${r.method} ${r.path}`;
        let route = this.routes.get(key);
        if (typeof route === "function") route = (route as (r: Recorded) => Answer)(r);
        let status = 200;
        let json: unknown = {};
        if (route === undefined) {
          if (r.method === "GET") [status, json] = [404, { message: "Not Found" }];
        } else if (isStatus(route)) [status, json] = [route.status, route.json];
        else json = route;
        res.statusCode = status;
        res.setHeader("content-type", "application/json");
        res.end(status === 204 || json === undefined ? "" : JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The requests as `METHOD path` plus parsed JSON body, for exact comparison. */
  calls(): { call: string; body?: unknown }[] {
    return this.requests.map((r) => (r.body ? { call: `${r.method} ${r.path}`, body: JSON.parse(r.body) } : { call: `${r.method} ${r.path}` }));
  }

  /** The writes only (everything but GET). */
  writes(): { call: string; body?: unknown }[] {
    return this.calls().filter((c) => !c.call.startsWith("GET "));
  }

  /**
   * Asserts the token was sent as `Authorization: Bearer <token>` on every request and appears
   * nowhere else: not in any other header, the path or the body (also checks `extra` texts).
   */
  expectTokenOnlyInAuthorization(token: string, ...extra: unknown[]): void {
    expect(this.requests.length).toBeGreaterThan(0);
    for (const r of this.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${token}`);
      const rest = { ...r.headers, authorization: undefined };
      expect(JSON.stringify(rest)).not.toContain(token);
      expect(r.path).not.toContain(token);
      expect(r.body).not.toContain(token);
    }
    for (const e of extra) expect(e instanceof Error ? `${e.message}\n${e.stack}` : JSON.stringify(e) ?? "").not.toContain(token);
  }
}

function isStatus(a: Answer): a is { status: number; json?: unknown } {
  return typeof a === "object" && a !== null && "status" in a && typeof (a as any).status === "number" && Object.keys(a).every((k) => k === "status" || k === "json");
}
