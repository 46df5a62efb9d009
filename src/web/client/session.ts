// Who this tab is signed in as: a token kept in sessionStorage (one tab, one
// user, so two windows can be two viewers), minted by the dev login or pasted.
export const ROLES = ["viewer", "anchor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Session {
  token: string;
  userId: number;
  role: Role;
  /** Expiry, unix seconds. */
  exp: number;
}

const STORAGE_KEY = "ovation.session";

/** The claims of a JWT (not verified here: the server does that on every call). */
export function sessionFromToken(token: string): Session | null {
  const payload = token.trim().split(".")[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const userId = Number(json.sub);
    if (!Number.isSafeInteger(userId) || userId <= 0 || !ROLES.includes(json.role) || typeof json.exp !== "number") return null;
    return { token: token.trim(), userId, role: json.role, exp: json.exp };
  } catch {
    return null;
  }
}

export function loadSession(): Session | null {
  const token = sessionStorage.getItem(STORAGE_KEY);
  const s = token ? sessionFromToken(token) : null;
  if (!s || s.exp * 1000 <= Date.now()) return null;
  return s;
}

export function saveToken(token: string): Session {
  const s = sessionFromToken(token);
  if (!s) throw new Error("that is not an Ovation access token (a JWT with sub, role and exp)");
  sessionStorage.setItem(STORAGE_KEY, s.token);
  return s;
}

export function clearSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
