// Kysely's SqliteDialect expects a better-sqlite3-shaped database. bun:sqlite
// is close; this adapter supplies the two differences (the `reader` flag and
// `run` results) so one Kysely dialect serves the embedded profile.
//
// Prepared statements are cached: Kysely prepares every query afresh
// (SqliteDriver calls prepare() per execution), so without a cache each query
// pays SQLite's parse and plan. Statements are kept by SQL text in a bounded
// LRU (Kysely's IN lists make the text vary with the list length, so the set
// is not fixed); an evicted statement is finalized. Safe because the dialect
// runs one query at a time on its single connection: a cached statement is
// never in use twice at once. (bun's own db.query() cache is unbounded.)
import { Database, type Statement } from "bun:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

function wrap(stmt: Statement): SqliteStatement & { finalize(): void } {
  return {
    finalize: () => stmt.finalize(),
    reader: stmt.columnNames.length > 0,
    all: (params: ReadonlyArray<unknown>) => stmt.all(...(params as never[])) as unknown[],
    run: (params: ReadonlyArray<unknown>) => {
      const r = stmt.run(...(params as never[]));
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    },
    iterate: (params: ReadonlyArray<unknown>) => stmt.iterate(...(params as never[])) as IterableIterator<unknown>,
  };
}

/** Distinct SQL texts kept prepared; the hot paths use a few dozen. */
export const STATEMENT_CACHE_SIZE = 256;

/** Prepared statements by SQL text, least recently used first. */
function statementCache(raw: Database, size: number) {
  const cache = new Map<string, ReturnType<typeof wrap>>();
  return {
    get(sql: string): ReturnType<typeof wrap> {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-insert: most recently used last
      } else {
        stmt = wrap(raw.prepare(sql));
        if (cache.size >= size) {
          const [oldest, evicted] = cache.entries().next().value!;
          cache.delete(oldest);
          evicted.finalize();
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
    clear(): void {
      for (const stmt of cache.values()) stmt.finalize();
      cache.clear();
    },
  };
}

export function openSqlite(path: string): { raw: Database; kysely: SqliteDatabase } {
  const raw = new Database(path, { create: true, strict: true });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec("PRAGMA synchronous = NORMAL");
  raw.exec("PRAGMA busy_timeout = 5000");
  raw.exec("PRAGMA foreign_keys = ON");
  const statements = statementCache(raw, STATEMENT_CACHE_SIZE);
  return {
    raw,
    kysely: {
      close: () => {
        statements.clear();
        raw.close();
      },
      prepare: (sql: string) => statements.get(sql),
    },
  };
}
