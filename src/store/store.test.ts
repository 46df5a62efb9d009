// Both dialects define the same tables and columns (the embedded-only log
// tables aside), and migrations run once.
import { describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { clusterAvailable, freshMysqlDatabase } from "../../test/services.ts";
import { migrate } from "./migrator.ts";
import { EMBEDDED_ONLY_TABLES } from "./schema.ts";
import { STATEMENT_CACHE_SIZE } from "./sqlite-driver.ts";
import { openMysqlStore, openSqliteStore } from "./store.ts";

async function sqliteColumns(): Promise<Record<string, string[]>> {
  const store = openSqliteStore(":memory:");
  await migrate(store);
  const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(store.db);
  const out: Record<string, string[]> = {};
  for (const t of tables.rows) {
    const cols = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${t.name})`.execute(store.db);
    out[t.name] = cols.rows.map((c) => c.name).sort();
  }
  await store.close();
  return out;
}

describe("the relational store", () => {
  test("SQLite reuses prepared statements and stays correct past the cache's size, inside transactions too", async () => {
    const store = openSqliteStore(":memory:");
    await migrate(store);
    const now = 1;
    const account = (userId: number) => ({ user_id: userId, current_balance: userId, total_charged: 0, status: 0, version: 0, credit_version: 0, create_time: now, update_time: now });
    await store.db.insertInto("currency_account").values([1, 2, 3].map(account)).execute();
    const inList = (ids: number[]) => store.db.selectFrom("currency_account").select("user_id").where("user_id", "in", ids).orderBy("user_id").execute();
    // IN lists of every length up to well past the cache: that many distinct SQL texts, the oldest evicted.
    for (let n = 1; n <= STATEMENT_CACHE_SIZE + 50; n++) {
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      expect((await inList(ids)).map((r) => r.user_id)).toEqual([1, 2, 3].slice(0, n));
    }
    // An evicted text prepared again, and a cached one re-bound with other values, in a transaction.
    await store.transact(async (trx) => {
      await trx.updateTable("currency_account").set({ current_balance: 10 }).where("user_id", "=", 1).execute();
      await trx.updateTable("currency_account").set({ current_balance: 30 }).where("user_id", "=", 3).execute();
    });
    expect((await inList([1])).map((r) => r.user_id)).toEqual([1]);
    const rows = await store.db.selectFrom("currency_account").select(["user_id", "current_balance"]).orderBy("user_id").execute();
    expect(rows.map((r) => [r.user_id, r.current_balance])).toEqual([[1, 10], [2, 2], [3, 30]]);
    await store.close();
  });

  test("migrations apply once", async () => {
    const store = openSqliteStore(":memory:");
    expect((await migrate(store)).length).toBeGreaterThan(0);
    expect(await migrate(store)).toEqual([]);
    await store.close();
  });

  test.skipIf(!clusterAvailable())("SQLite and MySQL define the same tables and columns", async () => {
    const lite = await sqliteColumns();
    for (const t of EMBEDDED_ONLY_TABLES) delete lite[t];
    const db = await freshMysqlDatabase();
    const store = openMysqlStore(db.url);
    try {
      await migrate(store);
      const rows = await sql<{ table_name: string; column_name: string }>`
        SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns
        WHERE table_schema = DATABASE()`.execute(store.db);
      const my: Record<string, string[]> = {};
      for (const r of rows.rows) (my[r.table_name] ??= []).push(r.column_name);
      for (const k of Object.keys(my)) my[k]!.sort();
      expect(my).toEqual(lite);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
