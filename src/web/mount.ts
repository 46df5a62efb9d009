// The web pages: `/` living rooms, `/rooms/:roomId` the viewer
// page, `/anchor` the anchor's console. Each is the same small HTML shell; the
// bundled client (src/web/client) renders it and talks to Ovation only through
// the public API and WebSocket, so the pages double as an integration example.
import type { Context, Hono } from "hono";
import type { AppEnv } from "../lib/route.ts";
import { parseDecimalId } from "../lib/schemas.ts";
import { createWebAssets, type Asset } from "./bundle.ts";
import { renderShell, type PageName } from "./shell.ts";

export const SCRIPT_PATH = "/web/app.js";
export const STYLESHEET_PATH = "/web/app.css";

function serveAsset(c: Context<AppEnv>, a: Asset): Response {
  const etag = `"${a.etag}"`;
  // no-cache: revalidate every time, so a restarted server's new bundle is picked up.
  const headers = { "content-type": a.contentType, etag, "cache-control": "no-cache" };
  if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(a.body, { headers });
}

export function mountWebPages(app: Hono<AppEnv>, options: { devLogin: boolean }): void {
  const assets = createWebAssets();

  const page = async (c: Context<AppEnv>, name: PageName, roomId?: number, status: 200 | 404 = 200) => {
    const [script, stylesheet] = await Promise.all([assets.script(), assets.stylesheet()]);
    return c.html(
      renderShell({
        page: name,
        roomId,
        devLogin: options.devLogin,
        scriptUrl: `${SCRIPT_PATH}?v=${script.etag}`,
        stylesheetUrl: `${STYLESHEET_PATH}?v=${stylesheet.etag}`,
      }),
      status,
    );
  };

  app.get(SCRIPT_PATH, async (c) => serveAsset(c, await assets.script()));
  app.get(STYLESHEET_PATH, async (c) => serveAsset(c, await assets.stylesheet()));
  app.get("/", (c) => page(c, "rooms"));
  app.get("/anchor", (c) => page(c, "anchor"));
  app.get("/rooms/:roomId", (c) => {
    // The same rule as ids in API paths: canonical decimal digits, a safe integer.
    const roomId = parseDecimalId(c.req.param("roomId"));
    if (roomId === null) return page(c, "not-found", undefined, 404);
    return page(c, "viewer", roomId);
  });
}
