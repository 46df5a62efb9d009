// Payment notification signatures.
//
//   X-Pay-Timestamp: unix seconds
//   X-Pay-Signature: lowercase hex HMAC-SHA256(paySecret, "<timestamp>.<raw body>")
//
// The body is signed byte for byte as sent, so the receiver verifies the raw
// text before parsing it. The timestamp bounds replay: a notification more
// than SIGNATURE_WINDOW_SEC away from our clock is refused even when its
// signature is right (the signature covers the timestamp, so it cannot be
// refreshed without the secret).
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_WINDOW_SEC = 300;
export const TIMESTAMP_HEADER = "X-Pay-Timestamp";
export const SIGNATURE_HEADER = "X-Pay-Signature";

export function signPayload(secret: string, timestampSec: number | string, rawBody: string): string {
  return createHmac("sha256", secret).update(`${timestampSec}.${rawBody}`).digest("hex");
}

/** Headers for a notification signed now. */
export function signedHeaders(secret: string, rawBody: string, nowMs = Date.now()): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signPayload(secret, ts, rawBody) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

/**
 * Verifies a notification's headers against its raw body. Compares in
 * constant time: both sides are 32-byte digests (a malformed signature is
 * rejected before comparing, so the lengths are always equal).
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  rawBody: string,
  nowMs = Date.now(),
): SignatureCheck {
  if (!timestamp || !signature) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: "malformed" };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_WINDOW_SEC) return { ok: false, reason: "stale" };
  const expected = Buffer.from(signPayload(secret, timestamp, rawBody), "hex");
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "mismatch" };
  return { ok: true };
}
