// Hostile input on both profiles: every id a route takes is a positive safe
// integer of the right JSON type (body) or canonical decimal digits (path,
// query, token sub), and every free-text field refuses control, bidi and
// lone-surrogate characters. Each refusal is 400 PARAM_ERROR naming the
// field, and nothing is stored or credited.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import type { Deps } from "./deps.ts";
import { MAX_BODY_BYTES } from "./app.ts";
import { ErrorCodes } from "./lib/errors.ts";
import { MAX_REQUEST_BODY_BYTES } from "./server.ts";
import { createDeployment, serve, TEST_SECRET, token, type Client, type Deployment } from "../test/harness.ts";
import { profilesUnderTest } from "../test/services.ts";

const PARAM_ERROR = ErrorCodes.PARAM_ERROR[0];
/** Bun's own limit on a request's header block (its --max-http-header-size default). */
const BUN_MAX_HEADER_BYTES = 16 * 1024;
const TOKEN_ERROR = ErrorCodes.TOKEN_ERROR[0];

/** JSON values that are not an id, each of which once passed or was coerced. */
const BAD_BODY_IDS: unknown[] = [true, false, null, [24], { id: 24 }, "24", "0x18", "2.4e1", " 24 ", "", 1.5, 0, -1, 2 ** 53, 1e300];
/** Path and query spellings that are not a canonical id (leading zeros refused: one id, one spelling). */
const BAD_PATH_IDS = ["1%20", "%2024", "0x18", "+1", "-1", "01", "0", "1.0", "2.4e1", "9007199254740992", "99999999999999999", "abc"];
/** Text that must not be stored: C0/C1 controls (tab, CR, LF included), bidi overrides/isolates, lone surrogates. */
const BAD_TEXT = ["a\u0000b", "line\nbreak", "cr\rhere", "tab\there", "trailing\n", "del\u007f", "c1\u0085", "c1\u009b", "rtl\u202eevil", "lre\u202a", "iso\u2066x\u2069", "fsi\u2068", "lone\ud800", "lone\udfff"];

