// One embedded server per SQLite file. The embedded hot store (available
// coins, admissions, rate limits) lives inside the server process, so a
// second server on the same file would decide sends against a hot store that
// knows nothing of the first one's.
//
// The lock is an exclusive SQLite transaction on a small file beside the
// database, held open for the life of the process: the operating system drops
// it when the process ends however it ends (kill -9 included), so there is no
// stale lock to clean up and no pid-reuse guesswork. Taken by the server entry
// point (src/main.ts) only: the invariant checker and the test harness open
// the database itself freely.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StartupError } from "../config.ts";

/** Kept referenced so the lock lives as long as the process. */
let held: Database | undefined;

/** Takes the lock for `sqlitePath` until this process exits; a StartupError when another server holds it. */
export function lockEmbeddedStore(sqlitePath: string): void {
  if (sqlitePath === ":memory:" || held) return;
  const lockPath = `${sqlitePath}.lock`;
  // A fresh clone has no data directory yet.
  mkdirSync(dirname(sqlitePath), { recursive: true });
  const db = new Database(lockPath, { create: true });
  try {
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("BEGIN EXCLUSIVE");
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code?.startsWith("SQLITE_BUSY")) {
      throw new StartupError("OVATION_SQLITE_PATH", `${sqlitePath} is in use by another running Ovation server (lock ${lockPath}); the embedded profile runs one server per database`);
    }
    throw e;
  }
  held = db;
}
