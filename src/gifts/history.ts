// Where a send stands, and gift history. A send's final state lives in the
// database (a gift record, or a failure row); until then its admission in the
// wallet says it is accepted.
//
// When neither knows the send, it may still be honest-to-goodness accepted:
// the hot store lost its admissions (flushed, or replaced) while the send
// waits in the consumer backlog, and the database learns of it only when the
// consumer gets there. So "no such send" (404) is answered only when nothing
// can be waiting: this process's `send_gift` consumer runs and has no
// backlog. Otherwise the answer is 503 UNAVAILABLE ("not known yet, ask
// again") with the backlog it is waiting on. In a pool a process sees only
// the backlog of its own partitions; a process without a consumer always
// says "not known yet" for a send it cannot find.
import { isUnfinished } from "../hot/coins/port.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { giftRepo } from "./repo.ts";
import { giftBizId, type SendStatus } from "./send.ts";

export function createGiftHistory(deps: {
  store: Store;
  wallet: WalletService;
  /** Sends of `send_gift` waiting for this process's consumer; null when it has none running. */
  backlog: () => number | null;
}) {
  const db = deps.store.db;
  return {
    async sendStatus(senderId: number, requestId: string): Promise<{ requestId: string; status: SendStatus; reason?: string }> {
      const bizId = giftBizId(senderId, requestId);
      // The admission first: the consumer commits the database row before it
      // settles or refunds the admission, so a settled/refunded admission read
      // here guarantees the row below is visible.
      const admission = await deps.wallet.admission(senderId, requestId);
      if (await giftRepo.hasRecord(db, bizId)) return { requestId, status: "success" };
      const failure = await giftRepo.failureReason(db, bizId);
      if (failure !== null) return { requestId, status: "failed", reason: failure };
      if (isUnfinished(admission?.state)) return { requestId, status: "accepted" };
      // Refunded without a failure row: the send never reached the event log.
      if (admission?.state === "refunded") return { requestId, status: "failed", reason: "not_delivered" };
      const backlog = deps.backlog();
      if (backlog === 0) throw new AppError("NOT_FOUND", `no gift send ${requestId} of yours`);
      throw new AppError(
        "UNAVAILABLE",
        `send ${requestId} is not known yet: ${backlog === null ? "no consumer runs in this process" : `${backlog} sends are still waiting to be persisted`}; ask again shortly`,
        { requestId, backlog },
      );
    },

    async records(userId: number, role: "sent" | "received", cursor: number | undefined, limit: number) {
      const rows = await giftRepo.listRecords(db, userId, role, cursor, limit + 1);
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
