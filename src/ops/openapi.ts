// /openapi.json from the route declarations (src/lib/route.ts) and zod's own
// JSON Schema output; /docs is Swagger UI served from the swagger-ui-dist
// package (no CDN).
import { dirname, join } from "node:path";
import { z } from "zod";
import { ErrorCodes } from "../lib/errors.ts";
import type { AnyRoute } from "../lib/route.ts";

function jsonSchema(s: z.ZodType, io: "input" | "output" = "input"): Record<string, unknown> {
  return z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
}

export function buildOpenApi(routes: AnyRoute[], extra: { method: string; path: string; summary: string; tag: string }[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (method: string, path: string, op: Record<string, unknown>) => {
    const p = path.replace(/:([A-Za-z]+)/g, "{$1}");
    paths[p] ??= {};
    paths[p]![method] = op;
  };
  for (const r of routes) {
    const parameters: unknown[] = pathParams(r.path).map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
    if (r.query) {
      const q = jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
      }
    }
    const status = String(r.status ?? 200);
    add(r.method, r.path, {
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth === "public" ? {} : { security: [{ bearer: [] }], description: `Requires ${r.auth === "user" ? "any signed-in user" : `role ${r.auth.join(" or ")}`}.` }),
      ...(r.rateLimit ? { "x-rate-limit": r.rateLimit } : {}),
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        [status]: { description: "Success: `{code: 0, msg, data}`", content: { "application/json": { schema: { $ref: "#/components/schemas/Envelope" } } } },
        default: { description: "Failure: `{code, msg, data}` with a code from x-error-codes", content: { "application/json": { schema: { $ref: "#/components/schemas/Envelope" } } } },
      },
    });
  }
  for (const e of extra) add(e.method, e.path, { summary: e.summary, tags: [e.tag], responses: { 200: { description: "OK" } } });
  return {
    openapi: "3.1.0",
    info: { title: "Ovation", version: "0.1.0", description: "The money engine of a live-streaming app: gifts, coins, recharge, live commerce." },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: {
        Envelope: {
          type: "object",
          required: ["code", "msg", "data"],
          properties: { code: { type: "integer" }, msg: { type: "string" }, data: {} },
        },
      },
    },
    "x-error-codes": Object.fromEntries(Object.entries(ErrorCodes).map(([name, [code, status]]) => [name, { code, status }])),
  };
}

const SWAGGER_DIR = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ovation API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui" });</script>
</body></html>`;

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

export function docsAsset(name: string): Response | null {
  const type = ASSETS[name];
  if (!type) return null;
  return new Response(Bun.file(join(SWAGGER_DIR, name)), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}
