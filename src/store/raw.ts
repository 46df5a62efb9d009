// Hand-written SQL for the statements a consumer batch runs (multi-row
// INSERTs and IN-list SELECTs) and for the embedded event log's append: texts
// that depend only on the row count. Kysely compiles a query's tree into text
// on every execution, and for a 1,000-row INSERT that compile was a large
// share of a batch's CPU; here the text is built once per (statement, row
// count) and sent as it is. Most texts use `?` placeholders, which both
// drivers (mysql2, bun:sqlite) take, and only plain lower-case identifiers
// and standard SQL, so one text serves both dialects unless the caller's key
// says otherwise (FOR UPDATE). The event-log append (src/eventlog/sqlite.ts)
// is SQLite-only and numbers its placeholders (`?NNN`) to bind the topic and
// time once per statement; its key, `appendEventLog.sqlite`, names the dialect.
import { createQueryId, RawNode, type CompiledQuery } from "kysely";
import type { Db } from "./store.ts";

/** Texts kept, least recently used first: a batch's statements at the row counts batches come in. */
const TEXTS_KEPT = 512;
const texts = new Map<string, string>();

/** The text `build(n)` makes, built once per (`key`, n) while kept. `key` names the statement (and the dialect, if the text differs). */
export function statementFor(key: string, n: number, build: (n: number) => string): string {
  const k = `${key}#${n}`;
  let text = texts.get(k);
  if (text === undefined) {
    text = build(n);
    if (texts.size >= TEXTS_KEPT) texts.delete(texts.keys().next().value!);
  } else {
    texts.delete(k);
  }
  texts.set(k, text);
  return text;
}

/** `?, ?, …` — n placeholders (an IN list). */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** `case <column> when ? then ? … end` — a value per row of a multi-row UPDATE, n (key, value) pairs. */
export function caseWhen(column: string, n: number): string {
  return `case ${column} ${Array.from({ length: n }, () => "when ? then ?").join(" ")} end`;
}

/** `(?, ?), (?, ?), …` — n rows of `width` placeholders (a multi-row VALUES). */
export function rowPlaceholders(n: number, width: number): string {
  const row = `(${placeholders(width)})`;
  return Array.from({ length: n }, () => row).join(", ");
}

/**
 * Runs `text` with `params` on `db` (a transaction's connection, when it is one): rows for a SELECT, rows changed otherwise.
 *
 * The compiled query is built here rather than by Kysely's CompiledQuery.raw,
 * which Object.freeze()s the parameter array: in Bun (JavaScriptCore) freezing
 * an array moves it to slow per-element storage, 4 ms for the 8,000
 * parameters of a 1,000-row gift-record INSERT and a quarter of the cluster
 * consumer's CPU in a profiled drain. The array is ours and not touched again.
 */
export async function runRaw<R>(db: Db, text: string, params: readonly unknown[]): Promise<{ rows: R[]; changed: number }> {
  const query: CompiledQuery<R> = { sql: text, query: RawNode.createWithSql(text), parameters: params, queryId: createQueryId() };
  const res = await db.executeQuery<R>(query);
  return { rows: res.rows, changed: Number(res.numAffectedRows ?? 0n) };
}
