// The relational store: one Kysely<DB> over bun:sqlite (embedded) or mysql2
// (cluster). Repositories take `Store` and never know which one they have.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely, MysqlDialect, SqliteDialect, sql, type Transaction } from "kysely";
import { createPool } from "mysql2";
import type { DB } from "./schema.ts";
import { openSqlite } from "./sqlite-driver.ts";

export type Dialect = "sqlite" | "mysql";
export type Db = Kysely<DB> | Transaction<DB>;

export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<DB>;
  /** A transaction, re-run from the start (up to 3 times) when MySQL picks it as a deadlock victim. */
  transact<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const TX_ATTEMPTS = 3;

function isDeadlock(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return err?.code === "ER_LOCK_DEADLOCK" || err?.errno === 1213 || err?.code === "ER_LOCK_WAIT_TIMEOUT" || err?.errno === 1205;
}

function transactor(db: Kysely<DB>) {
  return async <T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute(fn);
      } catch (e) {
        if (!isDeadlock(e) || attempt >= TX_ATTEMPTS) throw e;
        await Bun.sleep(5 * attempt + Math.random() * 10);
      }
    }
  };
}

export function openSqliteStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const { kysely } = openSqlite(path);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: kysely }) });
  return {
    dialect: "sqlite",
    db,
    transact: transactor(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** A new connection to MySQL gives up after this, so a request answers 503 in time when it is down (G3). */
const MYSQL_CONNECT_TIMEOUT_MS = 1500;

export function openMysqlStore(url: string, poolSize = 10): Store {
  const pool = createPool({
    uri: url,
    connectionLimit: poolSize,
    connectTimeout: MYSQL_CONNECT_TIMEOUT_MS,
    // Notice a dead server on idle connections instead of at the next query.
    enableKeepAlive: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    timezone: "Z",
  });
  const db = new Kysely<DB>({ dialect: new MysqlDialect({ pool }) });
  return {
    dialect: "mysql",
    db,
    transact: transactor(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** True when `e` is a unique-key violation on either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  return (
    err?.code === "ER_DUP_ENTRY" ||
    err?.errno === 1062 ||
    err?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    err?.code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    /UNIQUE constraint failed/.test(err?.message ?? "")
  );
}

/** Rows changed by an UPDATE/DELETE result on either dialect. */
export function affected(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
