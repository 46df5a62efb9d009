// The HTTP platform on both profiles: auth, roles, rate limits, the error
// envelope, body limits, operations endpoints, rooms.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import type { Deps } from "./deps.ts";
import { MAX_BODY_BYTES } from "./app.ts";
import { ErrorCode, ErrorStatus } from "./lib/errors.ts";
import { TradeType } from "./wallet/types.ts";
import { createDeployment, eventually, serve, TEST_SECRET, token, type Client, type Deployment } from "../test/harness.ts";
import { profilesUnderTest } from "../test/services.ts";

describe.each(profilesUnderTest())("the HTTP platform on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn();
    const s = await serve(deps);
    client = s.client;
    stop = s.server.stop;
  });
  afterAll(async () => {
    await stop();
    await deployment.destroy();
  });

  test("no token, a forged token, an expired token: 401 TOKEN_ERROR", async () => {
    const none = await client.call("GET", "/api/wallet");
    expect(none.status).toBe(ErrorStatus.TOKEN_ERROR);
    expect(none.code).toBe(ErrorCode.TOKEN_ERROR);
    const forged = await sign({ sub: "7", role: "admin", exp: Math.floor(Date.now() / 1000) + 60 }, "not-the-secret-at-all", "HS256");
    expect((await client.call("GET", "/api/wallet", { as: forged })).status).toBe(ErrorStatus.TOKEN_ERROR);
    const expired = await sign({ sub: "7", role: "viewer", exp: Math.floor(Date.now() / 1000) - 5 }, TEST_SECRET, "HS256");
    const r = await client.call("GET", "/api/wallet", { as: expired });
    expect(r.status).toBe(ErrorStatus.TOKEN_ERROR);
    expect(r.code).toBe(ErrorCode.TOKEN_ERROR);
    const badClaims = await sign({ sub: "-3", role: "viewer", exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRET, "HS256");
    expect((await client.call("GET", "/api/wallet", { as: badClaims })).status).toBe(ErrorStatus.TOKEN_ERROR);
  });

  test("a viewer on an admin route: 403 FORBIDDEN, nothing granted", async () => {
    const r = await client.call("POST", "/api/admin/wallet/grant", { as: { userId: 8, role: "viewer" }, body: { userId: 8, amount: 1000, requestId: "steal" } });
    expect(r.status).toBe(ErrorStatus.FORBIDDEN);
    expect(r.code).toBe(ErrorCode.FORBIDDEN);
    expect((await client.call<{ balance: number }>("GET", "/api/wallet", { as: { userId: 8, role: "viewer" } })).data.balance).toBe(0);
  });

  test("a second room start within 10 s: 429 with the limit's message", async () => {
    const anchor = { userId: 600, role: "anchor" as const };
    const first = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: anchor, body: { title: "one", type: 0 } });
    expect(first.status).toBe(201);
    const second = await client.call("POST", "/api/rooms", { as: anchor, body: { title: "two", type: 0 } });
    expect(second.status).toBe(ErrorStatus.RATE_LIMITED);
    expect(second.code).toBe(ErrorCode.RATE_LIMITED);
    expect(second.msg).toContain("10 seconds");
    const room = await client.call<{ status: string; anchorId: number; shopEnabled: boolean }>("GET", `/api/rooms/${first.data.roomId}`);
    expect(room.data).toMatchObject({ status: "living", anchorId: 600, shopEnabled: false });
    const list = await client.call<{ items: { roomId: number }[]; hasMore: boolean }>("GET", "/api/rooms?page=1&pageSize=100");
    expect(list.data.items.some((r) => r.roomId === first.data.roomId)).toBe(true);
  });

  test("only the room's anchor closes it; a viewer cannot start one", async () => {
    const anchor = { userId: 601, role: "anchor" as const };
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: anchor, body: { title: "mine", type: 1 } });
    const other = await client.call("POST", `/api/rooms/${room.data.roomId}/close`, { as: { userId: 602, role: "anchor" } });
    expect(other.status).toBe(ErrorStatus.FORBIDDEN);
    expect((await client.call("POST", "/api/rooms", { as: { userId: 9, role: "viewer" }, body: { title: "x", type: 0 } })).status).toBe(ErrorStatus.FORBIDDEN);
    expect((await client.call("GET", "/api/rooms/99999999")).code).toBe(ErrorCode.ROOM_NOT_FOUND);
  });

  test("bad input names the field; unknown routes and bad JSON get the envelope", async () => {
    const admin = { userId: 1, role: "admin" as const };
    const r = await client.call("POST", "/api/admin/wallet/grant", { as: admin, body: { userId: 5, amount: -4, requestId: "neg" } });
    expect(r.status).toBe(ErrorStatus.PARAM_ERROR);
    expect(r.code).toBe(ErrorCode.PARAM_ERROR);
    expect(r.msg).toStartWith("amount");
    const page = await client.call("GET", "/api/rooms?pageSize=500");
    expect(page.status).toBe(ErrorStatus.PARAM_ERROR);
    expect(page.msg).toStartWith("pageSize");
    const res = await fetch(`${client.url}/api/admin/wallet/grant`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token(1, "admin")}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(ErrorStatus.PARAM_ERROR);
    expect(((await res.json()) as { msg: string }).msg).toContain("JSON");
    const notJson = await fetch(`${client.url}/api/admin/wallet/grant`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token(1, "admin")}`, "content-type": "text/plain" },
      body: JSON.stringify({ userId: 5, amount: 4, requestId: "text-plain" }),
    });
    expect(notJson.status).toBe(ErrorStatus.PARAM_ERROR);
    expect(await notJson.json()).toMatchObject({ code: ErrorCode.PARAM_ERROR, msg: expect.stringContaining("application/json") });
    const empty = await fetch(`${client.url}/api/admin/wallet/grant`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token(1, "admin")}`, "content-type": "application/json" },
    });
    expect(await empty.json()).toMatchObject({ code: ErrorCode.PARAM_ERROR, msg: expect.stringMatching(/^userId/) });
    // JSON is judged by the media type before any parameters; what is not JSON is a PARAM_ERROR, never a 500.
    const grantAs = async (contentType: string, requestId: string) => {
      const r = await fetch(`${client.url}/api/admin/wallet/grant`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token(1, "admin")}`, "content-type": contentType },
        body: JSON.stringify({ userId: 6, amount: 1, requestId }),
      });
      return { status: r.status, ...((await r.json()) as { code: number; msg: string }) };
    };
    for (const [i, contentType] of ["application/json; charset=utf-8", "application/json ; charset=utf-8", "Application/JSON;charset=UTF-8;", "application/vnd.ovation+json"].entries()) {
      expect({ contentType, ...(await grantAs(contentType, `media-${i}`)) }).toMatchObject({ contentType, status: 200, code: 0 });
    }
    for (const contentType of ["application/json-patch", "application/jsonx", "text/json", "multipart/form-data"]) {
      expect({ contentType, ...(await grantAs(contentType, "media-refused")) }).toMatchObject({ contentType, status: ErrorStatus.PARAM_ERROR, msg: expect.stringContaining("application/json") });
    }
    const missing = await client.call("GET", "/api/nothing-here");
    expect(missing.status).toBe(ErrorStatus.NOT_FOUND);
    expect(missing.code).toBe(ErrorCode.NOT_FOUND);
  });

  test("a body over the limit is refused before it reaches the store", async () => {
    const res = await fetch(`${client.url}/api/admin/gifts`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token(1, "admin")}`, "content-type": "application/json" },
      body: JSON.stringify({ giftName: "x".repeat(MAX_BODY_BYTES + 10), price: 1 }),
    });
    expect(res.status).toBe(ErrorStatus.PAYLOAD_TOO_LARGE);
    const gifts = await client.call<unknown[]>("GET", "/api/gifts");
    expect(gifts.data.length).toBe(0);
  });

  test("admin grant: once per requestId; the same requestId with another amount conflicts", async () => {
    const admin = { userId: 1, role: "admin" as const };
    const body = { userId: 77, amount: 50, requestId: "grant-once" };
    const results = await Promise.all(Array.from({ length: 6 }, () => client.call("POST", "/api/admin/wallet/grant", { as: admin, body })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => (r.data as { tradeId: number }).tradeId)).size).toBe(1);
    const conflict = await client.call("POST", "/api/admin/wallet/grant", { as: admin, body: { ...body, amount: 51 } });
    expect(conflict.status).toBe(ErrorStatus.IDEMPOTENCY_CONFLICT);
    const wallet = await client.call<{ balance: number; totalCharged: number }>("GET", "/api/wallet", { as: { userId: 77, role: "viewer" } });
    expect(wallet.data.balance).toBe(50);
    expect(wallet.data.totalCharged).toBe(0);
    const trades = await client.call<{ items: { num: number; type: number; bizId: string }[] }>("GET", "/api/wallet/trades", { as: { userId: 77, role: "viewer" } });
    expect(trades.data.items).toHaveLength(1);
    expect(trades.data.items[0]).toMatchObject({ num: 50, type: TradeType.ADMIN_GRANT, bizId: "grant:grant-once" });
  });

  test("dev token endpoint mints a working token", async () => {
    const r = await client.call<{ token: string }>("POST", "/api/dev/token", { body: { userId: 42, role: "anchor" } });
    expect(r.status).toBe(200);
    const w = await client.call<{ userId: number }>("GET", "/api/wallet", { as: r.data.token });
    expect(w.data.userId).toBe(42);
  });

  test("healthz, readyz, metrics, openapi and docs", async () => {
    expect((await fetch(`${client.url}/healthz`)).status).toBe(200);
    // Consumers join in the background after the port opened: ready once they run.
    const ready = await eventually(async () => {
      const r = await fetch(`${client.url}/readyz`);
      return r.status === 200 ? r : null;
    });
    expect(((await ready.json()) as { data: unknown }).data).toEqual({ store: "ok", hot: "ok", log: "ok", consumers: { "send_gift/gift-persister": "running" } });
    const metrics = await (await fetch(`${client.url}/metrics`)).text();
    expect(metrics).toContain('ovation_http_requests_total{method="GET",route="GET /api/rooms/:roomId"');
    expect(metrics).toContain("ovation_http_request_duration_seconds_bucket");
    expect(metrics).toContain('route="GET /healthz"');
    expect(metrics).toMatch(/route="unmatched",status="404"/);
    expect(metrics).toContain("ovation_consumer_lag");
    const spec = (await (await fetch(`${client.url}/openapi.json`)).json()) as { paths: Record<string, unknown>; "x-error-codes": Record<string, { code: number; status: number }> };
    expect(Object.keys(spec.paths)).toContain("/api/gifts/send");
    expect(Object.keys(spec.paths)).toContain("/api/rooms/{roomId}/close");
    for (const op of ["/healthz", "/readyz", "/metrics", "/ws", "/sandbox/pay/{orderId}"]) expect(Object.keys(spec.paths)).toContain(op);
    expect(spec["x-error-codes"].ROOM_NOT_FOUND).toEqual({ code: ErrorCode.ROOM_NOT_FOUND, status: ErrorStatus.ROOM_NOT_FOUND });
    const docs = await (await fetch(`${client.url}/docs`)).text();
    expect(docs).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(docs).not.toContain("https://");
    const asset = await fetch(`${client.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
  });

  test("a failure inside a handler answers SYSTEM_ERROR without a stack trace", async () => {
    const other = await deployment.spawn({ consumers: false });
    const s = await serve(other);
    await other.store.close();
    const r = await fetch(`${s.client.url}/api/wallet`, { headers: { authorization: `Bearer ${await token(3, "viewer")}` } });
    expect(r.status).toBe(ErrorStatus.SYSTEM_ERROR);
    const text = await r.text();
    expect(JSON.parse(text)).toEqual({ code: ErrorCode.SYSTEM_ERROR, msg: "internal error", data: null });
    expect(text).not.toContain("at ");
    await s.server.stop();
  });
});
