import { z } from "zod";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { idParam, pageQuery, text } from "../lib/schemas.ts";
import type { RoomService } from "./service.ts";

const startStopLimit = { limit: 1, windowSec: 10, message: "you can start or close a room once every 10 seconds" };

/** What the room routes call. */
export interface RoomServices {
  rooms: RoomService;
}

export const roomRoutes = (s: RoomServices): AnyRoute[] => [
  defineRoute({
    method: "post",
    path: "/api/rooms",
    summary: "Start living (an anchor's one living room)",
    tag: "rooms",
    auth: ["anchor"],
    rateLimit: startStopLimit,
    status: 201,
    body: z.object({ title: text(128, 1), type: z.number().int().min(0).max(100).default(0) }),
    handler: async ({ user, body }) => {
      const room = await s.rooms.start(user.userId, body);
      return { roomId: room.roomId };
    },
  }),
  defineRoute({
    method: "post",
    path: "/api/rooms/:roomId/close",
    summary: "Stop living",
    tag: "rooms",
    auth: ["anchor", "admin"],
    rateLimit: startStopLimit,
    params: z.object({ roomId: idParam }),
    handler: async ({ user, params }) => {
      const room = await s.rooms.close(user, params.roomId);
      return { roomId: room.roomId, status: room.status };
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/rooms",
    summary: "Living rooms, newest first",
    tag: "rooms",
    auth: "public",
    query: pageQuery,
    handler: ({ query }) => s.rooms.listLiving(query.page, query.pageSize),
  }),
  defineRoute({
    method: "get",
    path: "/api/rooms/:roomId",
    summary: "One room",
    tag: "rooms",
    auth: "public",
    params: z.object({ roomId: idParam }),
    response: z.object({
      roomId: z.number().int(),
      anchorId: z.number().int(),
      title: z.string(),
      type: z.number().int(),
      status: z.enum(["living", "closed"]),
      shopEnabled: z.boolean(),
    }),
    handler: async ({ params }) => {
      const r = await s.rooms.get(params.roomId);
      return { roomId: r.roomId, anchorId: r.anchorId, title: r.title, type: r.type, status: r.status, shopEnabled: r.shopEnabled };
    },
  }),
];
