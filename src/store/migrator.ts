// Applies sql/<dialect>/NNNN_name.sql in order, once each, recording what ran
// in schema_migrations. Both dialects must define the same tables and columns
// (store.test.ts checks), except the embedded-only log tables.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import type { Store } from "./store.ts";

const SQL_ROOT = join(import.meta.dir, "..", "..", "sql");

export function migrationFiles(dialect: Store["dialect"]): { version: string; path: string }[] {
  const dir = join(SQL_ROOT, dialect);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ""), path: join(dir, f) }));
}

/** Split a migration into statements: a statement ends with `;` at the end of a line. */
export function splitStatements(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function migrate(store: Store): Promise<string[]> {
  const db = store.db;
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(128) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)`.execute(
    db,
  );
  const done = new Set(
    (await sql<{ version: string }>`SELECT version FROM schema_migrations`.execute(db)).rows.map((r) => r.version),
  );
  const applied: string[] = [];
  for (const m of migrationFiles(store.dialect)) {
    if (done.has(m.version)) continue;
    const statements = splitStatements(readFileSync(m.path, "utf8"));
    // MySQL DDL commits implicitly, so a migration is not atomic there; each
    // file is written to be re-runnable only as a whole on an empty schema.
    await db.transaction().execute(async (trx) => {
      for (const stmt of statements) await sql.raw(stmt).execute(trx);
      await sql`INSERT INTO schema_migrations (version, applied_at) VALUES (${m.version}, ${Date.now()})`.execute(trx);
    });
    applied.push(m.version);
  }
  return applied;
}
