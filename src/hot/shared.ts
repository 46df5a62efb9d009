// What both hot-store adapters share: argument checks (so a bad call fails the
// same way on either profile, before it reaches Redis or the maps) and the
// lifetime of a dropped wallet's version marker.

/**
 * How long a missing wallet remembers the highest credit version it saw, so a
 * load that read an older row is told `stale`. It only has to outlast one
 * read-then-load of the database (the wallet service holds a 1 s lock for it).
 */
export const WALLET_MARKER_TTL_SEC = 600;

function fail(field: string, rule: string, value: unknown): never {
  throw new RangeError(`hot store: ${field} must be ${rule}, got ${String(value)}`);
}

export function checkPositiveInt(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) fail(field, "a positive integer", value);
}

export function checkNonNegativeInt(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) fail(field, "a non-negative integer", value);
}

export function checkNonEmpty(field: string, value: string): void {
  if (typeof value !== "string" || value.length === 0) fail(field, "a non-empty string", value);
}

export function checkString(field: string, value: string): void {
  if (typeof value !== "string") fail(field, "a string", value);
}

export function checkAdmit(input: { userId: number; admissionId: string; amount: number; fingerprint: string; ttlSec: number }): void {
  checkPositiveInt("userId", input.userId);
  checkNonEmpty("admissionId", input.admissionId);
  checkPositiveInt("amount", input.amount);
  checkString("fingerprint", input.fingerprint);
  checkPositiveInt("ttlSec", input.ttlSec);
}
