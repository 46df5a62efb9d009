// Identifiers. Client request ids are chosen by clients; everything we mint
// is a nanoid (URL-safe, 21 chars, collision-free across processes and
// machines without coordination).
import { hash } from "node:crypto";
import { nanoid } from "nanoid";

export function newId(): string {
  return nanoid();
}

/**
 * A short stable digest of a request's meaningful fields, for idempotency
 * checks. The one-shot `hash` gives the same SHA-256 as a Hash object at a
 * third of its cost (every gift send computes one).
 */
export function fingerprint(...parts: (string | number)[]): string {
  return hash("sha256", parts.join("\u001f"), "base64url").slice(0, 22);
}
