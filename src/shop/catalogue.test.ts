// The live-commerce catalogue on both profiles: categories, SKUs, stock
// totals, which anchor sells what, the per-process caches dropped across
// processes, rooms' shopEnabled, and the demo seed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Deps } from "../deps.ts";
import { ErrorCodes, type ErrorName } from "../lib/errors.ts";
import type { Role } from "../lib/auth.ts";
import { DEMO, seedDemo } from "../ops/seed.ts";
import { createDeployment, eventually, serve, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import { DEMO_CATEGORY_PATH, DEMO_SKUS } from "./seed.ts";
import { ShopOrderStatus, type CategoryNode } from "./types.ts";

const ADMIN = { userId: 1, role: "admin" as const };
const VIEWER = { userId: 3001, role: "viewer" as const };
const ANCHOR = { userId: 3002, role: "anchor" as const };

/** [HTTP status, envelope code] of a named error. */
const failure = (name: ErrorName) => [ErrorCodes[name][1], ErrorCodes[name][0]];

type CallResult = { status: number; code: number; msg: string; data: any };

describe.each(profilesUnderTest())("the shop catalogue on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stopServer: () => Promise<void>;
  let leafCategoryId: number;
  let level2CategoryId: number;
  let nextCode = 0;
  let nextAnchor = 70_000;

  const admin = (method: string, path: string, body?: unknown) => client.call<any>(method, path, { as: ADMIN, body });
  const get = (path: string) => client.call<any>("GET", path);
  const expectFailure = (r: CallResult, name: ErrorName, field?: string) => {
    expect([r.status, r.code]).toEqual(failure(name));
    if (field) expect(r.msg).toContain(field);
  };
  const skuBody = (over: Record<string, unknown> = {}) => ({
    skuCode: `code-${profile}-${++nextCode}`,
    name: "Redmi Note",
    skuPrice: 999,
    iconUrl: "/i.png",
    originalIconUrl: "/o.png",
    remark: "a phone",
    categoryId: leafCategoryId,
    ...over,
  });
  async function createSku(over: Record<string, unknown> = {}): Promise<number> {
    const r = await admin("POST", "/api/admin/skus", skuBody(over));
    expect(r.status).toBe(201);
    return r.data.skuId;
  }
  /** Plants an order with one line straight in the database (orders have no endpoint yet). */
  async function plantOrderLine(skuId: number, userId: number, count: number, status: number) {
    const orderId = `planted-${profile}-${++nextCode}`;
    const now = Date.now();
    await deps.store.db
      .insertInto("shop_order")
      .values({
        order_id: orderId,
        user_id: userId,
        room_id: 1,
        anchor_id: ANCHOR.userId,
        request_id: null,
        status,
        cancel_reason: status === ShopOrderStatus.CANCEL ? "user" : null,
        total_price: count * 999,
        address_name: "n",
        address_phone: "p",
        address_detail: "d",
        expire_at: now + 60_000,
        pay_time: status === ShopOrderStatus.HAS_PAY ? now : null,
        create_time: now,
        update_time: now,
      })
      .execute();
    await deps.store.db
      .insertInto("shop_order_item")
      .values({ order_id: orderId, user_id: userId, sku_id: skuId, count, price: 999, status, create_time: now })
      .execute();
  }

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn({ consumers: false });
    const s = await serve(deps);
    client = s.client;
    stopServer = s.server.stop;
    const l1 = await admin("POST", "/api/admin/categories", { categoryName: "家电", level: 1 });
    const l2 = await admin("POST", "/api/admin/categories", { categoryName: "电视", level: 2, parentId: l1.data.categoryId });
    const l3 = await admin("POST", "/api/admin/categories", { categoryName: "OLED", level: 3, parentId: l2.data.categoryId });
    expect([l1.status, l2.status, l3.status]).toEqual([201, 201, 201]);
    level2CategoryId = l2.data.categoryId;
    leafCategoryId = l3.data.categoryId;
  });

  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
  });

  test("categories form a three-level tree; repeating a create answers the same categoryId", async () => {
    const again = await admin("POST", "/api/admin/categories", { categoryName: "OLED", level: 3, parentId: level2CategoryId });
    expect([again.status, again.data.categoryId]).toEqual([201, leafCategoryId]);
    const sibling = await admin("POST", "/api/admin/categories", { categoryName: "LCD", level: 3, parentId: level2CategoryId });
    expect(sibling.status).toBe(201);
    expect(sibling.data.categoryId).not.toBe(leafCategoryId);

    const tree = await get("/api/shop/categories");
    expect(tree.status).toBe(200);
    const root = (tree.data as CategoryNode[]).find((c) => c.categoryName === "家电")!;
    expect(root).toMatchObject({ level: 1, parentId: null });
    expect(root.children.map((c) => [c.categoryId, c.level, c.parentId])).toEqual([[level2CategoryId, 2, root.categoryId]]);
    expect(root.children[0]!.children.map((c) => [c.categoryName, c.level, c.parentId, c.children])).toEqual([
      ["OLED", 3, level2CategoryId, []],
      ["LCD", 3, level2CategoryId, []],
    ]);
  });

  test("category validation: levels 1..3, a parent exactly one level up, none for level 1", async () => {
    const root = (await get("/api/shop/categories")).data.find((c: CategoryNode) => c.categoryName === "家电") as CategoryNode;
    const cases: [Record<string, unknown>, string][] = [
      [{ categoryName: "x", level: 0 }, "level"],
      [{ categoryName: "x", level: 4, parentId: leafCategoryId }, "level"],
      [{ categoryName: "x", level: 1.5 }, "level"],
      [{ categoryName: "x", level: 1, parentId: root.categoryId }, "parentId"],
      [{ categoryName: "x", level: 2 }, "parentId"],
      [{ categoryName: "x", level: 3, parentId: root.categoryId }, "parentId"],
      [{ categoryName: "x", level: 2, parentId: 987_654 }, "parentId"],
      [{ categoryName: "x", level: 2, parentId: 0 }, "parentId"],
      [{ categoryName: "x", level: 2, parentId: String(root.categoryId) }, "parentId"],
      [{ categoryName: "  ", level: 1 }, "categoryName"],
    ];
    for (const [body, field] of cases) expectFailure(await admin("POST", "/api/admin/categories", body), "PARAM_ERROR", field);
    expect((await get("/api/shop/categories")).data.some((c: CategoryNode) => c.categoryName === "x")).toBe(false);
  });

  test("a SKU is created, read with its stock, changed partially, and taken off sale", async () => {
    const body = skuBody({ limitPerUser: 2 });
    const created = await admin("POST", "/api/admin/skus", body);
    expect(created.status).toBe(201);
    const skuId = created.data.skuId;
    expect(skuId).toBeGreaterThan(0);

    const detail = await get(`/api/shop/skus/${skuId}`);
    expect(detail.status).toBe(200);
    expect(detail.data).toEqual({ skuId, ...body, stockNum: 0 });

    const stock = await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 30 });
    expect(stock.data).toEqual({ skuId, total: 30, stockNum: 30 });
    expect((await get(`/api/shop/skus/${skuId}/stock`)).data).toEqual({ skuId, stockNum: 30 });

    const changed = await admin("PUT", `/api/admin/skus/${skuId}`, { skuPrice: 799, remark: "cheaper" });
    expect(changed.status).toBe(200);
    expect(changed.data).toMatchObject({ skuId, skuCode: body.skuCode, name: body.name, skuPrice: 799, remark: "cheaper", limitPerUser: 2, status: 1 });
    expect((await get(`/api/shop/skus/${skuId}`)).data).toMatchObject({ skuPrice: 799, remark: "cheaper", stockNum: 30 });

    expect((await admin("PUT", `/api/admin/skus/${skuId}`, { status: 0 })).data.status).toBe(0);
    expectFailure(await get(`/api/shop/skus/${skuId}`), "SKU_NOT_FOUND");
    expectFailure(await get(`/api/shop/skus/${skuId}/stock`), "SKU_NOT_FOUND");
    expect((await admin("PUT", `/api/admin/skus/${skuId}`, { status: 1 })).data.status).toBe(1);
    expect((await get(`/api/shop/skus/${skuId}`)).status).toBe(200);
  });

  test("skuCode is unique: the same body again answers the same skuId, another body is IDEMPOTENCY_CONFLICT, parallel creates make one row", async () => {
    const body = skuBody();
    const first = await admin("POST", "/api/admin/skus", body);
    const again = await admin("POST", "/api/admin/skus", body);
    expect([again.status, again.data.skuId]).toEqual([201, first.data.skuId]);
    const conflict = await admin("POST", "/api/admin/skus", { ...body, skuPrice: body.skuPrice + 1 });
    expectFailure(conflict, "IDEMPOTENCY_CONFLICT", "skuCode");
    expect(conflict.data).toEqual({ skuId: first.data.skuId });

    const racing = skuBody();
    const results = await Promise.all(Array.from({ length: 10 }, () => admin("POST", "/api/admin/skus", racing)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.data.skuId)).size).toBe(1);
    const rows = await deps.store.db.selectFrom("sku_info").select("sku_id").where("sku_code", "=", racing.skuCode).execute();
    expect(rows.length).toBe(1);
  });

  test("SKU validation names the field and stores nothing", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ skuPrice: 0 }, "skuPrice"],
      [{ skuPrice: -5 }, "skuPrice"],
      [{ skuPrice: 9.5 }, "skuPrice"],
      [{ skuPrice: "999" }, "skuPrice"],
      [{ skuPrice: 100_000_001 }, "skuPrice"],
      [{ categoryId: level2CategoryId }, "categoryId"],
      [{ categoryId: 987_654 }, "categoryId"],
      [{ categoryId: true }, "categoryId"],
      [{ skuCode: "has space" }, "skuCode"],
      [{ skuCode: "" }, "skuCode"],
      [{ name: "" }, "name"],
      [{ limitPerUser: -1 }, "limitPerUser"],
    ];
    const skuCount = async () => (await deps.store.db.selectFrom("sku_info").select("sku_id").execute()).length;
    const before = await skuCount();
    for (const [over, field] of cases) expectFailure(await admin("POST", "/api/admin/skus", skuBody(over)), "PARAM_ERROR", field);
    expect(await skuCount()).toBe(before);
    const skuId = await createSku();
    expectFailure(await admin("PUT", `/api/admin/skus/${skuId}`, {}), "PARAM_ERROR", "at least one field");
    expectFailure(await admin("PUT", `/api/admin/skus/${skuId}`, { status: 2 }), "PARAM_ERROR", "status");
    expectFailure(await admin("PUT", `/api/admin/skus/${skuId}`, { categoryId: level2CategoryId }), "PARAM_ERROR", "categoryId");
    expectFailure(await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: -1 }), "PARAM_ERROR", "stockNum");
    expectFailure(await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 1.5 }), "PARAM_ERROR", "stockNum");
    for (const bad of ["0", "-1", "abc", "9007199254740992"]) {
      expectFailure(await get(`/api/shop/skus/${bad}`), "PARAM_ERROR", "skuId");
      expectFailure(await admin("PUT", `/api/admin/skus/${bad}`, { name: "x" }), "PARAM_ERROR", "skuId");
      expectFailure(await get(`/api/shop/anchors/${bad}/skus`), "PARAM_ERROR", "anchorId");
    }
    expectFailure(await admin("PUT", "/api/admin/skus/987654", { name: "x" }), "SKU_NOT_FOUND");
    expectFailure(await admin("PUT", "/api/admin/skus/987654/stock", { stockNum: 5 }), "SKU_NOT_FOUND");
    expectFailure(await get("/api/shop/skus/987654"), "SKU_NOT_FOUND");
    expectFailure(await get("/api/shop/skus/987654/stock"), "SKU_NOT_FOUND");
  });

  test("stockNum is the total minus units held by PREPARE_PAY and HAS_PAY orders; the total cannot go below them", async () => {
    const skuId = await createSku();
    await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 20 });
    await plantOrderLine(skuId, 41, 3, ShopOrderStatus.PREPARE_PAY);
    await plantOrderLine(skuId, 42, 4, ShopOrderStatus.HAS_PAY);
    await plantOrderLine(skuId, 43, 5, ShopOrderStatus.CANCEL);
    expect((await get(`/api/shop/skus/${skuId}/stock`)).data).toEqual({ skuId, stockNum: 13 });
    expect((await get(`/api/shop/skus/${skuId}`)).data.stockNum).toBe(13);

    const below = await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 6 });
    expectFailure(below, "PARAM_ERROR", "stockNum");
    expect(below.msg).toContain("7 units");
    expect((await get(`/api/shop/skus/${skuId}/stock`)).data.stockNum).toBe(13);
    expect((await admin("PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 7 })).data).toEqual({ skuId, total: 7, stockNum: 0 });
    expect((await get(`/api/shop/skus/${skuId}/stock`)).data.stockNum).toBe(0);
  });

  test("an anchor's SKU list: only existing SKUs accepted, only on-sale ones listed, and the room's shopEnabled follows", async () => {
    const anchor = { userId: ++nextAnchor, role: "anchor" as const };
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: anchor, body: { title: "shop room", type: 0 } });
    expect(room.status).toBe(201);
    const shopEnabled = async () => (await get(`/api/rooms/${room.data.roomId}`)).data.shopEnabled;
    expect(await shopEnabled()).toBe(false);
    expect((await get(`/api/shop/anchors/${anchor.userId}/skus`)).data).toEqual([]);

    const a = await createSku({ name: "A" });
    const b = await createSku({ name: "B" });
    const missing = await admin("PUT", `/api/admin/anchors/${anchor.userId}/skus`, { skuIds: [a, 987_654, 987_655] });
    expectFailure(missing, "SKU_NOT_FOUND");
    expect(missing.data).toEqual({ skuIds: [987_654, 987_655] });
    expectFailure(await admin("PUT", `/api/admin/anchors/${anchor.userId}/skus`, { skuIds: [a, "b"] }), "PARAM_ERROR", "skuIds");
    expect((await get(`/api/shop/anchors/${anchor.userId}/skus`)).data).toEqual([]);

    const set = await admin("PUT", `/api/admin/anchors/${anchor.userId}/skus`, { skuIds: [b, a, b] });
    expect(set.data).toEqual({ anchorId: anchor.userId, skuIds: [a, b].sort((x, y) => x - y) });
    const list = await get(`/api/shop/anchors/${anchor.userId}/skus`);
    expect(list.data.map((s: { skuId: number; name: string }) => [s.skuId, s.name])).toEqual([
      [a, "A"],
      [b, "B"],
    ]);
    expect(await shopEnabled()).toBe(true);

    await admin("PUT", `/api/admin/skus/${a}`, { status: 0 });
    expect((await get(`/api/shop/anchors/${anchor.userId}/skus`)).data.map((s: { skuId: number }) => s.skuId)).toEqual([b]);
    await admin("PUT", `/api/admin/skus/${b}`, { status: 0 });
    expect(await shopEnabled()).toBe(false);
    await admin("PUT", `/api/admin/skus/${b}`, { status: 1 });
    expect(await shopEnabled()).toBe(true);
    await admin("PUT", `/api/admin/anchors/${anchor.userId}/skus`, { skuIds: [] });
    expect((await get(`/api/shop/anchors/${anchor.userId}/skus`)).data).toEqual([]);
    expect(await shopEnabled()).toBe(false);
  });

  test("admin routes: 401 without a token, 403 for viewers and anchors, nothing changed", async () => {
    const skuId = await createSku({ name: "guarded" });
    const calls: [string, string, unknown][] = [
      ["POST", "/api/admin/categories", { categoryName: "stolen", level: 1 }],
      ["POST", "/api/admin/skus", skuBody({ name: "stolen" })],
      ["PUT", `/api/admin/skus/${skuId}`, { name: "stolen" }],
      ["PUT", `/api/admin/skus/${skuId}/stock`, { stockNum: 999 }],
      ["PUT", `/api/admin/anchors/${ANCHOR.userId}/skus`, { skuIds: [skuId] }],
    ];
    for (const [method, path, body] of calls) {
      expectFailure(await client.call(method, path, { body }), "TOKEN_ERROR");
      for (const who of [VIEWER, ANCHOR] as { userId: number; role: Role }[]) expectFailure(await client.call(method, path, { as: who, body }), "FORBIDDEN");
    }
    expect((await get(`/api/shop/skus/${skuId}`)).data).toMatchObject({ name: "guarded", stockNum: 0 });
    expect((await get(`/api/shop/anchors/${ANCHOR.userId}/skus`)).data).toEqual([]);
    expect((await get("/api/shop/categories")).data.some((c: CategoryNode) => c.categoryName === "stolen")).toBe(false);
    expect(await deps.store.db.selectFrom("sku_info").select("sku_id").where("name", "=", "stolen").executeTakeFirst()).toBeUndefined();
  });

  test("another process drops its cached anchor list and SKU within 1 s of an admin change", async () => {
    const other = await deployment.spawn({ consumers: false });
    const second = await serve(other);
    try {
      const anchorId = ++nextAnchor;
      const unknownAnchorId = ++nextAnchor;
      const a = await createSku({ name: "first" });
      const b = await createSku({ name: "second" });
      await admin("PUT", `/api/admin/anchors/${anchorId}/skus`, { skuIds: [a] });
      const listed = async (id: number) => (await second.client.call<{ skuId: number }[]>("GET", `/api/shop/anchors/${id}/skus`)).data.map((s) => s.skuId);
      // The second process caches a known anchor's list, an unknown anchor as empty, and the SKU.
      expect(await listed(anchorId)).toEqual([a]);
      expect(await listed(unknownAnchorId)).toEqual([]);
      expect((await second.client.call<{ name: string }>("GET", `/api/shop/skus/${a}`)).data.name).toBe("first");

      let changedAt = Date.now();
      await admin("PUT", `/api/admin/anchors/${anchorId}/skus`, { skuIds: [a, b] });
      await eventually(async () => (await listed(anchorId)).length === 2, 1000, 10);
      expect(Date.now() - changedAt).toBeLessThan(1000);

      changedAt = Date.now();
      await admin("PUT", `/api/admin/anchors/${unknownAnchorId}/skus`, { skuIds: [b] });
      await eventually(async () => (await listed(unknownAnchorId)).length === 1, 1000, 10);
      expect(Date.now() - changedAt).toBeLessThan(1000);

      changedAt = Date.now();
      await admin("PUT", `/api/admin/skus/${a}`, { name: "renamed" });
      await eventually(async () => (await second.client.call<{ name: string }>("GET", `/api/shop/skus/${a}`)).data.name === "renamed", 1000, 10);
      expect(Date.now() - changedAt).toBeLessThan(1000);
      changedAt = Date.now();
      await admin("PUT", `/api/admin/skus/${a}`, { status: 0 });
      await eventually(async () => (await listed(anchorId)).join() === String(b), 1000, 10);
      expect(Date.now() - changedAt).toBeLessThan(1000);
      expect((await second.client.call("GET", `/api/shop/skus/${a}`)).status).toBe(ErrorCodes.SKU_NOT_FOUND[1]);
    } finally {
      await second.server.stop();
    }
  });

  test("the demo seed: 手机 → 小米 → note 系列, SKUs with stock sold by the demo anchor, whose room sells; seeding again adds nothing", async () => {
    const seeded = await createDeployment(profile);
    try {
      const p = await seeded.spawn({ consumers: false });
      expect(await seedDemo(p)).toBe(true);
      const { client: c, server } = await serve(p);
      try {
        const tree = (await c.call<CategoryNode[]>("GET", "/api/shop/categories")).data;
        expect(tree.map((n) => n.categoryName)).toEqual([DEMO_CATEGORY_PATH[0]]);
        expect(tree[0]!.children.map((n) => n.categoryName)).toEqual([DEMO_CATEGORY_PATH[1]]);
        const leaf = tree[0]!.children[0]!.children[0]!;
        expect([leaf.categoryName, leaf.level]).toEqual([DEMO_CATEGORY_PATH[2], 3]);

        const skus = (await c.call<{ skuId: number; skuCode: string; categoryId: number; skuPrice: number }[]>("GET", `/api/shop/anchors/${DEMO.anchorId}/skus`)).data;
        expect(skus.map((s) => s.skuCode)).toEqual(DEMO_SKUS.map((s) => s.skuCode));
        expect(skus.every((s) => s.categoryId === leaf.categoryId)).toBe(true);
        for (const [i, s] of skus.entries()) {
          expect((await c.call<{ stockNum: number }>("GET", `/api/shop/skus/${s.skuId}/stock`)).data.stockNum).toBe(DEMO_SKUS[i]!.stockNum);
        }
        expect(skus.some((s) => s.skuPrice <= DEMO.viewerCoins)).toBe(true);
        const rooms = (await c.call<{ items: { roomId: number; anchorId: number }[] }>("GET", "/api/rooms")).data.items;
        const demoRoom = rooms.find((r) => r.anchorId === DEMO.anchorId)!;
        expect((await c.call<{ shopEnabled: boolean }>("GET", `/api/rooms/${demoRoom.roomId}`)).data.shopEnabled).toBe(true);

        expect(await seedDemo(p)).toBe(false);
        expect((await p.store.db.selectFrom("category").select("id").execute()).length).toBe(3);
        expect((await p.store.db.selectFrom("sku_info").select("sku_id").execute()).length).toBe(DEMO_SKUS.length);
        expect((await p.store.db.selectFrom("anchor_shop").select("sku_id").execute()).length).toBe(DEMO_SKUS.length);
      } finally {
        await server.stop();
      }
    } finally {
      await seeded.destroy();
    }
  });
});
