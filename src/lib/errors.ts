// The error model of SPEC §3: every failure a client can see has a name, a
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
