// The demo's sign-in: POST /api/dev/token exists only when the server runs
// with OVATION_DEV_LOGIN=1; the token it mints becomes this tab's session.
import { api } from "./api.ts";
import { saveToken, type Role, type Session } from "./session.ts";

export async function devSignIn(userId: number, role: Role): Promise<Session> {
  const { token } = await api<{ token: string }>("POST", "/api/dev/token", { userId, role });
  return saveToken(token);
}
