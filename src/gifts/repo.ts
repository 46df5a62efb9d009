// Gift persistence: one gift record per persisted send, one failure row per
// send the database refused. Both are keyed by the send's business id (unique),
// so a redelivered send finds what was decided for it. The coins themselves
// move through the wallet (src/wallet/), in the same transaction.
import { placeholders, rowPlaceholders, runRaw, statementFor } from "../store/raw.ts";
import type { Db } from "../store/store.ts";
import type { GiftSendEvent } from "./send.ts";

export const giftRepo = {
  /** Gift records of persisted sends, in one multi-row INSERT (src/store/raw.ts). */
  async insertRecords(db: Db, sends: GiftSendEvent[], now: number): Promise<void> {
    if (sends.length === 0) return;
    const text = statementFor(
      "insertGiftRecords",
      sends.length,
      (n) => `insert into gift_record (biz_id, request_id, sender_id, receiver_id, room_id, gift_id, price, send_time) values ${rowPlaceholders(n, 8)}`,
    );
    await runRaw(db, text, sends.flatMap((e) => [e.bizId, e.requestId, e.senderId, e.receiverId, e.roomId, e.giftId, e.price, now]));
  },

  /** Failure rows of refused sends, in one multi-row INSERT. */
  async insertFailures(db: Db, failures: { event: GiftSendEvent; reason: string }[], now: number): Promise<void> {
    if (failures.length === 0) return;
    const text = statementFor(
      "insertGiftFailures",
      failures.length,
      (n) => `insert into gift_send_failure (biz_id, request_id, sender_id, room_id, gift_id, price, reason, create_time) values ${rowPlaceholders(n, 8)}`,
    );
    await runRaw(db, text, failures.flatMap(({ event: e, reason }) => [e.bizId, e.requestId, e.senderId, e.roomId, e.giftId, e.price, reason, now]));
  },

  /** Failure reasons by business id, for those of `bizIds` that failed. One IN query. */
  async failureReasons(db: Db, bizIds: string[]): Promise<Map<string, string>> {
    if (bizIds.length === 0) return new Map();
    const text = statementFor("giftFailureReasons", bizIds.length, (n) => `select biz_id, reason from gift_send_failure where biz_id in (${placeholders(n)})`);
    const { rows } = await runRaw<{ biz_id: string; reason: string }>(db, text, bizIds);
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
