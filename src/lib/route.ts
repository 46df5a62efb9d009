// One declaration per endpoint: method, path, who may call it, zod schemas for
// params/query/body, its rate limit, and the handler. `mountRoutes` wires the
// declaration into Hono (auth → rate limit → validation → handler → envelope)
// and the same declarations produce /openapi.json, so docs cannot drift from
// what the server enforces.
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Deps } from "../deps.ts";
import { bearer, verifyToken, type Principal, type Role } from "./auth.ts";
import { AppError } from "./errors.ts";

export type AppEnv = { Variables: { reqId: string; principal: Principal | null } };
export type AppContext = Context<AppEnv>;

type Method = "get" | "post" | "put" | "patch" | "delete";
type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RateLimitSpec {
  limit: number;
  windowSec: number;
  message: string;
}

export interface RouteInput<P, Q, B, U> {
  c: AppContext;
  deps: Deps;
  user: U;
  params: P;
  query: Q;
  body: B;
}

export interface RouteSpec<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, A extends Auth> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  rateLimit?: RateLimitSpec;
  /** Success status; 200 by default. */
  status?: 200 | 201 | 202;
  /** Returns `data` for the envelope, or a Response to send as is. */
  handler: (input: RouteInput<Out<P>, Out<Q>, Out<B>, A extends "public" ? Principal | null : Principal>) => Promise<unknown>;
}

/** "public": anyone; "user": any valid token; a role list: one of those roles. */
export type Auth = "public" | "user" | readonly Role[];

// Erased form kept in the registry.
export type AnyRoute = RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined, Auth>;

export function defineRoute<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, A extends Auth = Auth>(
  spec: RouteSpec<P, Q, B, A>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

export function ok(c: AppContext, data: unknown, status: 200 | 201 | 202 = 200): Response {
  return c.json({ code: 0, msg: "ok", data: data ?? null }, status);
}

function describeIssues(where: string, error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : where;
  return `${field}: ${issue.message}`;
}

export function parseOrThrow<S extends Schema>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError("PARAM_ERROR", describeIssues(where, r.error));
  return r.data;
}

async function readJson(c: AppContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("PARAM_ERROR", "body: must be valid JSON");
  }
}

async function authenticate(c: AppContext, deps: Deps, auth: Auth): Promise<Principal | null> {
  const token = bearer(c.req.header("authorization"));
  const principal = await verifyToken(deps.config.jwtSecret, token);
  if (auth === "public") return principal;
  if (!principal) throw new AppError("TOKEN_ERROR", token ? "token is invalid or expired" : "missing bearer token");
  if (auth !== "user" && !auth.includes(principal.role)) {
    throw new AppError("FORBIDDEN", `requires role ${auth.join(" or ")}`);
  }
  return principal;
}

export function routeName(r: AnyRoute): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}

export function mountRoutes(app: Hono<AppEnv>, deps: Deps, routes: AnyRoute[]): void {
  for (const r of routes) {
    const name = routeName(r);
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      const user = await authenticate(c, deps, r.auth);
      c.set("principal", user);
      if (r.rateLimit) {
        const who = user ? `u${user.userId}` : `ip${c.req.header("x-forwarded-for") ?? "local"}`;
        const hit = await deps.hot.guards.hitRateLimit(`rl:${name}:${who}`, r.rateLimit.limit, r.rateLimit.windowSec);
        if (!hit.allowed) {
          c.header("Retry-After", String(hit.retryAfterSec));
          throw new AppError("RATE_LIMITED", r.rateLimit.message);
        }
      }
      const params = r.params ? parseOrThrow(r.params, c.req.param(), "params") : undefined;
      const query = r.query ? parseOrThrow(r.query, c.req.query(), "query") : undefined;
      const body = r.body ? parseOrThrow(r.body, await readJson(c), "body") : undefined;
      const result = await r.handler({ c, deps, user: user as Principal, params, query, body });
      if (result instanceof Response) return result;
      return ok(c, result, r.status ?? 200);
    });
  }
}

// ---- shared field schemas ----

/** A positive integer id, from a path/query string or a JSON number. */
export const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const requestIdField = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : -");
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const cursorQuery = z.object({
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
