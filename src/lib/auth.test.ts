import { describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import { createTokenVerifier, signToken } from "./auth.ts";

const SECRET = "auth-test-secret-0123456789";

describe("createTokenVerifier", () => {
  test("answers a verified token from memory, and refuses it once its exp has passed", async () => {
    const verify = createTokenVerifier(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await sign({ sub: "42", role: "viewer", iat: now, exp: now + 1 }, SECRET, "HS256");
    expect(await verify(shortLived)).toEqual({ userId: 42, role: "viewer" });
    expect(await verify(shortLived)).toEqual({ userId: 42, role: "viewer" });
    await Bun.sleep((now + 1) * 1000 - Date.now() + 5);
    expect(await verify(shortLived)).toBeNull();
  });

  test("refuses forged, malformed and missing tokens every time", async () => {
    const verify = createTokenVerifier(SECRET);
    const forged = await signToken("another-secret-0123456789", { userId: 7, role: "admin" });
    for (let i = 0; i < 2; i++) {
      expect(await verify(forged)).toBeNull();
      expect(await verify("not.a.jwt")).toBeNull();
      expect(await verify(undefined)).toBeNull();
    }
  });

  test("stays bounded: the oldest entry goes, and is verified afresh when it comes back", async () => {
    const verify = createTokenVerifier(SECRET, 2);
    const tokens = await Promise.all([1, 2, 3].map((userId) => signToken(SECRET, { userId, role: "viewer" })));
    for (const t of tokens) expect(await verify(t)).not.toBeNull();
    expect(await verify(tokens[0]!)).toEqual({ userId: 1, role: "viewer" });
  });
});
