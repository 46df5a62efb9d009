import { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { cursorQuery, idField, idParam, requestIdField, text } from "../lib/schemas.ts";
import { publicGift, type GiftCatalogue } from "./catalogue.ts";
import type { GiftHistory } from "./history.ts";
import { SEND_RATE_LIMIT, SendRateLimited, type GiftSender } from "./send.ts";

const giftFields = {
  giftName: text(64, 1),
  price: z.number().int().positive().max(10_000_000),
  coverImgUrl: text(512).optional(),
  svgaUrl: text(512).optional(),
  status: z.union([z.literal(0), z.literal(1)]).optional(),
};

/** What the gift routes call. */
export interface GiftServices {
  catalogue: GiftCatalogue;
  history: GiftHistory;
  sender: GiftSender;
}

export const giftRoutes = (s: GiftServices): AnyRoute[] => [
  defineRoute({
    method: "get",
    path: "/api/gifts",
    summary: "Valid gifts by id",
    tag: "gifts",
    auth: "public",
    handler: async () => (await s.catalogue.listValid()).map(publicGift),
  }),
  defineRoute({
    method: "get",
    path: "/api/gifts/records",
    summary: "My gift history, newest first",
    tag: "gifts",
    auth: "user",
    query: cursorQuery.extend({ role: z.enum(["sent", "received"]).default("sent") }),
    handler: ({ user, query }) => s.history.records(user.userId, query.role, query.cursor, query.limit),
  }),
  defineRoute({
    method: "get",
    path: "/api/gifts/sends/:requestId",
    summary: "Where one of my sends stands",
    tag: "gifts",
    auth: "user",
    params: z.object({ requestId: requestIdField }),
    handler: ({ user, params }) => s.history.sendStatus(user.userId, params.requestId),
  }),
  defineRoute({
    method: "get",
    path: "/api/gifts/:giftId",
    summary: "One valid gift",
    tag: "gifts",
    auth: "public",
    params: z.object({ giftId: idParam }),
    handler: async ({ params }) => {
      const g = await s.catalogue.getValid(params.giftId);
      if (!g) throw new AppError("GIFT_NOT_FOUND", `gift ${params.giftId} does not exist or is not on sale`);
      return publicGift(g);
    },
  }),
  defineRoute({
    method: "post",
    path: "/api/gifts/send",
    summary: `Send a gift: debited at once, persisted and pushed asynchronously (at most ${SEND_RATE_LIMIT.limit} per ${SEND_RATE_LIMIT.windowSec} s per user, counted in the admission itself)`,
    tag: "gifts",
    auth: ["viewer", "anchor"],
    status: 202,
    body: z.object({ giftId: idField, roomId: idField, receiverId: idField, requestId: requestIdField.optional() }),
    handler: async ({ c, user, body }) => {
      try {
        return await s.sender.send(user.userId, body);
      } catch (err) {
        if (err instanceof SendRateLimited) c.header("Retry-After", String(err.retryAfterSec));
        throw err;
      }
    },
  }),
  defineRoute({
    method: "post",
    path: "/api/admin/gifts",
    summary: "Create a gift",
    tag: "admin",
    auth: ["admin"],
    status: 201,
    body: z.object({ giftId: idField.optional(), ...giftFields }),
    handler: async ({ body }) => ({ ...publicGift(await s.catalogue.create(body)), status: body.status ?? 1 }),
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/gifts/:giftId",
    summary: "Change a gift (partial); every process serves the change within 1 s",
    tag: "admin",
    auth: ["admin"],
    params: z.object({ giftId: idParam }),
    body: z.object(giftFields).partial().refine((b) => Object.keys(b).length > 0, "body: name at least one field to change"),
    handler: async ({ params, body }) => {
      const g = await s.catalogue.update(params.giftId, body);
      return { ...publicGift(g), status: g.status };
    },
  }),
];
