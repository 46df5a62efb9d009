// The consumer batch's hand-written statements (src/store/raw.ts) carry every
// value as a parameter, on both dialects: hostile strings — quotes,
// backslashes, NUL, `?`, comment and statement breakers, unicode — go in
// through the multi-row INSERTs and come back exactly, and the IN-list
// SELECTs match them and nothing else.
import { describe, expect, test } from "bun:test";
import { freshMysqlDatabase, profilesUnderTest } from "../../test/services.ts";
import { migrate } from "../store/migrator.ts";
import { openMysqlStore, openSqliteStore, type Store } from "../store/store.ts";
import { createWalletRepo } from "../wallet/repo.ts";
import { TradeType } from "../wallet/types.ts";
import { giftRepo } from "./repo.ts";
import type { GiftSendEvent } from "./send.ts";

/** ASCII only: the business and request id columns are ASCII on MySQL. */
const HOSTILE_IDS = [
  "'",
  '"',
  "\\",
  "\\'",
  "a\0b",
  "\x1a",
  "?",
  "?, ?), (?",
  "') or 1=1 -- ",
  "'; drop table gift_record; --",
  "`x`",
  "%_*",
  "\n\r\t\b",
  "/* c */ #",
];

/** Failure reasons are utf8mb4 on MySQL: unicode too. */
const HOSTILE_REASONS = ["é ✓ 🎁", "＇ ＼ ﹖", "\u202e\u0000'\\", ...HOSTILE_IDS];

async function openStore(profile: string): Promise<{ store: Store; done: () => Promise<void> }> {
  if (profile === "embedded") {
    const store = openSqliteStore(":memory:");
    await migrate(store);
    return { store, done: () => store.close() };
  }
  const db = await freshMysqlDatabase();
  const store = openMysqlStore(db.url);
  await migrate(store);
  return {
    store,
    done: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Every column of every row its own value, so a parameter bound to the wrong column shows on read-back. */
function send(i: number, id: string): GiftSendEvent {
  return {
    bizId: `gift:${id}:${i}`,
    requestId: `${id}${i}`,
    senderId: 100 + i,
    receiverId: 2000 + i,
    roomId: 3000 + i,
    giftId: 4000 + i,
    giftName: `rose${i}`,
    price: 10 + i,
    svgaUrl: "",
    acceptedAt: 1,
  };
}

/** Ledger types other than 0, which is also the status every ledger row is written with. */
const LEDGER_TYPES = [TradeType.RECHARGE, TradeType.SHOP_ORDER_PAY, TradeType.ADMIN_GRANT, TradeType.REFUND];

describe.each(profilesUnderTest())("the consumer batch's statements (%s)", (profile) => {
  test("hostile strings round-trip exactly through the multi-row INSERTs and are matched exactly by the IN lists", async () => {
    const { store, done } = await openStore(profile);
    try {
      const wallet = createWalletRepo(store);
      const records = HOSTILE_IDS.map((id, i) => send(i, id));
      const failures = HOSTILE_REASONS.map((reason, i) => ({ event: send(100 + i, HOSTILE_IDS[i % HOSTILE_IDS.length]!), reason }));
      const now = 1_700_000_000_123;
      const ledgerRows = records.map((e, i) => ({ userId: e.senderId, num: -e.price, type: LEDGER_TYPES[i % LEDGER_TYPES.length]!, bizId: e.bizId, now: now + 1 + i }));
      await store.transact(async (trx) => {
        await wallet.insertLedgerRows(trx, ledgerRows);
        await giftRepo.insertRecords(trx, records, now);
        await giftRepo.insertFailures(trx, failures, now);
      });

      // Every column of every row read back (numbers come back as strings on MySQL).
      const stored = await store.db.selectFrom("gift_record").selectAll().orderBy("sender_id").execute();
      expect(
        stored.map((r) => ({
          biz_id: r.biz_id,
          request_id: r.request_id,
          sender_id: Number(r.sender_id),
          receiver_id: Number(r.receiver_id),
          room_id: Number(r.room_id),
          gift_id: Number(r.gift_id),
          price: Number(r.price),
          send_time: Number(r.send_time),
        })),
      ).toEqual(
        records.map((e) => ({
          biz_id: e.bizId,
          request_id: e.requestId,
          sender_id: e.senderId,
          receiver_id: e.receiverId,
          room_id: e.roomId,
          gift_id: e.giftId,
          price: e.price,
          send_time: now,
        })),
      );
      const storedFailures = await store.db.selectFrom("gift_send_failure").selectAll().orderBy("sender_id").execute();
      expect(
        storedFailures.map((r) => ({
          biz_id: r.biz_id,
          request_id: r.request_id,
          sender_id: Number(r.sender_id),
          room_id: Number(r.room_id),
          gift_id: Number(r.gift_id),
          price: Number(r.price),
          reason: r.reason,
          create_time: Number(r.create_time),
        })),
      ).toEqual(
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
      );
      const ledger = await store.db.selectFrom("currency_trade").selectAll().orderBy("user_id").execute();
      expect(
        ledger.map((r) => ({
          user_id: Number(r.user_id),
          num: Number(r.num),
          type: Number(r.type),
          status: Number(r.status),
          biz_id: r.biz_id,
          create_time: Number(r.create_time),
        })),
      ).toEqual(ledgerRows.map((l) => ({ user_id: l.userId, num: l.num, type: l.type, status: 0, biz_id: l.bizId, create_time: l.now })));

      // The IN lists: every hostile id found, near misses (a quote or backslash dropped or added) not.
      const ids = new Set([...records.map((e) => e.bizId), ...failures.map((f) => f.event.bizId)]);
      const nearMisses = [...ids].flatMap((id) => [id.replace(/['\\]/g, ""), `${id}'`, `${id}\\`]).filter((id) => !ids.has(id));
      const times = await wallet.ledgerTimes(store.db, [...records.map((e) => e.bizId), ...nearMisses]);
      expect([...times].sort()).toEqual(ledgerRows.map((l) => [l.bizId, l.now] as [string, number]).sort());
      const reasons = await giftRepo.failureReasons(store.db, [...failures.map((f) => f.event.bizId), ...nearMisses]);
      expect([...reasons].sort()).toEqual(failures.map((f) => [f.event.bizId, f.reason] as [string, string]).sort());
    } finally {
      await done();
    }
  });
});
