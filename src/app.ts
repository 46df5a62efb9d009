// The HTTP application: request id → access log and metrics → body limit →
// routes (src/lib/route.ts), with one onError that turns every failure into the {code, msg,
// data} envelope (and never leaks a stack trace).
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { routePath } from "hono/route";
import { bodyLimit } from "hono/body-limit";
import type { Deps } from "./deps.ts";
import { AppError, ErrorCodes, isAppError, outageError } from "./lib/errors.ts";
import { newId } from "./lib/ids.ts";
import { MemoRouter, mountRoutes, type AppEnv } from "./lib/route.ts";
import { mountApiDocs } from "./ops/openapi.ts";
import { opsRoutes } from "./ops/routes.ts";
import { mountWebPages } from "./web/mount.ts";

/** The matched route's pattern, for logs and metrics (`unmatched` when only middleware matched). */
function routeOf(c: Context<AppEnv>): string {
  const path = routePath(c, -1);
  return path.endsWith("*") ? "unmatched" : `${c.req.method} ${path}`;
}

export const MAX_BODY_BYTES = 64 * 1024;
/** A Content-Length value that is a plain decimal count (the only kind the fast path trusts). */
const DIGITS = /^\d+$/;

export function createApp(deps: Deps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ router: new MemoRouter() });
  const { log, metrics } = deps;
  // The access log line is built only when it is written.
  const accessLog = log.enabled("info");

  app.use("*", async (c, next) => {
    const reqId = c.req.header("x-request-id")?.slice(0, 64) || newId();
    c.set("reqId", reqId);
    c.set("principal", null);
    // Set before the response exists, it is written into it as it is made
    // (set after, Hono copies the finished response to add it) …
    c.header("x-request-id", reqId);
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    // … except into a Response a handler built itself (docs assets, plain text).
    if (c.res.headers.get("x-request-id") !== reqId) c.header("x-request-id", reqId);
    const route = routeOf(c);
    const method = c.req.method;
    const status = c.res.status;
    metrics.httpRequests.inc({ route, method, status });
    metrics.httpDuration.observe({ route, method }, ms / 1000);
    if (!accessLog) return;
    log.info("request", {
      reqId,
      method,
      path: c.req.path,
      route,
      status,
      ms: Math.round(ms * 100) / 100,
      userId: c.get("principal")?.userId,
    });
  });

  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `body: larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use("/api/*", (c, next) => {
    // A declared length within the limit passes without touching the body
    // (what bodyLimit decides too, after opening the body's stream).
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    if (length !== null && DIGITS.test(length) && Number(length) <= MAX_BODY_BYTES && !headers.has("transfer-encoding")) return next();
    return limitBody(c, next);
  });

  app.onError((err, c) => {
    if (isAppError(err)) {
      return c.json({ code: err.code, msg: err.message, data: err.data ?? null }, err.status);
    }
    // A store that is down: 503, never a 500 (the adapters fail fast, so this is quick).
    const outage = outageError(err);
    if (outage) {
      log.warn("store unavailable", { reqId: c.get("reqId"), route: routeOf(c), err: (err as Error).message });
      return c.json({ code: outage.code, msg: outage.message, data: null }, outage.status);
    }
    log.error("unhandled error", { reqId: c.get("reqId"), route: routeOf(c), err });
    const [code, status] = ErrorCodes.SYSTEM_ERROR;
    return c.json({ code, msg: "internal error", data: null }, status);
  });

  app.notFound((c) => {
    const [code, status] = ErrorCodes.NOT_FOUND;
    return c.json({ code, msg: `no route for ${c.req.method} ${c.req.path}`, data: null }, status);
  });

  // HTML pages outside /api (the sandbox payment provider's pay page).
  for (const domain of deps.domains) domain.pages?.(app);
  mountWebPages(app, { devLogin: deps.config.devLogin });
  // The operations routes, then each domain's (deps.ts lists the domains).
  const routes = [...opsRoutes(deps), ...deps.domains.flatMap((d) => d.routes)];
  mountRoutes(app, { jwtSecret: deps.config.jwtSecret, rateLimits: deps.hot.guards }, routes);
  mountApiDocs(app);
  return app;
}
