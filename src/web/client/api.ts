// The one way the pages call Ovation: JSON in the {code, msg, data} envelope
//. Every failure becomes an ApiError whose message is the server's
// own `msg`, so pages can show it as is.
import { loadSession } from "./session.ts";

/** TOKEN_ERROR: the token is missing, invalid or expired. */
export const TOKEN_ERROR = 100002;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const session = loadSession();
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 0, "Ovation cannot be reached (network error); try again in a moment");
  }
  let envelope: { code?: number; msg?: string; data?: T };
  try {
    envelope = await res.json();
  } catch {
    throw new ApiError(res.status, 0, `the server answered HTTP ${res.status} without a JSON body`);
  }
  if (envelope.code !== 0) throw new ApiError(res.status, envelope.code ?? 0, envelope.msg || `HTTP ${res.status}`);
  return envelope.data as T;
}

/** The message to show for any failure. */
export const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A fresh requestId for a retry-safe write: 22 random base-62 characters.
 * crypto.getRandomValues works on plain-http LAN addresses too, where
 * crypto.randomUUID (secure contexts only) does not exist.
 */
export function newRequestId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  return Array.from(bytes, (b) => alphabet[b % 62]).join("");
}
