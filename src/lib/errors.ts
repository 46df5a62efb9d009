// The error model of the API: every failure a client can see has a name, a
// numeric code and an HTTP status. Services throw AppError for expected
// business failures; anything else is a bug or an outage and becomes
// SYSTEM_ERROR without leaking its stack.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ErrorCodes = {
  PARAM_ERROR: [100001, 400],
  TOKEN_ERROR: [100002, 401],
  FORBIDDEN: [100003, 403],
  NOT_FOUND: [100004, 404],
  RATE_LIMITED: [100005, 429],
  IDEMPOTENCY_CONFLICT: [100006, 409],
  PAYLOAD_TOO_LARGE: [100007, 413],
  SYSTEM_ERROR: [100500, 500],
  UNAVAILABLE: [100503, 503],
  ROOM_NOT_FOUND: [150001, 404],
  ROOM_NOT_LIVING: [150002, 409],
  GIFT_NOT_FOUND: [200001, 404],
  NOT_SEND_TO_YOURSELF: [200002, 400],
  INSUFFICIENT_BALANCE: [200003, 402],
  PAY_PRODUCT_NOT_FOUND: [300001, 404],
  PAY_ORDER_NOT_FOUND: [300002, 404],
  BAD_SIGNATURE: [300003, 401],
  AMOUNT_MISMATCH: [300004, 400],
  SKU_NOT_FOUND: [400001, 404],
  SKU_NOT_IN_ROOM: [400002, 403],
  OUT_OF_STOCK: [400003, 409],
  CART_EMPTY: [400004, 400],
  ORDER_NOT_FOUND: [400005, 404],
  ORDER_STATE_CONFLICT: [400006, 409],
  ADDRESS_REQUIRED: [400007, 400],
  PURCHASE_LIMIT: [400008, 409],
} as const satisfies Record<string, readonly [number, number]>;

export type ErrorName = keyof typeof ErrorCodes;

/** The numeric code of each error name (`ErrorCode.TOKEN_ERROR` is 100002). */
export const ErrorCode = Object.fromEntries(Object.entries(ErrorCodes).map(([name, [code]]) => [name, code])) as {
  readonly [N in ErrorName]: (typeof ErrorCodes)[N][0];
};

/** The HTTP status each error name answers with (`ErrorStatus.TOKEN_ERROR` is 401). */
export const ErrorStatus = Object.fromEntries(Object.entries(ErrorCodes).map(([name, [, status]]) => [name, status])) as {
  readonly [N in ErrorName]: (typeof ErrorCodes)[N][1];
};

export class AppError extends HTTPException {
  override readonly name: ErrorName;
  readonly code: number;
  readonly data: unknown;

  constructor(name: ErrorName, message: string, data: unknown = null) {
    const [code, status] = ErrorCodes[name];
    super(status as ContentfulStatusCode, { message });
    this.name = name;
    this.code = code;
    this.data = data;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

// ---- store outages (G3: 503 UNAVAILABLE within ~2 s, never executed later) ----
//
// The adapters fail fast (no offline queues, bounded command, connect and
// produce timeouts); what reaches a request from a store that is down is
// recognised here and answered 503 UNAVAILABLE instead of 500.

export type StoreName = "hot store" | "database" | "event log";

/** Thrown by our own adapters when a store cannot do what was asked in time. */
export class StoreUnavailable extends Error {
  constructor(
    readonly store: StoreName,
    detail: string,
  ) {
    super(`${store} unavailable: ${detail}`);
    this.name = "StoreUnavailable";
  }
}

/** Socket-level failures, whichever driver saw them. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "ECONNABORTED"]);
/** mysql2: the connection (not the statement) failed. */
const MYSQL_OUTAGE_CODES = new Set(["PROTOCOL_CONNECTION_LOST", "PROTOCOL_SEQUENCE_TIMEOUT", "ER_CON_COUNT_ERROR", "ER_SERVER_SHUTDOWN", "POOL_CLOSED", "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR"]);
/** ioredis: refused while disconnected (no offline queue), timed out, or dropped in flight. */
const REDIS_OUTAGE = /enableOfflineQueue options is false|Command timed out|Connection is closed|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available/;
const REDIS_OUTAGE_NAMES = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);

/** Which store's outage `err` (or an error in its cause chain) is; null when it is something else. */
export function storeOutage(err: unknown): StoreName | "a store" | null {
  for (let e = err as { name?: string; code?: string; message?: string; fatal?: boolean; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof StoreUnavailable) return e.store;
    if (typeof e !== "object") return null;
    if (REDIS_OUTAGE_NAMES.has(e.name ?? "") || REDIS_OUTAGE.test(e.message ?? "")) return "hot store";
    if (MYSQL_OUTAGE_CODES.has(e.code ?? "") || (e.fatal === true && typeof e.code === "string")) return "database";
    if ((e.name ?? "").startsWith("KafkaJS")) return "event log";
    if (NETWORK_CODES.has(e.code ?? "")) return "a store";
  }
  return null;
}

/** `err` as the AppError a client sees when it is a store outage; null otherwise. */
export function outageError(err: unknown): AppError | null {
  const store = storeOutage(err);
  return store === null ? null : new AppError("UNAVAILABLE", `${store} unavailable; retry shortly`);
}
