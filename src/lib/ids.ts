// Identifiers. Client request ids are chosen by clients; everything we mint
// is a nanoid (URL-safe, 21 chars, collision-free across processes and
// machines without coordination).
import { createHash } from "node:crypto";
import { nanoid } from "nanoid";

export function newId(): string {
  return nanoid();
}

/** A short stable digest of a request's meaningful fields, for idempotency checks. */
export function fingerprint(...parts: (string | number)[]): string {
  return createHash("sha256").update(parts.join("\u001f")).digest("base64url").slice(0, 22);
}
