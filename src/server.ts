// One process's server: HTTP (Hono) and WebSocket (Bun) on one Bun.serve.
// In a pool every process binds the same port with reusePort.
import type { Server } from "bun";
import { createApp } from "./app.ts";
import { blaming } from "./config.ts";
import type { Deps } from "./deps.ts";
import { createHub, type SocketData } from "./ws/hub.ts";

export interface RunningServer {
  server: Server<SocketData>;
  url: string;
  /** Stops accepting, drains in-flight requests, then closes the hub. */
  stop(): Promise<void>;
}

/**
 * Bun refuses a larger body itself (a bare 413, before any of our code runs);
 * routes have their own, smaller limit that answers in the envelope (app.ts).
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

export async function startServer(deps: Deps, opts: { port?: number; reusePort?: boolean } = {}): Promise<RunningServer> {
  const app = createApp(deps);
  const hub = createHub({ bus: deps.hot.bus, jwtSecret: deps.config.jwtSecret, log: deps.log, metrics: deps.metrics });
  const address = `${deps.config.host}:${opts.port ?? deps.config.port}`;
  const server = await blaming("HOST/PORT", address, () =>
    Bun.serve<SocketData>({
      hostname: deps.config.host,
      port: opts.port ?? deps.config.port,
      reusePort: opts.reusePort ?? false,
      maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
      // /ws is routed by Bun itself: other requests do not parse their URL for it.
      routes: { "/ws": (req: Request, srv: Server<SocketData>) => hub.upgrade(req, srv) },
      fetch(req, srv) {
        return app.fetch(req, { server: srv });
      },
      websocket: hub.websocket,
    }),
  );
  await hub.attach(server);
  // A deployment configured with port 0 learns its public URL here.
  deps.publicUrl.bindPort(server.port!);
  return {
    server,
    url: `http://${deps.config.host}:${server.port}`,
    async stop() {
      // Sockets would keep the server open forever; HTTP requests in flight
      // are let finish.
      hub.closeAll();
      await server.stop(false);
      await hub.detach();
    },
  };
}
