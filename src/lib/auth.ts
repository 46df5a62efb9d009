// Access tokens: JWT HS256 with claims sub (positive integer as a string),
// role and exp (and iat). Signed and checked here with node:crypto's
// synchronous HMAC: the same tokens a JWT library makes, at a few µs instead
// of the 100–200 µs an async WebCrypto verify costs per request.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { parseDecimalId } from "./schemas.ts";

export const ROLES = ["viewer", "anchor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: number;
  role: Role;
}

export const DEFAULT_TOKEN_TTL_SEC = 7 * 24 * 3600;

const base64url = (s: string) => Buffer.from(s).toString("base64url");
const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

const keys = new Map<string, KeyObject>();
function hmac(secret: string, signingInput: string): Buffer {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret))));
  return createHmac("sha256", key).update(signingInput).digest();
}

export function signToken(secret: string, p: Principal, ttlSec = DEFAULT_TOKEN_TTL_SEC): string {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${HEADER}.${base64url(JSON.stringify({ sub: String(p.userId), role: p.role, iat: now, exp: now + ttlSec }))}`;
  return `${signingInput}.${hmac(secret, signingInput).toString("base64url")}`;
}

/** `typ` as JWT spells it: absent, or "JWT" in any case, with or without "application/". */
const isJwtTyp = (typ: unknown) => typ === undefined || (typeof typ === "string" && typ.toLowerCase().replace(/^application\//, "") === "jwt");
/** A time claim: absent, or a finite number that `ok` accepts. */
const timeClaim = (v: unknown, ok: (t: number) => boolean) => v === undefined || (typeof v === "number" && Number.isFinite(v) && ok(v));

function decodePart(part: string): Record<string, unknown> | null {
  const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString());
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
}

/** The principal and expiry (unix seconds) a token carries, or null when it is forged, malformed, not yet valid or expired. */
function verifyClaims(secret: string, token: string): { principal: Principal; exp: number } | null {
  const dot1 = token.indexOf(".");
  const dot2 = token.indexOf(".", dot1 + 1);
  if (dot1 < 0 || dot2 < 0 || token.indexOf(".", dot2 + 1) >= 0) return null;
  // The signature first: nothing of a forged token is parsed.
  const signature = token.slice(dot2 + 1);
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(signature)) return null;
  const given = Buffer.from(signature, "base64url");
  const expected = hmac(secret, token.slice(0, dot2));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = decodePart(token.slice(0, dot1));
    const claims = decodePart(token.slice(dot1 + 1, dot2));
    if (!header || !claims || header.alg !== "HS256" || !isJwtTyp(header.typ) || "crit" in header) return null;
    const now = Math.floor(Date.now() / 1000);
    if (!timeClaim(claims.nbf, (t) => t <= now) || !timeClaim(claims.iat, (t) => t <= now)) return null;
    const { sub, role, exp } = claims;
    // A user id beyond 2^53-1 would round onto another user's id.
    if (typeof sub !== "string" || parseDecimalId(sub) === null) return null;
    if (!ROLES.includes(role as Role) || !Number.isInteger(exp) || (exp as number) <= now) return null;
    return { principal: { userId: Number(sub), role: role as Role }, exp: exp as number };
  } catch {
    return null;
  }
}

/** The principal a token carries, or null when it is missing, forged, malformed or expired. */
export function verifyToken(secret: string, token: string | undefined | null): Principal | null {
  return token ? (verifyClaims(secret, token)?.principal ?? null) : null;
}

/**
 * verifyToken with a memory: a token verified once is answered from a bounded
 * map until its own `exp` (HMAC verification costs more than the rest of a
 * refused flash-sale order). Only tokens that verified are kept, so forged
 * ones cannot crowd out real ones; the oldest entry goes when the map is full.
 */
export function createTokenVerifier(secret: string, maxEntries = 10_000): (token: string | undefined | null) => Principal | null {
  const verified = new Map<string, { principal: Principal; expMs: number }>();
  return (token) => {
    if (!token) return null;
    const hit = verified.get(token);
    if (hit) {
      if (hit.expMs > Date.now()) return hit.principal;
      verified.delete(token);
      return null;
    }
    const checked = verifyClaims(secret, token);
    if (!checked) return null;
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal: checked.principal, expMs: checked.exp * 1000 });
    return checked.principal;
  };
}

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}
