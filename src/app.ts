// The HTTP application: request id → access log and metrics → body limit →
// routes, with one onError that turns every failure into the SPEC §3
// envelope (and never leaks a stack trace).
import { Hono, type Context } from "hono";
import { routePath } from "hono/route";
import { bodyLimit } from "hono/body-limit";
import type { Deps } from "./deps.ts";
import { AppError, isAppError } from "./lib/errors.ts";
import { newId } from "./lib/ids.ts";
import { renderMetrics } from "./lib/metrics.ts";
import { mountRoutes, type AnyRoute, type AppEnv } from "./lib/route.ts";
import { buildOpenApi, docsAsset, DOCS_HTML } from "./ops/openapi.ts";
import { devRoutes } from "./ops/routes.ts";
import { giftRoutes } from "./gifts/routes.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { walletRoutes } from "./wallet/routes.ts";
import { bankRoutes } from "./bank/routes.ts";
import { shopRoutes } from "./shop/index.ts";
import { mountWebPages } from "./web/mount.ts";

/** The matched route's pattern, for logs and metrics (`unmatched` when only middleware matched). */
function routeOf(c: Context<AppEnv>): string {
  const path = routePath(c, -1);
  return path.endsWith("*") ? "unmatched" : `${c.req.method} ${path}`;
}

export const MAX_BODY_BYTES = 64 * 1024;

export const ROUTES: AnyRoute[] = [...devRoutes, ...roomRoutes, ...giftRoutes, ...walletRoutes, ...bankRoutes, ...shopRoutes];

export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { log, metrics } = deps;
  const routes = ROUTES;

  app.use("*", async (c, next) => {
    const reqId = c.req.header("x-request-id")?.slice(0, 64) || newId();
    c.set("reqId", reqId);
    c.set("principal", null);
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    c.header("x-request-id", reqId);
    const route = routeOf(c);
    metrics.httpRequests.inc({ route, method: c.req.method, status: c.res.status });
    metrics.httpDuration.observe({ route, method: c.req.method }, ms / 1000);
    log.info("request", {
      reqId,
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      ms: Math.round(ms * 100) / 100,
      userId: c.get("principal")?.userId,
    });
  });

  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `body: larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  app.onError((err, c) => {
    if (isAppError(err)) {
      return c.json({ code: err.code, msg: err.message, data: err.data ?? null }, err.status);
    }
    log.error("unhandled error", { reqId: c.get("reqId"), route: routeOf(c), err });
    return c.json({ code: 100500, msg: "internal error", data: null }, 500);
  });

  app.notFound((c) => c.json({ code: 100004, msg: `no route for ${c.req.method} ${c.req.path}`, data: null }, 404));

  // ---- operations ----
  app.get("/healthz", (c) => c.json({ code: 0, msg: "ok", data: { status: "up", pid: process.pid } }));
  app.get("/readyz", async (c) => {
    const check = async (name: string, f: () => Promise<void>) => {
      try {
        await Promise.race([f(), Bun.sleep(2000).then(() => Promise.reject(new Error("timeout")))]);
        return [name, "ok"] as const;
      } catch (e) {
        return [name, (e as Error).message || "down"] as const;
      }
    };
    const results = Object.fromEntries(
      await Promise.all([check("store", () => deps.store.ping()), check("hot", () => deps.hot.ping()), check("log", () => deps.events.ping())]),
    );
    const ready = Object.values(results).every((v) => v === "ok");
    return c.json({ code: ready ? 0 : 100503, msg: ready ? "ok" : "not ready", data: results }, ready ? 200 : 503);
  });
  app.get("/metrics", (c) => c.text(renderMetrics(metrics), 200, { "content-type": "text/plain; version=0.0.4" }));
  const openapi = buildOpenApi(routes, [
    { method: "get", path: "/ws", summary: "WebSocket: ?token=<JWT>&roomId=<id>", tag: "ws" },
    { method: "get", path: "/healthz", summary: "Process up", tag: "ops" },
    { method: "get", path: "/readyz", summary: "Store, hot store and event log reachable", tag: "ops" },
    { method: "get", path: "/metrics", summary: "Prometheus metrics", tag: "ops" },
    { method: "get", path: "/sandbox/pay/:orderId", summary: "Sandbox payment page (HTML) with a Pay button", tag: "bank" },
    { method: "post", path: "/sandbox/pay/:orderId/confirm", summary: "Sandbox Pay button: queue a signed notification (HTML)", tag: "bank" },
  ]);
  app.get("/openapi.json", (c) => c.json(openapi));
  app.get("/docs", (c) => c.html(DOCS_HTML));
  app.get("/docs/assets/:name", (c) => docsAsset(c.req.param("name")) ?? c.notFound());

  // HTML pages outside /api (the sandbox payment provider's pay page).
  deps.bank.mountPages(app);
  mountWebPages(app, { devLogin: deps.config.devLogin });
  mountRoutes(app, deps, routes);
  return app;
}
