// One declaration per endpoint: method, path, who may call it, zod schemas for
// params/query/body (and, optionally, for the `data` it answers), its rate
// limit, and the handler. A domain's routes are a factory over that domain's
// services (handlers close over them), so this file knows no domain and no
// composition root. `mountRoutes` writes each declaration into the
// @hono/zod-openapi registry (/openapi.json) and mounts one handler that
// enforces the same schemas, so the docs cannot drift from what the server
// enforces. The handler keeps our own order and envelope: auth → rate limit →
// body read → validation of query, params, body (PARAM_ERROR naming the
// field) → handler → `{code: 0, msg, data}`.
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
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

/** `data` as `schema` parses it, or PARAM_ERROR naming the first offending field (`where` when it is the whole value). */
function validate(schema: Schema, where: string, data: unknown): unknown {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : where;
  throw new AppError("PARAM_ERROR", `${field}: ${issue.message}`);
}

/** The query string as one value per name, or an array when a name repeats. */
function queryOf(c: AppContext): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}

/**
 * Hono's own router with a memo of what each method and path matched: the
 * same few paths (a gift send, a room's order endpoint) come again and again,
 * and the match of a path never changes once the routes are added. Bounded:
 * emptied when it holds MAX_MEMO_PATHS (ids in paths make most paths unique).
 */
export class MemoRouter<T> implements Router<T> {
  static readonly MAX_MEMO_PATHS = 1_000;
  readonly name: string;
  private readonly inner: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] });
  private readonly memo = new Map<string, Result<T>>();
  constructor() {
    this.name = `memo ${this.inner.name}`;
  }
  add(method: string, path: string, handler: T): void {
    this.memo.clear();
    this.inner.add(method, path, handler);
  }
  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let result = this.memo.get(key);
    if (!result) {
      result = this.inner.match(method, path);
      if (this.memo.size >= MemoRouter.MAX_MEMO_PATHS) this.memo.clear();
      this.memo.set(key, result);
    }
    return result;
  }
}

/** What mounting needs from the process: the secret tokens are signed with and the rate limiter. */
export interface RouteHost {
  jwtSecret: string;
  rateLimits: Pick<Guards, "hitRateLimit">;
}

type Verify = ReturnType<typeof createTokenVerifier>;

function authenticate(c: AppContext, verify: Verify, auth: Auth): Principal | null {
  const token = bearer(c.req.header("authorization"));
  const principal = verify(token);
  if (auth === "public") return principal;
  if (!principal) throw new AppError("TOKEN_ERROR", token ? "token is invalid or expired" : "missing bearer token");
  if (auth !== "user" && !auth.includes(principal.role)) {
    throw new AppError("FORBIDDEN", `requires role ${auth.join(" or ")}`);
  }
  return principal;
}

/**
 * The JSON body, parsed once: the media type (before any `;` parameters) must
 * be JSON, an empty body counts as `{}` (so the schema names the missing
 * field) and unparsable text is a PARAM_ERROR.
 */
async function readJsonBody(c: AppContext): Promise<unknown> {
  const contentType = c.req.header("content-type") ?? "";
  const semi = contentType.indexOf(";");
  if (!/^application\/([\w.-]+\+)?json$/i.test((semi < 0 ? contentType : contentType.slice(0, semi)).trim())) {
    throw new AppError("PARAM_ERROR", "body: must be JSON (Content-Type: application/json)");
  }
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
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

function toOpenApiRoute(r: AnyRoute): RouteConfig {
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
    app.openAPIRegistry.registerPath(toOpenApiRoute(r));
    const name = routeName(r);
    const status = r.status ?? 200;
    app.on(r.method, r.path, async (c) => {
      const user = authenticate(c, verify, r.auth);
      c.set("principal", user);
      if (r.rateLimit) {
        const who = user ? `u${user.userId}` : `ip${c.req.header("x-forwarded-for") ?? "local"}`;
        const hit = await host.rateLimits.hitRateLimit(`rl:${name}:${who}`, r.rateLimit.limit, r.rateLimit.windowSec);
        if (!hit.allowed) {
          c.header("Retry-After", String(hit.retryAfterSec));
          throw new AppError("RATE_LIMITED", r.rateLimit.message);
        }
      }
      const json = r.body ? await readJsonBody(c) : undefined;
      const result = await r.handler({
        c,
        user: user as Principal,
        query: r.query ? validate(r.query, "query", queryOf(c)) : undefined,
        params: r.params ? validate(r.params, "params", c.req.param()) : undefined,
        body: r.body ? validate(r.body, "body", json) : undefined,
      });
      if (result instanceof Response) return result;
      return ok(c, result, status);
    });
  }
}
