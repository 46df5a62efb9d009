// Structured logs: one JSON object per line on stdout. OVATION_LOG sets the
// threshold (one of LOG_LEVELS; config.ts refuses anything else); tests run
// silent.
export type Level = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether `level` is written (callers skip building fields nobody reads). */
  enabled(level: Level): boolean;
  child(fields: Record<string, unknown>): Logger;
}

function serializeError(e: unknown): unknown {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return e;
}

export function createLogger(base: Record<string, unknown>, level: LogLevel): Logger {
  const threshold = ORDER[level];
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = k === "err" ? serializeError(v) : v;
    process.stdout.write(JSON.stringify(line) + "\n");
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    enabled: (lvl) => ORDER[lvl] >= threshold,
    child: (fields) => createLogger({ ...base, ...fields }, level),
  };
}

/**
 * Sends the runtime's process warnings through `log` instead of its plain-text
 * stderr lines, so every log line is JSON. TimeoutNegativeWarning is dropped:
 * kafkajs' request queue (network/requestQueue scheduleCheckPendingRequests)
 * arms its throttle check with `throttledUntil − now`, negative whenever it is
 * not throttled, and the runtime already clamps that to 1 ms — the warning
 * says nothing an operator can act on.
 */
let warningsRouted = false;
export function routeProcessWarnings(log: Logger): void {
  if (warningsRouted) return;
  warningsRouted = true;
  process.removeAllListeners("warning");
  process.on("warning", (w: Error) => {
    if (w.name === "TimeoutNegativeWarning") return;
    log.warn("process warning", { warning: w.name, detail: w.message });
  });
}
