// Argument checks and reply decoding the cart adapters share.

/** The longest request id the API accepts (src/lib/schemas.ts requestIdField). */
const MAX_REQUEST_ID_LENGTH = 64;

export function checkRequestId(requestId: string): void {
  if (requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) {
    throw new RangeError(`hot store: requestId must be 1..${MAX_REQUEST_ID_LENGTH} characters, got ${requestId.length}`);
  }
}

/** A cart hash read as a flat list (skuId, count, …) → SKU id → count. */
export function linesOf(flat: string[]): Map<number, number> {
  const lines = new Map<number, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) lines.set(Number(flat[i]), Number(flat[i + 1]));
  return lines;
}
