import { describe, expect, test } from "bun:test";
import { sign, verify as joseVerify } from "hono/jwt";
import { createTokenVerifier, signToken, verifyToken } from "./auth.ts";

const SECRET = "auth-test-secret-0123456789";

describe("signToken and verifyToken", () => {
  test("make and read standard HS256 JWTs: a JWT library reads ours, and we read its", async () => {
    const token = signToken(SECRET, { userId: 42, role: "anchor" }, 60);
    const now = Math.floor(Date.now() / 1000);
    const read = (await joseVerify(token, SECRET, "HS256")) as { sub: string; role: string; iat: number; exp: number };
    expect({ sub: read.sub, role: read.role, ttl: read.exp - read.iat }).toEqual({ sub: "42", role: "anchor", ttl: 60 });
    expect(verifyToken(SECRET, await sign({ sub: "42", role: "anchor", iat: now, exp: now + 60 }, SECRET, "HS256"))).toEqual({ userId: 42, role: "anchor" });
  });

  test("refuses what a JWT library refuses: another algorithm, not yet valid, issued in the future, tampered", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "42", role: "viewer", exp: now + 60 };
    expect(verifyToken(SECRET, await sign(claims, SECRET, "HS512"))).toBeNull();
    expect(verifyToken(SECRET, await sign({ ...claims, nbf: now + 30 }, SECRET, "HS256"))).toBeNull();
    expect(verifyToken(SECRET, await sign({ ...claims, iat: now + 30 }, SECRET, "HS256"))).toBeNull();
    expect(verifyToken(SECRET, await sign({ ...claims, exp: now + 60.5 }, SECRET, "HS256"))).toBeNull();
    const [h, , sig] = signToken(SECRET, { userId: 42, role: "viewer" }).split(".");
    const admin = Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url");
    expect(verifyToken(SECRET, `${h}.${admin}.${sig}`)).toBeNull();
  });
});

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
