// Access tokens: JWT HS256 with claims sub (positive integer as a string),
// role and exp.
import { sign, verify } from "hono/jwt";
import { z } from "zod";
import { parseDecimalId } from "./schemas.ts";

export const ROLES = ["viewer", "anchor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: number;
  role: Role;
}

const claimsSchema = z.object({
  // A user id beyond 2^53-1 would round onto another user's id.
  sub: z.string().refine((s) => parseDecimalId(s) !== null),
  role: z.enum(ROLES),
  exp: z.number().int(),
});

export const DEFAULT_TOKEN_TTL_SEC = 7 * 24 * 3600;

export async function signToken(secret: string, p: Principal, ttlSec = DEFAULT_TOKEN_TTL_SEC): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: String(p.userId), role: p.role, iat: now, exp: now + ttlSec }, secret, "HS256");
}

/** The principal a token carries, or null when it is missing, forged, malformed or expired. */
export async function verifyToken(secret: string, token: string | undefined | null): Promise<Principal | null> {
  if (!token) return null;
  try {
    const payload = await verify(token, secret, "HS256");
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return null;
    return { userId: Number(claims.data.sub), role: claims.data.role };
  } catch {
    return null;
  }
}

/**
 * verifyToken with a memory: a token verified once is answered from a bounded
 * map until its own `exp` (HMAC verification costs more than the rest of a
 * refused flash-sale order). Only tokens that verified are kept, so forged
 * ones cannot crowd out real ones; the oldest entry goes when the map is full.
 */
export function createTokenVerifier(secret: string, maxEntries = 10_000): (token: string | undefined | null) => Promise<Principal | null> {
  const verified = new Map<string, { principal: Principal; expMs: number }>();
  return async (token) => {
    if (!token) return null;
    const hit = verified.get(token);
    if (hit) {
      if (hit.expMs > Date.now()) return hit.principal;
      verified.delete(token);
      return null;
    }
    const principal = await verifyToken(secret, token);
    if (!principal) return null;
    const exp = (JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { exp: number }).exp;
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal, expMs: exp * 1000 });
    return principal;
  };
}

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}