describe.each(profilesUnderTest())("hostile input on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stop: () => Promise<void>;
  const admin = { userId: 1, role: "admin" as const };

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn({ consumers: false });
    const s = await serve(deps);
    client = s.client;
    stop = s.server.stop;
  });
  afterAll(async () => {
    await stop();
    await deployment.destroy();
  });

  async function expectParamError(r: Promise<{ status: number; code: number; msg: string }>, field: string, what: unknown) {
    const answer = await r;
    expect({ what, status: answer.status, code: answer.code, field: answer.msg.split(":")[0] }).toEqual({ what, status: 400, code: PARAM_ERROR, field });
  }

  test("ids in JSON bodies must be JSON numbers that are positive safe integers, on every endpoint", async () => {
    await deps.gifts.catalogue.create({ giftId: 24, giftName: "rose", price: 1 });
    for (const bad of BAD_BODY_IDS) {
      await expectParamError(client.call("POST", "/api/admin/wallet/grant", { as: admin, body: { userId: bad, amount: 10, requestId: "g1" } }), "userId", bad);
      await expectParamError(client.call("POST", "/api/dev/token", { body: { userId: bad, role: "viewer" } }), "userId", bad);
      const send = { giftId: 24, roomId: 1, receiverId: 2 };
      for (const field of ["giftId", "roomId", "receiverId"] as const) {
        await expectParamError(client.call("POST", "/api/gifts/send", { as: { userId: 3, role: "viewer" }, body: { ...send, [field]: bad } }), field, bad);
      }
      await expectParamError(client.call("POST", "/api/admin/gifts", { as: admin, body: { giftId: bad, giftName: "x", price: 1 } }), "giftId", bad);
      await expectParamError(client.call("POST", "/api/bank/orders", { as: { userId: 4, role: "viewer" }, body: { productId: bad, paySource: 1, payChannel: 1 } }), "productId", bad);
      if (bad !== null) {
        // parentId may be null (a top-level category); every other bad value is refused.
        await expectParamError(client.call("POST", "/api/admin/categories", { as: admin, body: { categoryName: "c", level: 2, parentId: bad } }), "parentId", bad);
      }
      await expectParamError(client.call("POST", "/api/admin/skus", { as: admin, body: { skuCode: "s1", name: "n", skuPrice: 1, categoryId: bad } }), "categoryId", bad);
      await expectParamError(client.call("PUT", "/api/admin/anchors/7/skus", { as: admin, body: { skuIds: [bad] } }), "skuIds.0", bad);
      await expectParamError(client.call("POST", "/api/shop/rooms/1/cart/items", { as: { userId: 3, role: "viewer" }, body: { skuId: bad, count: 1 } }), "skuId", bad);
    }
    expect(await deps.store.db.selectFrom("anchor_shop").selectAll().execute()).toEqual([]);
    // Nothing was credited to the users `true`, `[24]`, "0x18" … once meant.
    for (const userId of [1, 24]) {
      const w = await client.call<{ balance: number }>("GET", "/api/wallet", { as: { userId, role: "viewer" } });
      expect(w.data.balance).toBe(0);
    }
    expect(await deps.store.db.selectFrom("currency_trade").select("id").execute()).toEqual([]);
    // The largest safe id is still an id.
    const max = await client.call<{ token: string }>("POST", "/api/dev/token", { body: { userId: Number.MAX_SAFE_INTEGER, role: "viewer" } });
    expect(max.status).toBe(200);
  });

  test("ids in paths and queries must be canonical decimal digits", async () => {
    const anchor = { userId: 700, role: "anchor" as const };
    for (const bad of BAD_PATH_IDS) {
      await expectParamError(client.call("GET", `/api/rooms/${bad}`), "roomId", bad);
      await expectParamError(client.call("POST", `/api/rooms/${bad}/close`, { as: { userId: 700 + BAD_PATH_IDS.indexOf(bad), role: "anchor" } }), "roomId", bad);
      await expectParamError(client.call("GET", `/api/gifts/${bad}`), "giftId", bad);
      await expectParamError(client.call("PUT", `/api/admin/gifts/${bad}`, { as: admin, body: { price: 2 } }), "giftId", bad);
      await expectParamError(client.call("GET", `/api/wallet/trades?cursor=${bad}`, { as: anchor }), "cursor", bad);
      await expectParamError(client.call("GET", `/api/gifts/records?cursor=${bad}`, { as: anchor }), "cursor", bad);
      await expectParamError(client.call("GET", `/api/rooms?page=${bad}`), "page", bad);
      await expectParamError(client.call("GET", `/api/shop/skus/${bad}`), "skuId", bad);
      await expectParamError(client.call("GET", `/api/shop/skus/${bad}/stock`), "skuId", bad);
      await expectParamError(client.call("PUT", `/api/admin/skus/${bad}`, { as: admin, body: { skuPrice: 2 } }), "skuId", bad);
      await expectParamError(client.call("PUT", `/api/admin/skus/${bad}/stock`, { as: admin, body: { stockNum: 2 } }), "skuId", bad);
      await expectParamError(client.call("GET", `/api/shop/anchors/${bad}/skus`), "anchorId", bad);
      await expectParamError(client.call("PUT", `/api/admin/anchors/${bad}/skus`, { as: admin, body: { skuIds: [] } }), "anchorId", bad);
      await expectParamError(client.call("POST", `/api/shop/anchors/${bad}/stock/preheat`, { as: admin }), "anchorId", bad);
      const shopper = { userId: 9, role: "viewer" as const };
      await expectParamError(client.call("GET", `/api/shop/rooms/${bad}/cart`, { as: shopper }), "roomId", bad);
      await expectParamError(client.call("POST", `/api/shop/rooms/${bad}/cart/items`, { as: shopper, body: { skuId: 1 } }), "roomId", bad);
      await expectParamError(client.call("PATCH", `/api/shop/rooms/1/cart/items/${bad}`, { as: shopper, body: { count: 1 } }), "skuId", bad);
      await expectParamError(client.call("DELETE", `/api/shop/rooms/${bad}/cart`, { as: shopper }), "roomId", bad);
      await expectParamError(client.call("POST", `/api/shop/rooms/${bad}/orders`, { as: shopper, body: {} }), "roomId", bad);
      await expectParamError(client.call("GET", `/api/shop/orders?roomId=${bad}`, { as: shopper }), "roomId", bad);
      // The viewer's HTML page for a room follows the same rule: not found.
      expect({ bad, status: (await fetch(`${client.url}/rooms/${bad}`)).status }).toEqual({ bad, status: 404 });
      const ws = await fetch(`${client.url}/ws?roomId=${bad}&token=${await token(5, "viewer")}`);
      expect({ bad, status: ws.status, body: await ws.json() }).toMatchObject({ bad, status: 400, body: { code: PARAM_ERROR, msg: expect.stringMatching(/^roomId:/) } });
    }
    for (const bad of ["0x10", " 5", "5 ", "1e1", "-1", "101"]) {
      await expectParamError(client.call("GET", `/api/rooms?pageSize=${encodeURIComponent(bad)}`), "pageSize", bad);
      await expectParamError(client.call("GET", `/api/wallet/trades?limit=${encodeURIComponent(bad)}`, { as: anchor }), "limit", bad);
    }
    await expectParamError(client.call("GET", "/api/bank/products?type=0x1", { as: anchor }), "type", "0x1");
    // The canonical spellings still work.
    expect((await client.call("GET", "/api/rooms/9007199254740991")).code).toBe(ErrorCodes.ROOM_NOT_FOUND[0]);
    expect((await client.call("GET", "/api/rooms?page=1&pageSize=100")).status).toBe(200);
    expect((await client.call("GET", "/api/wallet/trades?cursor=5&limit=7", { as: anchor })).status).toBe(200);
  });

  test("a token whose sub is not a positive safe integer is TOKEN_ERROR 401, and no account appears for it", async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const sub of ["9007199254740992", "9007199254740993", "9999999999999999", "0", "01", "0x18", "1.5", "-1", " 1", ""]) {
      const t = await sign({ sub, role: "viewer", exp }, TEST_SECRET, "HS256");
      const r = await client.call("GET", "/api/wallet", { as: t });
      expect({ sub, status: r.status, code: r.code }).toEqual({ sub, status: 401, code: TOKEN_ERROR });
    }
    const numeric = await sign({ sub: 7, role: "viewer", exp }, TEST_SECRET, "HS256");
    expect((await client.call("GET", "/api/wallet", { as: numeric })).status).toBe(401);
    const accounts = await deps.store.db.selectFrom("currency_account").select("user_id").execute();
    expect(accounts.map((a) => Number(a.user_id)).filter((id) => id > Number.MAX_SAFE_INTEGER - 2)).toEqual([]);
    const ok = await sign({ sub: String(Number.MAX_SAFE_INTEGER), role: "viewer", exp }, TEST_SECRET, "HS256");
    const w = await client.call<{ userId: number }>("GET", "/api/wallet", { as: ok });
    expect(w.data.userId).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("room titles, gift names, shop names, remarks and URLs refuse control, bidi and lone-surrogate characters; nothing is stored", async () => {
    let anchorId = 800;
    const sku = { skuCode: "text-sku", name: "ok", skuPrice: 1, categoryId: 1 };
    for (const bad of BAD_TEXT) {
      await expectParamError(client.call("POST", "/api/admin/categories", { as: admin, body: { categoryName: bad, level: 1 } }), "categoryName", bad);
      for (const field of ["name", "phone", "detail"]) {
        const address = { name: "Li", phone: "123", detail: "Road 1", [field]: bad };
        await expectParamError(client.call("POST", "/api/shop/rooms/1/orders", { as: { userId: 3, role: "viewer" }, body: { address } }), `address.${field}`, bad);
      }
      for (const field of ["name", "remark", "iconUrl", "originalIconUrl"]) {
        await expectParamError(client.call("POST", "/api/admin/skus", { as: admin, body: { ...sku, [field]: bad } }), field, bad);
      }
      await expectParamError(client.call("POST", "/api/rooms", { as: { userId: anchorId++, role: "anchor" }, body: { title: bad } }), "title", bad);
      await expectParamError(client.call("POST", "/api/admin/gifts", { as: admin, body: { giftId: 90, giftName: bad, price: 1 } }), "giftName", bad);
      for (const field of ["coverImgUrl", "svgaUrl"]) {
        await expectParamError(client.call("POST", "/api/admin/gifts", { as: admin, body: { giftId: 90, giftName: "ok", price: 1, [field]: `https://cdn.example/${bad}` } }), field, bad);
      }
    }
    expect(await deps.store.db.selectFrom("living_room").selectAll().execute()).toEqual([]);
    expect(await deps.store.db.selectFrom("category").selectAll().execute()).toEqual([]);
    expect(await deps.store.db.selectFrom("sku_info").selectAll().execute()).toEqual([]);
    expect((await client.call("GET", "/api/gifts/90")).code).toBe(ErrorCodes.GIFT_NOT_FOUND[0]);

    // Changing a gift is held to the same rules.
    const created = await client.call("POST", "/api/admin/gifts", { as: admin, body: { giftId: 91, giftName: "星星 ⭐", price: 3, coverImgUrl: "https://cdn.example/星.png" } });
    expect(created.status).toBe(201);
    await expectParamError(client.call("PUT", "/api/admin/gifts/91", { as: admin, body: { giftName: "bad\u202e" } }), "giftName", "bad\u202e");
    expect((await client.call<{ giftName: string }>("GET", "/api/gifts/91")).data.giftName).toBe("星星 ⭐");

    // Ordinary text — other scripts, emoji, inner spaces — is kept as sent (edges trimmed).
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: { userId: anchorId, role: "anchor" }, body: { title: "  晚安 🌙 live  " } });
    expect(room.status).toBe(201);
    expect((await client.call<{ title: string }>("GET", `/api/rooms/${room.data.roomId}`)).data.title).toBe("晚安 🌙 live");
  });

  test("what Bun answers before our code runs: oversized headers (431) and bodies (413) are bare; below Bun's limits, our envelope", async () => {
    // Just under Bun's header limit the request reaches us: the envelope.
    const under = await fetch(`${client.url}/api/wallet`, { headers: { "x-pad": "a".repeat(BUN_MAX_HEADER_BYTES - 1024) } });
    expect(under.status).toBe(401);
    expect(await under.json()).toMatchObject({ code: TOKEN_ERROR, data: null });
    // Over it, Bun (uWebSockets) answers 431 itself and closes the connection;
    // neither Hono nor Bun.serve's error handler sees the request.
    const over = await fetch(`${client.url}/api/wallet`, { headers: { "x-pad": "a".repeat(BUN_MAX_HEADER_BYTES + 1024) } });
    expect(over.status).toBe(431);
    expect(over.headers.get("connection")).toBe("close");
    expect(await over.text()).toBe("");
    // A body over our API limit: the envelope; over Bun's own limit: Bun's bare 413.
    const admin = { authorization: `Bearer ${await token(1, "admin")}`, "content-type": "application/json" };
    const big = await fetch(`${client.url}/api/admin/gifts`, { method: "POST", headers: admin, body: JSON.stringify({ giftName: "x".repeat(MAX_BODY_BYTES), price: 1 }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE[0], data: null });
    const huge = await fetch(`${client.url}/api/admin/gifts`, { method: "POST", headers: admin, body: "x".repeat(MAX_REQUEST_BODY_BYTES + 1) });
    expect(huge.status).toBe(413);
    expect(await huge.text()).toBe("");
    // The server serves on.
    expect((await fetch(`${client.url}/healthz`)).status).toBe(200);
  });
});
