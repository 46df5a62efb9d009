// Prepared statements, measured: what caching them buys on each store.
// - SQLite: Kysely prepares every query afresh; the store's driver
//   (src/store/sqlite-driver.ts) caches statements by SQL text. Compared:
//   the store as shipped, and the same Kysely over a driver that prepares per
//   query (what Kysely does on its own).
// - MySQL: Kysely's MysqlDialect sends text queries (mysql2 query(), values
//   escaped client side); mysql2 execute() uses server-side prepared
//   statements cached per connection. Compared on a private database.
// Sequential select-by-key and update-by-key, `--ops` each, `--concurrency`
// callers on MySQL, three rounds; prints ops/s per round.
//
//   bun run scripts/load/statements.ts [--ops 20000] [--concurrency 8] [--mysql-url mysql://root@127.0.0.1:3306/]
import { Database } from "bun:sqlite";
import { Kysely, SqliteDialect, type SqliteDatabase } from "kysely";
import { createPool } from "mysql2/promise";
import { migrate } from "../../src/store/migrator.ts";
import type { DB } from "../../src/store/schema.ts";
import { openSqliteStore } from "../../src/store/store.ts";
import { freshMysqlDatabase } from "../../test/services.ts";
import { intOption, parseCli, writeResult } from "./report.ts";

const USAGE = "bun run scripts/load/statements.ts [--ops 20000] [--concurrency 8] [--mysql-url mysql://root@127.0.0.1:3306/]";
const opts = parseCli(USAGE, { ops: { type: "string", default: "20000" }, concurrency: { type: "string", default: "8" } });
const ops = intOption("ops", opts.ops, 1);
const concurrency = intOption("concurrency", opts.concurrency, 1);
const ROUNDS = 3;

async function rate(n: number, callers: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return Math.round((n / (performance.now() - t0)) * 1000);
}

/** Kysely over bun:sqlite preparing every query afresh (no cache). */
function uncachedSqlite(): Kysely<DB> {
  const raw = new Database(":memory:", { strict: true });
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare: (sql) => {
      const stmt = raw.prepare(sql);
      return {
        reader: stmt.columnNames.length > 0,
        all: (params) => stmt.all(...(params as never[])) as unknown[],
        run: (params) => {
          const r = stmt.run(...(params as never[]));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (params) => stmt.iterate(...(params as never[])) as IterableIterator<unknown>,
      };
    },
  };
  return new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
}

async function prepare(db: Kysely<DB>): Promise<void> {
  await migrate({ dialect: "sqlite", db, transact: (fn) => db.transaction().execute(fn), ping: async () => {}, close: () => db.destroy() });
  await db.insertInto("currency_account").values({ user_id: 1, current_balance: 0, total_charged: 0, status: 0, version: 0, credit_version: 0, create_time: 0, update_time: 0 }).execute();
}

async function sqliteRound(db: Kysely<DB>, into: { select: number[]; update: number[] }): Promise<void> {
  into.select.push(await rate(ops, 1, () => db.selectFrom("currency_account").selectAll().where("user_id", "=", 1).executeTakeFirst()));
  into.update.push(await rate(ops, 1, (i) => db.updateTable("currency_account").set({ update_time: i }).where("user_id", "=", 1).execute()));
}

// Rounds alternate between the two, so drifting load on a shared machine hits both alike.
const cachedStore = openSqliteStore(":memory:");
const uncached = uncachedSqlite();
await prepare(cachedStore.db);
await prepare(uncached);
const sqliteCached = { select: [] as number[], update: [] as number[] };
const sqliteUncached = { select: [] as number[], update: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  await sqliteRound(cachedStore.db, sqliteCached);
  await sqliteRound(uncached, sqliteUncached);
}
await cachedStore.close();
await uncached.destroy();
console.log(`sqlite cached statements (the store): select ${sqliteCached.select.join(" / ")} ops/s; update ${sqliteCached.update.join(" / ")} ops/s`);
console.log(`sqlite prepared per query (Kysely alone): select ${sqliteUncached.select.join(" / ")} ops/s; update ${sqliteUncached.update.join(" / ")} ops/s`);

const mysqlDb = await freshMysqlDatabase(opts["mysql-url"]);
const pool = createPool({ uri: mysqlDb.url, connectionLimit: concurrency });
const mysql = { querySelect: [] as number[], executeSelect: [] as number[], queryUpdate: [] as number[], executeUpdate: [] as number[] };
try {
  await pool.query("CREATE TABLE acc (user_id BIGINT PRIMARY KEY, balance BIGINT NOT NULL, update_time BIGINT NOT NULL)");
  await pool.query("INSERT INTO acc VALUES (1, 0, 0)");
  const n = Math.max(1, Math.round(ops / 4));
  for (let r = 0; r < ROUNDS; r++) {
    mysql.querySelect.push(await rate(n, concurrency, () => pool.query("SELECT * FROM acc WHERE user_id = ?", [1])));
    mysql.executeSelect.push(await rate(n, concurrency, () => pool.execute("SELECT * FROM acc WHERE user_id = ?", [1])));
    mysql.queryUpdate.push(await rate(n, concurrency, (i) => pool.query("UPDATE acc SET update_time = ? WHERE user_id = ?", [i, 1])));
    mysql.executeUpdate.push(await rate(n, concurrency, (i) => pool.execute("UPDATE acc SET update_time = ? WHERE user_id = ?", [i, 1])));
  }
} finally {
  await pool.end();
  await mysqlDb.drop();
}
console.log(`mysql query():   select ${mysql.querySelect.join(" / ")} ops/s; update ${mysql.queryUpdate.join(" / ")} ops/s`);
console.log(`mysql execute(): select ${mysql.executeSelect.join(" / ")} ops/s; update ${mysql.executeUpdate.join(" / ")} ops/s`);
console.log(`  → ${writeResult("statements", { ops, concurrency, sqliteCached, sqliteUncached, mysql })}`);
