// One declaration per endpoint: method, path, who may call it, zod schemas for
// params/query/body (and, optionally, for the `data` it answers), its rate
// limit, and the handler. A domain's routes are a factory over that domain's
// services (handlers close over them), so this file knows no domain and no
// composition root. `mountRoutes` hands each declaration to
// @hono/zod-openapi, which validates the request and writes the same
// declaration into /openapi.json, so the docs cannot drift from what the
// server enforces. Around it we keep our own order and envelope:
// auth → rate limit → body read → validation (PARAM_ERROR naming the field) →
// handler → `{code: 0, msg, data}`.
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Guards } from "../hot/guards/port.ts";
import { bearer, createTokenVerifier, type Principal, type Role } from "./auth.ts";
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
  user: U;
  params: P;
  query: Q;
  body: B;
}

export interface RouteSpec<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined, R extends Schema | undefined, A extends Auth> {
  method: Method;
  /** Hono form: `/api/rooms/:roomId`. */
  path: string;
  summary: string;
  tag: string;
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /** The `data` of a success envelope; documents the answer and types the handler's return. */
  response?: R;
  rateLimit?: RateLimitSpec;
  /** Success status; 200 by default. */
  status?: 200 | 201 | 202;
  /** The route answers text/plain instead of the envelope (its handler returns the Response). */
  plainText?: true;
  /** Returns `data` for the envelope, or a Response to send as is. */
  handler: (
    input: RouteInput<Out<P>, Out<Q>, Out<B>, A extends "public" ? Principal | null : Principal>,
  ) => Promise<(R extends z.ZodType ? z.input<R> : unknown) | Response>;
}

/** "public": anyone; "user": any valid token; a role list: one of those roles. */
export type Auth = "public" | "user" | readonly Role[];

// Erased form kept in the registry.
export type AnyRoute = RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined, Schema | undefined, Auth>;

export function defineRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
  A extends Auth = Auth,
>(spec: RouteSpec<P, Q, B, R, A>): AnyRoute {
  return spec as unknown as AnyRoute;
}

function ok(c: AppContext, data: unknown, status: 200 | 201 | 202 = 200): Response {
  return c.json({ code: 0, msg: "ok", data: data ?? null }, status);
}

/** The {code, msg, data} envelope around a route's `data`. */
function envelope(data: Schema = z.unknown()) {
  // `data` is always present (null when there is nothing to say).
  return z.object({ code: z.number().int(), msg: z.string(), data: data.nonoptional() });
}

// The validator's target names, as our messages name them.
const WHERE: Record<string, string> = { param: "params", query: "query", json: "body" };

function describeIssues(where: string, error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : where;
  return `${field}: ${issue.message}`;
}

/** What mounting needs from the process: the secret tokens are signed with and the rate limiter. */
export interface RouteHost {
  jwtSecret: string;
  rateLimits: Pick<Guards, "hitRateLimit">;
}

type Verify = ReturnType<typeof createTokenVerifier>;

async function authenticate(c: AppContext, verify: Verify, auth: Auth): Promise<Principal | null> {
  const token = bearer(c.req.header("authorization"));
  const principal = await verify(token);
  if (auth === "public") return principal;
  if (!principal) throw new AppError("TOKEN_ERROR", token ? "token is invalid or expired" : "missing bearer token");
  if (auth !== "user" && !auth.includes(principal.role)) {
    throw new AppError("FORBIDDEN", `requires role ${auth.join(" or ")}`);
  }
  return principal;
}

/**
 * A JSON body is read here, before the validator: an empty body counts as
 * `{}` (so the schema names the missing field) and unparsable text is a
 * PARAM_ERROR instead of the validator's bare 400.
 */
async function readJsonBody(c: AppContext): Promise<void> {
  if (!/^application\/([\w.-]+\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("PARAM_ERROR", "body: must be JSON (Content-Type: application/json)");
  }
  const text = await c.req.text();
  if (text.trim() === "") {
    // Hono keeps what it read as promises in bodyCache; the validator's
    // c.req.json() then parses this instead of the empty text.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve("{}");
    return;
  }
  try {
    JSON.parse(text);
  } catch {
    throw new AppError("PARAM_ERROR", "body: must be valid JSON");
  }
}

function routeName(r: AnyRoute): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}

/** `/a/:id` → `/a/{id}`, the OpenAPI spelling the library routes on. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, "{$1}");
}

/** The path parameters a route declares, or plain strings when it reads them itself. */
function paramsSchema(r: AnyRoute): z.ZodObject | undefined {
  if (r.params) return r.params as z.ZodObject;
  const names = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  return names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined;
}

function toOpenApiRoute(r: AnyRoute, guard: MiddlewareHandler<AppEnv>): RouteConfig {
  const status = r.status ?? 200;
  return createRoute({
    method: r.method,
    path: openApiPath(r.path),
    summary: r.summary,
    tags: [r.tag],
    ...(r.auth === "public"
      ? {}
      : { security: [{ bearer: [] }], description: `Requires ${r.auth === "user" ? "any signed-in user" : `role ${r.auth.join(" or ")}`}.` }),
    ...(r.rateLimit ? { "x-rate-limit": r.rateLimit } : {}),
    middleware: [guard],
    request: {
      params: paramsSchema(r),
      query: r.query as z.ZodObject | undefined,
      ...(r.body ? { body: { required: true, content: { "application/json": { schema: r.body } } } } : {}),
    },
    responses: {
      [status]: r.plainText
        ? { description: "Success: plain text", content: { "text/plain": { schema: z.string() } } }
        : { description: "Success: `{code: 0, msg, data}`", content: { "application/json": { schema: envelope(r.response) } } },
      default: { description: "Failure: `{code, msg, data}` with a code from x-error-codes", content: { "application/json": { schema: envelope() } } },
    },
  });
}

export function mountRoutes(app: OpenAPIHono<AppEnv>, host: RouteHost, routes: AnyRoute[]): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  const verify = createTokenVerifier(host.jwtSecret);
  for (const r of routes) {
    const name = routeName(r);
    const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
      const user = await authenticate(c, verify, r.auth);
      c.set("principal", user);
      if (r.rateLimit) {
        const who = user ? `u${user.userId}` : `ip${c.req.header("x-forwarded-for") ?? "local"}`;
        const hit = await host.rateLimits.hitRateLimit(`rl:${name}:${who}`, r.rateLimit.limit, r.rateLimit.windowSec);
        if (!hit.allowed) {
          c.header("Retry-After", String(hit.retryAfterSec));
          throw new AppError("RATE_LIMITED", r.rateLimit.message);
        }
      }
      if (r.body) await readJsonBody(c);
      await next();
    };
    app.openapi(
      toOpenApiRoute(r, guard),
      async (c: AppContext) => {
        const valid = (target: string) => (c.req.valid as (t: string) => unknown).call(c.req, target);
        const result = await r.handler({
          c,
          user: c.get("principal") as Principal,
          params: r.params ? valid("param") : undefined,
          query: r.query ? valid("query") : undefined,
          body: r.body ? valid("json") : undefined,
        });
        if (result instanceof Response) return result;
        return ok(c, result, r.status ?? 200);
      },
      (result) => {
        if (!result.success) throw new AppError("PARAM_ERROR", describeIssues(WHERE[result.target] ?? result.target, result.error));
      },
    );
  }
}
