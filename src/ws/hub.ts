// The WebSocket IM hub of one process. Sockets subscribe to Bun's
// native topics `room:<id>` and `user:<id>`; pushes published anywhere in the
// deployment arrive on the hot store's bus (push.ts) and are
// re-published here to the local topic, so each process delivers to the
// sockets it holds and no process needs to know where a user is connected.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { z } from "zod";
import type { Bus, Unsubscribe } from "../hot/bus/port.ts";
import { createTokenVerifier } from "../lib/auth.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { idField, parseDecimalId } from "../lib/schemas.ts";
import { PUSH_CHANNEL, type PushEnvelope, type ServerMessage } from "./push.ts";

export interface SocketData {
  userId: number;
  roomId: number | null;
}

const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("join"), roomId: idField }),
]);

const roomTopic = (id: number) => `room:${id}`;
const userTopic = (id: number) => `user:${id}`;

function deny(status: number, code: number, msg: string): Response {
  return Response.json({ code, msg, data: null }, { status });
}

export function createHub(deps: { bus: Bus; jwtSecret: string; log: Logger; metrics: Metrics }) {
  const { bus, log, metrics } = deps;
  const verifyToken = createTokenVerifier(deps.jwtSecret);
  let server: Server<SocketData> | null = null;
  let unsubscribe: Unsubscribe | null = null;
  const sockets = new Set<ServerWebSocket<SocketData>>();
  metrics.wsConnections.track({}, () => sockets.size);

  const send = (ws: ServerWebSocket<SocketData>, m: ServerMessage): void => {
    ws.send(JSON.stringify(m));
  };

  const websocket: WebSocketHandler<SocketData> = {
    open(ws) {
      sockets.add(ws);
      ws.subscribe(userTopic(ws.data.userId));
      if (ws.data.roomId !== null) ws.subscribe(roomTopic(ws.data.roomId));
      send(ws, { type: "welcome", data: { userId: ws.data.userId, roomId: ws.data.roomId } });
    },
    message(ws, raw) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
      } catch {
        return send(ws, { type: "error", data: { msg: "messages must be JSON" } });
      }
      const m = clientMessage.safeParse(parsed);
      if (!m.success) return send(ws, { type: "error", data: { msg: "unknown message; send {type:'ping'} or {type:'join', roomId}" } });
      if (m.data.type === "ping") return send(ws, { type: "pong", data: null });
      if (ws.data.roomId !== null) ws.unsubscribe(roomTopic(ws.data.roomId));
      ws.data.roomId = m.data.roomId;
      ws.subscribe(roomTopic(m.data.roomId));
      send(ws, { type: "joined", data: { roomId: m.data.roomId } });
    },
    close(ws) {
      sockets.delete(ws);
    },
  };

  return {
    websocket,

    /** Checks the token before upgrading: 401 without a valid one. */
    async upgrade(req: Request, srv: Server<SocketData>): Promise<Response | undefined> {
      const url = new URL(req.url);
      const principal = await verifyToken(url.searchParams.get("token"));
      if (!principal) return deny(401, 100002, "token is missing, invalid or expired");
      const roomRaw = url.searchParams.get("roomId");
      let roomId: number | null = null;
      if (roomRaw !== null) {
        roomId = parseDecimalId(roomRaw);
        if (roomId === null) return deny(400, 100001, "roomId: must be a positive integer up to 2^53-1 in decimal digits");
      }
      if (srv.upgrade(req, { data: { userId: principal.userId, roomId } })) return undefined;
      return deny(400, 100001, "expected a WebSocket upgrade");
    },

    /** Starts delivering pushes from every process to this process's sockets. */
    async attach(srv: Server<SocketData>): Promise<void> {
      server = srv;
      unsubscribe = await bus.subscribe(PUSH_CHANNEL, (raw) => {
        try {
          const env = JSON.parse(raw) as PushEnvelope;
          const topic = "room" in env.target ? roomTopic(env.target.room) : userTopic(env.target.user);
          for (const message of env.messages) server?.publish(topic, JSON.stringify(message));
        } catch (err) {
          log.warn("bad push envelope", { err });
        }
      });
    },

    /** Tells every socket this process is going away (1001), so clients reconnect elsewhere. */
    closeAll(): void {
      for (const ws of sockets) ws.close(1001, "server shutting down");
    },

    async detach(): Promise<void> {
      await unsubscribe?.();
      unsubscribe = null;
      server = null;
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
