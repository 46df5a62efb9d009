// Gift persistence: one gift record per persisted send, one failure row per
// send the database refused. Both are keyed by the send's business id (unique),
// so a redelivered send finds what was decided for it. The coins themselves
// move through the wallet (src/wallet/), in the same transaction.
import type { Db } from "../store/store.ts";
import type { GiftSendEvent } from "./send.ts";

export const giftRepo = {
  /** Gift records of persisted sends, in one multi-row INSERT. */
  async insertRecords(db: Db, sends: GiftSendEvent[], now: number): Promise<void> {
    if (sends.length === 0) return;
    await db
      .insertInto("gift_record")
      .values(
        sends.map((e) => ({
          biz_id: e.bizId,
          request_id: e.requestId,
          sender_id: e.senderId,
          receiver_id: e.receiverId,
          room_id: e.roomId,
          gift_id: e.giftId,
          price: e.price,
          send_time: now,
        })),
      )
      .execute();
  },

  /** Failure rows of refused sends, in one multi-row INSERT. */
  async insertFailures(db: Db, failures: { event: GiftSendEvent; reason: string }[], now: number): Promise<void> {
    if (failures.length === 0) return;
    await db
      .insertInto("gift_send_failure")
      .values(
        failures.map(({ event: e, reason }) => ({
          biz_id: e.bizId,
          request_id: e.requestId,
          sender_id: e.senderId,
          room_id: e.roomId,
          gift_id: e.giftId,
          price: e.price,
          reason,
          create_time: now,
        })),
      )
      .execute();
  },

  /** Failure reasons by business id, for those of `bizIds` that failed. One IN query. */
  async failureReasons(db: Db, bizIds: string[]): Promise<Map<string, string>> {
    if (bizIds.length === 0) return new Map();
    const rows = await db.selectFrom("gift_send_failure").select(["biz_id", "reason"]).where("biz_id", "in", bizIds).execute();
    return new Map(rows.map((r) => [r.biz_id, r.reason]));
  },

  async hasRecord(db: Db, bizId: string): Promise<boolean> {
    return (await db.selectFrom("gift_record").select("id").where("biz_id", "=", bizId).executeTakeFirst()) !== undefined;
  },

  async failureReason(db: Db, bizId: string): Promise<string | null> {
    const row = await db.selectFrom("gift_send_failure").select("reason").where("biz_id", "=", bizId).executeTakeFirst();
    return row?.reason ?? null;
  },

  /** A user's records as sender or receiver, newest first, below `cursor` (an id). */
  async listRecords(db: Db, userId: number, role: "sent" | "received", cursor: number | undefined, limit: number) {
    let q = db.selectFrom("gift_record").selectAll().where(role === "sent" ? "sender_id" : "receiver_id", "=", userId);
    if (cursor) q = q.where("id", "<", cursor);
    return q.orderBy("id", "desc").limit(limit).execute();
  },
};
