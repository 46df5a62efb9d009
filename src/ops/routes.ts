// Operations: liveness, readiness, Prometheus metrics and the dev token.
// /openapi.json and /docs are mounted by src/ops/openapi.ts.
import { z } from "zod";
import type { Config } from "../config.ts";
import type { EventLog } from "../eventlog/port.ts";
import type { Hot } from "../hot/index.ts";
import { signToken, ROLES } from "../lib/auth.ts";
import { AppError, ErrorCodes } from "../lib/errors.ts";
import { renderMetrics, type Metrics } from "../lib/metrics.ts";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { idField } from "../lib/schemas.ts";
import type { Store } from "../store/store.ts";

/** How long /readyz waits for one dependency before calling it down. */
const READY_CHECK_TIMEOUT_MS = 2000;

async function check(ping: () => Promise<void>): Promise<string> {
  try {
    await Promise.race([ping(), Bun.sleep(READY_CHECK_TIMEOUT_MS).then(() => Promise.reject(new Error("timeout")))]);
    return "ok";
  } catch (e) {
    return (e as Error).message || "down";
  }
}

/** What the operations routes read: the connections /readyz pings, the metrics, and the dev-login settings. */
export interface OpsServices {
  config: Pick<Config, "devLogin" | "jwtSecret">;
  store: Pick<Store, "ping">;
  hot: Pick<Hot, "ping">;
  events: Pick<EventLog, "ping">;
  metrics: Metrics;
  /** This process's consumers by `topic/group`: joining their group, or running. */
  consumerStates(): Record<string, "joining" | "running">;
}

export const opsRoutes = (s: OpsServices): AnyRoute[] => [
  defineRoute({
    method: "get",
    path: "/healthz",
    summary: "Process up",
    tag: "ops",
    auth: "public",
    response: z.object({ status: z.literal("up"), pid: z.number().int() }),
    handler: async () => ({ status: "up" as const, pid: process.pid }),
  }),
  defineRoute({
    method: "get",
    path: "/readyz",
    summary: "Store, hot store and event log reachable, and every consumer of this process running (joining | running); 503 UNAVAILABLE naming what is not",
    tag: "ops",
    auth: "public",
    handler: async ({ c }) => {
      const [store, hot, log] = await Promise.all([check(() => s.store.ping()), check(() => s.hot.ping()), check(() => s.events.ping())]);
      const results = {
        store,
        hot,
        log,
        // Consumers join their groups in the background after the port opened.
        consumers: s.consumerStates(),
      };
      const storesOk = [store, hot, log].every((v) => v === "ok");
      if (storesOk && Object.values(results.consumers).every((v) => v === "running")) return results;
      const [code, status] = ErrorCodes.UNAVAILABLE;
      return c.json({ code, msg: "not ready", data: results }, status);
    },
  }),
  defineRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (text exposition format)",
    tag: "ops",
    auth: "public",
    plainText: true,
    handler: async ({ c }) => c.text(renderMetrics(s.metrics), 200, { "content-type": "text/plain; version=0.0.4" }),
  }),
  defineRoute({
    method: "post",
    path: "/api/dev/token",
    summary: "Mint a token (only when OVATION_DEV_LOGIN=1)",
    tag: "dev",
    auth: "public",
    body: z.object({ userId: idField, role: z.enum(ROLES) }),
    response: z.object({ token: z.string() }),
    handler: async ({ body }) => {
      if (!s.config.devLogin) throw new AppError("NOT_FOUND", "dev login is disabled (OVATION_DEV_LOGIN=0)");
      return { token: await signToken(s.config.jwtSecret, { userId: body.userId, role: body.role }) };
    },
  }),
];
