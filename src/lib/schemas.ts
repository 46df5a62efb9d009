// Field schemas shared by every route declaration. Input is typed strictly:
// an id is a JSON number in a body and canonical decimal digits in a path or
// query string, and free text cannot carry characters that corrupt logs,
// terminals or how a title renders to other users.
import { z } from "zod";

/**
 * Canonical decimal digits of a positive safe integer: no sign, no spaces, no
 * hex or exponent, and no leading zeros (so one id has exactly one spelling in
 * URLs, logs and rate-limit keys; "01" is refused, not read as 1).
 */
const DECIMAL_ID = /^[1-9]\d{0,15}$/;

/** The id `s` spells, or null when it is not a canonical positive safe integer. */
export function parseDecimalId(s: string): number | null {
  if (!DECIMAL_ID.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

const ID_MESSAGE = `must be a positive integer up to ${Number.MAX_SAFE_INTEGER}`;

/** An id in a JSON body: a number, never a string, boolean or array. */
export const idField = z.number({ error: `${ID_MESSAGE} (a JSON number)` }).int(ID_MESSAGE).positive(ID_MESSAGE).max(Number.MAX_SAFE_INTEGER, ID_MESSAGE);

/** An id in a path or query string: canonical decimal digits. */
export const idParam = z
  .string()
  .regex(DECIMAL_ID, `${ID_MESSAGE} in decimal digits, without sign, spaces or leading zeros`)
  .refine((s) => parseDecimalId(s) !== null, ID_MESSAGE)
  .transform(Number);

/** A whole number in a query string, in canonical decimal digits like an id (no sign, spaces, hex, exponent or leading zeros). */
export function queryInt(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max} in decimal digits`;
  return z
    .string()
    .regex(/^(0|[1-9]\d{0,15})$/, message)
    .transform(Number)
    .refine((n) => n >= min && n <= max, message);
}

/**
 * Characters refused in free text: C0 controls (tab, CR and LF included —
 * every text field is one line), DEL, C1 controls, and the bidi embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make text shown
 * to others read differently from what is stored. Lone surrogates are
 * refused separately (not well-formed UTF-16, so not storable as UTF-8).
 */
const FORBIDDEN_IN_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** One line of free text (titles, names, URLs): trimmed, `min`–`max` characters, no control or bidi characters. */
export function text(max: number, min = 0) {
  // Checked before trimming: a trailing CR/LF is refused, not silently cut.
  return z
    .string()
    .refine((s) => !FORBIDDEN_IN_TEXT.test(s), "must not contain control characters (tab, CR, LF, NUL, …) or bidi override/isolate characters")
    .refine((s) => s.isWellFormed(), "must not contain lone surrogates")
    .trim()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`);
}

export const requestIdField = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : -");

export const pageQuery = z.object({
  page: queryInt(1, 1_000_000).default(1),
  pageSize: queryInt(1, 100).default(20),
});

export const cursorQuery = z.object({
  cursor: idParam.optional(),
  limit: queryInt(1, 100).default(20),
});
