// The pages' client code, bundled from src/web/client with Bun.build in
// memory the first time a page asks for it, then kept for the life of the
// process: no build step before `npm start`, no dev server, no CDN.
import { join } from "node:path";

export interface Asset {
  body: string;
  contentType: string;
  /** A content hash, for ETag and cache-busting query strings. */
  etag: string;
}

const CLIENT_ENTRY = join(import.meta.dir, "client", "main.ts");
const STYLESHEET = join(import.meta.dir, "styles.css");

function asset(body: string, contentType: string): Asset {
  return { body, contentType, etag: Bun.hash(body).toString(36) };
}

async function bundleScript(): Promise<Asset> {
  const result = await Bun.build({ entrypoints: [CLIENT_ENTRY], target: "browser", minify: true });
  if (!result.success || !result.outputs[0]) {
    throw new Error(`bundling the web client failed: ${result.logs.map((l) => l.message).join("; ")}`);
  }
  return asset(await result.outputs[0].text(), "text/javascript; charset=utf-8");
}

export interface WebAssets {
  script(): Promise<Asset>;
  stylesheet(): Promise<Asset>;
}

/** Lazily built, cached assets; a failed build is retried on the next request rather than cached. */
export function createWebAssets(): WebAssets {
  const cached = <T>(make: () => Promise<T>) => {
    let p: Promise<T> | null = null;
    return () => (p ??= make().catch((err) => {
      p = null;
      throw err;
    }));
  };
  return {
    script: cached(bundleScript),
    stylesheet: cached(async () => asset(await Bun.file(STYLESHEET).text(), "text/css; charset=utf-8")),
  };
}
