// Both dialects define the same tables and columns (the embedded-only log
// tables aside), and migrations run once.
import { describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { clusterAvailable, freshMysqlDatabase } from "../../test/services.ts";
import { migrate } from "./migrator.ts";
import { EMBEDDED_ONLY_TABLES } from "./schema.ts";
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
