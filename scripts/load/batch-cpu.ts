// The client CPU of one cluster gift-consumer batch's statements, alone: the
// transaction the consumer runs for --sends sends of --users senders (the two
// seen-before IN SELECTs, the account lock, the balance UPDATE, the ledger and
// gift-record multi-row INSERTs, through the repositories the consumer uses),
// repeated --batches times on a fresh MariaDB/MySQL database. Prints the
// median and quartiles of process.cpuUsage per batch (the first 10 batches
// warm up and are not counted): steadier than a whole drain on a shared machine,
// and free of Kafka and Redis.
//
//   bun run scripts/load/batch-cpu.ts [--batches 40] [--sends 1000] [--users 250] [--mysql-url mysql://root@127.0.0.1:3306/]
import { giftRepo } from "../../src/gifts/repo.ts";
import type { GiftSendEvent } from "../../src/gifts/send.ts";
import { migrate } from "../../src/store/migrator.ts";
import { openMysqlStore } from "../../src/store/store.ts";
import { createWalletRepo } from "../../src/wallet/repo.ts";
import { AccountStatus, TradeType } from "../../src/wallet/types.ts";
import { freshMysqlDatabase } from "../../test/services.ts";
import { intOption, parseCli, round, writeResult } from "./report.ts";

const USAGE = "bun run scripts/load/batch-cpu.ts [--batches 40] [--sends 1000] [--users 250] [--mysql-url mysql://root@127.0.0.1:3306/]";
const opts = parseCli(USAGE, { batches: { type: "string" }, sends: { type: "string" }, users: { type: "string" } });
const WARMUP = 10;
const batches = intOption("batches", opts.batches ?? 40, WARMUP + 1);
const sends = intOption("sends", opts.sends ?? 1000, 1);
const users = intOption("users", opts.users ?? 250, 1);
const PRICE = 10;
const FIRST_USER = 1_000_000;

const database = await freshMysqlDatabase(String(opts["mysql-url"]));
const store = openMysqlStore(database.url);
try {
  await migrate(store);
  const wallet = createWalletRepo(store);
  const t0 = Date.now();
  await store.db
    .insertInto("currency_account")
    .values(Array.from({ length: users }, (_, i) => ({ user_id: FIRST_USER + i, current_balance: 1e12, total_charged: 0, status: AccountStatus.ACTIVE, version: 0, credit_version: 0, create_time: t0, update_time: t0 })))
    .execute();
  const perUser = Math.ceil(sends / users);
  const cpuMs: number[] = [];
  let seq = 0;
  for (let b = 0; b < batches; b++) {
    const events: GiftSendEvent[] = Array.from({ length: sends }, (_, i) => {
      const senderId = FIRST_USER + (i % users);
      const requestId = `batch-${seq++}`;
      return { bizId: `gift:${senderId}:${requestId}`, requestId, senderId, receiverId: 1, roomId: 1 + (i % 8), giftId: 1, giftName: "rose", price: PRICE, svgaUrl: "", acceptedAt: t0 };
    });
    const before = process.cpuUsage();
    await store.transact(async (trx) => {
      const ids = events.map((e) => e.bizId);
      await wallet.ledgerTimes(trx, ids);
      await giftRepo.failureReasons(trx, ids);
      const now = Date.now();
      const senders = [...new Set(events.map((e) => e.senderId))];
      await wallet.lockAccounts(trx, senders);
      // Every sender sends perUser times when users divides sends (the defaults): one UPDATE, as in the consumer.
      await wallet.takeBalance(trx, senders, perUser * PRICE, now);
      await wallet.insertLedgerRows(trx, events.map((e) => ({ userId: e.senderId, num: -e.price, type: TradeType.SEND_GIFT, bizId: e.bizId, now })));
      await giftRepo.insertRecords(trx, events, now);
    });
    const used = process.cpuUsage(before);
    if (b >= WARMUP) cpuMs.push((used.user + used.system) / 1000);
  }
  cpuMs.sort((a, b) => a - b);
  const at = (q: number) => round(cpuMs[Math.floor(q * (cpuMs.length - 1))]!, 2);
  const result = { params: { batches, sends, users }, cpuMsPerBatch: { p25: at(0.25), median: at(0.5), p75: at(0.75) } };
  console.log(`client CPU per ${sends}-send batch: median ${result.cpuMsPerBatch.median} ms (p25 ${result.cpuMsPerBatch.p25}, p75 ${result.cpuMsPerBatch.p75}; ${cpuMs.length} batches)`);
  console.log(`result: ${writeResult("batch-cpu", result)}`);
} finally {
  await store.close();
  await database.drop();
}
