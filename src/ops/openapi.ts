// /openapi.json is the library's document of the route declarations
// (src/lib/route.ts) plus the few endpoints that are not declarations: the
// WebSocket upgrade (src/server.ts) and the sandbox provider's HTML pages
// (src/bank/sandbox.ts). /docs is Swagger UI served from the swagger-ui-dist
// package (no CDN).
import { dirname, join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { ErrorCodes } from "../lib/errors.ts";
import type { AppEnv } from "../lib/route.ts";

const UNDECLARED = [
  { method: "get", path: "/ws", summary: "WebSocket: ?token=<JWT>&roomId=<id>", tag: "ws" },
  { method: "get", path: "/sandbox/pay/{orderId}", summary: "Sandbox payment page (HTML) with a Pay button", tag: "bank" },
  { method: "post", path: "/sandbox/pay/{orderId}/confirm", summary: "Sandbox Pay button: queue a signed notification (HTML)", tag: "bank" },
] as const;

/** The document's own fields around the registered paths. */
function openApiDocument(app: OpenAPIHono<AppEnv>) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Ovation", version: "0.1.0", description: "The money engine of a live-streaming app: gifts, coins, recharge and the live-commerce catalogue." },
    "x-error-codes": Object.fromEntries(Object.entries(ErrorCodes).map(([name, [code, status]]) => [name, { code, status }])),
  });
}

const SWAGGER_DIR = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

const DOCS_HTML = `<!doctype html>
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

function docsAsset(name: string): Response | null {
  const type = ASSETS[name];
  if (!type) return null;
  return new Response(Bun.file(join(SWAGGER_DIR, name)), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}

/** Mounts /openapi.json and /docs; call after every route is declared. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  for (const e of UNDECLARED) {
    app.openAPIRegistry.registerPath({ method: e.method, path: e.path, summary: e.summary, tags: [e.tag], responses: { 200: { description: "OK" } } });
  }
  // Built once, on first request, from everything registered by then.
  let document: ReturnType<typeof openApiDocument> | null = null;
  app.get("/openapi.json", (c) => c.json((document ??= openApiDocument(app))));
  app.get("/docs", (c) => c.html(DOCS_HTML));
  app.get("/docs/assets/:name", (c) => docsAsset(c.req.param("name")) ?? c.notFound());
}
