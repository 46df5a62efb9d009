// Kysely's SqliteDialect expects a better-sqlite3-shaped database. bun:sqlite
// is close; this adapter supplies the two differences (the `reader` flag and
// `run` results) so one Kysely dialect serves the embedded profile.
import { Database, type Statement } from "bun:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

function wrap(stmt: Statement): SqliteStatement {
  return {
    reader: stmt.columnNames.length > 0,
    all: (params: ReadonlyArray<unknown>) => stmt.all(...(params as never[])) as unknown[],
    run: (params: ReadonlyArray<unknown>) => {
      const r = stmt.run(...(params as never[]));
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    },
    iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(...(params as never[])) as IterableIterator<unknown>,
  };
}

export function openSqlite(path: string): { raw: Database; kysely: SqliteDatabase } {
  const raw = new Database(path, { create: true, strict: true });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec("PRAGMA synchronous = NORMAL");
  raw.exec("PRAGMA busy_timeout = 5000");
  raw.exec("PRAGMA foreign_keys = ON");
  return {
    raw,
    kysely: {
      close: () => raw.close(),
      prepare: (sql: string) => wrap(raw.prepare(sql)),
    },
  };
}
