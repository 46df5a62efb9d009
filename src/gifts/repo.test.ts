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

function send(i: number, id: string): GiftSendEvent {
  return { bizId: `gift:${id}:${i}`, requestId: `${id}${i}`, senderId: 100 + i, receiverId: 7, roomId: 3, giftId: 1, giftName: "rose", price: 10 + i, svgaUrl: "", acceptedAt: 1 };
}

describe.each(profilesUnderTest())("the consumer batch's statements (%s)", (profile) => {
  test("hostile strings round-trip exactly through the multi-row INSERTs and are matched exactly by the IN lists", async () => {
    const { store, done } = await openStore(profile);
    try {
      const wallet = createWalletRepo(store);
      const records = HOSTILE_IDS.map((id, i) => send(i, id));
      const failures = HOSTILE_REASONS.map((reason, i) => ({ event: send(100 + i, HOSTILE_IDS[i % HOSTILE_IDS.length]!), reason }));
      const now = 1_700_000_000_123;
      await store.transact(async (trx) => {
        await wallet.insertLedgerRows(trx, records.map((e) => ({ userId: e.senderId, num: -e.price, type: TradeType.SEND_GIFT, bizId: e.bizId, now })));
        await giftRepo.insertRecords(trx, records, now);
        await giftRepo.insertFailures(trx, failures, now);
      });

      const stored = await store.db.selectFrom("gift_record").selectAll().orderBy("sender_id").execute();
      expect(stored.map((r) => [r.biz_id, r.request_id, Number(r.sender_id), Number(r.price), Number(r.send_time)])).toEqual(
        records.map((e) => [e.bizId, e.requestId, e.senderId, e.price, now]),
      );
      const ledger = await store.db.selectFrom("currency_trade").select(["biz_id", "num"]).orderBy("user_id").execute();
      expect(ledger.map((r) => [r.biz_id, Number(r.num)])).toEqual(records.map((e) => [e.bizId, -e.price]));

      // The IN lists: every hostile id found, near misses (a quote or backslash dropped or added) not.
      const ids = new Set([...records.map((e) => e.bizId), ...failures.map((f) => f.event.bizId)]);
      const nearMisses = [...ids].flatMap((id) => [id.replace(/['\\]/g, ""), `${id}'`, `${id}\\`]).filter((id) => !ids.has(id));
      const times = await wallet.ledgerTimes(store.db, [...records.map((e) => e.bizId), ...nearMisses]);
      expect([...times].sort()).toEqual(records.map((e) => [e.bizId, now] as [string, number]).sort());
      const reasons = await giftRepo.failureReasons(store.db, [...failures.map((f) => f.event.bizId), ...nearMisses]);
      expect([...reasons].sort()).toEqual(failures.map((f) => [f.event.bizId, f.reason] as [string, string]).sort());
    } finally {
      await done();
    }
  });
});
