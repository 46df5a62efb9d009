// Argument checks every hot-store adapter runs first, so a bad call fails the
// same way on either profile, before it reaches Redis or the maps.

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
