// Where a send stands, and gift history. A send's final state lives in the
// database (a gift record, or a failure row); until then its admission in the
// wallet says it is accepted.
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { giftBizId, type SendStatus } from "./send.ts";

export function createGiftHistory(deps: { store: Store; wallet: WalletService }) {
  const db = deps.store.db;
  return {
    async sendStatus(senderId: number, requestId: string): Promise<{ requestId: string; status: SendStatus; reason?: string }> {
      const bizId = giftBizId(senderId, requestId);
      // The admission first: the consumer commits the database row before it
      // settles or refunds the admission, so a settled/refunded admission read
      // here guarantees the row below is visible.
      const admission = await deps.wallet.admission(senderId, requestId);
      const record = await db.selectFrom("gift_record").select("id").where("biz_id", "=", bizId).executeTakeFirst();
      if (record) return { requestId, status: "success" };
      const failure = await db.selectFrom("gift_send_failure").select("reason").where("biz_id", "=", bizId).executeTakeFirst();
      if (failure) return { requestId, status: "failed", reason: failure.reason };
      if (admission?.state === "pending") return { requestId, status: "accepted" };
      // Refunded without a failure row: the send never reached the event log.
      if (admission?.state === "refunded") return { requestId, status: "failed", reason: "not_delivered" };
      throw new AppError("NOT_FOUND", `no gift send ${requestId} of yours`);
    },

    async records(userId: number, role: "sent" | "received", cursor: number | undefined, limit: number) {
      let q = db.selectFrom("gift_record").selectAll().where(role === "sent" ? "sender_id" : "receiver_id", "=", userId);
      if (cursor) q = q.where("id", "<", cursor);
      const rows = await q.orderBy("id", "desc").limit(limit + 1).execute();
      const items = rows.slice(0, limit).map((r) => ({
        id: Number(r.id),
        requestId: r.request_id,
        senderId: Number(r.sender_id),
        receiverId: Number(r.receiver_id),
        roomId: Number(r.room_id),
        giftId: Number(r.gift_id),
        price: Number(r.price),
        sendTime: Number(r.send_time),
      }));
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },
  };
}

export type GiftHistory = ReturnType<typeof createGiftHistory>;
