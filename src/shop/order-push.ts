// Order changes pushed to the room's anchor (only to that user's sockets: who
// bought what is not for the whole room): {"type":"order","data":{orderId,
// roomId, userId, status, cancelReason, totalPrice, items}} when an order is
// prepared (PREPARE_PAY), paid (HAS_PAY) or cancelled (CANCEL, by the buyer or
// the timeout sweeper). Sent after the change committed, at most once per
// change by the process that made it; a lost push loses only the console's
// live line, never an order (the orders stay in the database).
import type { Logger } from "../lib/logger.ts";
import type { Push } from "../ws/push.ts";
import type { ShopOrder } from "./orders-repo.ts";
import type { OrderStatusName } from "./types.ts";

type Pushed = Pick<ShopOrder, "orderId" | "roomId" | "anchorId" | "userId" | "totalPrice" | "items"> & { cancelReason?: ShopOrder["cancelReason"] };

export function createOrderPush(push: Push, log: Logger) {
  return (o: Pushed, status: OrderStatusName): void => {
    const data = { orderId: o.orderId, roomId: o.roomId, userId: o.userId, status, cancelReason: o.cancelReason ?? null, totalPrice: o.totalPrice, items: o.items };
    push.toUser(o.anchorId, { type: "order", data }).catch((err) => log.warn("order push failed", { err, orderId: o.orderId, status }));
  };
}
