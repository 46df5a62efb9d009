// The flash sale end to end on both profiles: carts, preparing orders against
// hot-store stock, paying with coins, cancelling, the timeout sweeper, the
// reconciler, a hot store emptied mid-sale, and the invariant checker after
// each. The Lua scripts themselves also run on a Redis Cluster in
// src/hot/stock/stock.contract.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import type { Deps } from "../deps.ts";
import { createLocalHot } from "../hot/index.ts";
import { ErrorCodes, type ErrorName } from "../lib/errors.ts";
import { TradeType } from "../wallet/types.ts";
import { createDeployment, eventually, serve, wsClient, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest, services } from "../../test/services.ts";
import { checkShopInvariants } from "./invariants.ts";
import { MAX_CART_COUNT } from "./cart.ts";
import { shopPayBizId } from "./orders.ts";
import { createOrdersRepo } from "./orders-repo.ts";
import { isUniqueViolation } from "../store/store.ts";
import { ShopOrderStatus } from "./types.ts";
import { RECONCILE_GRACE_MS } from "./workers.ts";

const ADMIN = { userId: 1, role: "admin" as const };
const ADDRESS = { name: "张三", phone: "13800000000", detail: "北京市海淀区 1 号" };
const PRICE = 10;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const failure = (name: ErrorName) => ({ status: ErrorCodes[name][1], code: ErrorCodes[name][0] });
type CallResult = { status: number; code: number; msg: string; data: any };
const outcome = (r: CallResult) => ({ status: r.status, code: r.code });

describe.each(profilesUnderTest())("the flash sale on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stopServer: () => Promise<void>;
  let leafCategoryId: number;
  let nextId = 0;
  let nextUser = 500_000;
  let nextAnchor = 90_000;

  const as = (userId: number, role: "viewer" | "anchor" | "admin" = "viewer") => ({ userId, role });
  const admin = (method: string, path: string, body?: unknown) => client.call<any>(method, path, { as: ADMIN, body });
  const viewer = (userId: number, method: string, path: string, body?: unknown) => client.call<any>(method, path, { as: as(userId), body });

  /** A room whose new anchor sells `skus` new SKUs with `stock` units each. */
  async function newSale(opts: { stock: number[]; limitPerUser?: number; anchors?: number }) {
    const skuIds: number[] = [];
    for (const stock of opts.stock) {
      const r = await admin("POST", "/api/admin/skus", {
        skuCode: `flash-${profile}-${++nextId}`,
        name: `Phone ${nextId}`,
        skuPrice: PRICE,
        categoryId: leafCategoryId,
        limitPerUser: opts.limitPerUser ?? 0,
      });
      expect(r.status).toBe(201);
      expect((await admin("PUT", `/api/admin/skus/${r.data.skuId}/stock`, { stockNum: stock })).status).toBe(200);
      skuIds.push(r.data.skuId);
    }
    const rooms: number[] = [];
    for (let i = 0; i < (opts.anchors ?? 1); i++) {
      const anchorId = ++nextAnchor;
      expect((await admin("PUT", `/api/admin/anchors/${anchorId}/skus`, { skuIds })).status).toBe(200);
      const room = await client.call<any>("POST", "/api/rooms", { as: as(anchorId, "anchor"), body: { title: "flash sale" } });
      expect(room.status).toBe(201);
      rooms.push(room.data.roomId);
    }
    return { skuIds, roomId: rooms[0]!, rooms };
  }

  async function buyer(coins = 0): Promise<number> {
    const userId = ++nextUser;
    if (coins > 0) await deps.wallet.grant({ userId, amount: coins, requestId: `seed-${userId}` });
    return userId;
  }

  async function order(userId: number, roomId: number, lines: [number, number][], body: Record<string, unknown> = { address: ADDRESS }) {
    for (const [skuId, count] of lines) expect((await viewer(userId, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId, count })).status).toBe(200);
    return viewer(userId, "POST", `/api/shop/rooms/${roomId}/orders`, body);
  }

  const stockNum = async (skuId: number) => (await client.call<any>("GET", `/api/shop/skus/${skuId}/stock`)).data.stockNum as number;
  const heldUnits = async (skuId: number) =>
    (await deps.store.db.selectFrom("shop_order_item").select("count").where("sku_id", "=", skuId).where("status", "in", [ShopOrderStatus.PREPARE_PAY, ShopOrderStatus.HAS_PAY]).execute()).reduce((s, r) => s + Number(r.count), 0);
  const shopClean = async () => expect(await checkShopInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn({ consumers: false, shopWorkers: false });
    const s = await serve(deps);
    client = s.client;
    stopServer = s.server.stop;
    const l1 = await admin("POST", "/api/admin/categories", { categoryName: "手机", level: 1 });
    const l2 = await admin("POST", "/api/admin/categories", { categoryName: "小米", level: 2, parentId: l1.data.categoryId });
    const l3 = await admin("POST", "/api/admin/categories", { categoryName: "note 系列", level: 3, parentId: l2.data.categoryId });
    leafCategoryId = l3.data.categoryId;
  });

  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
  });

  test("cart: add (count default 1), set, 0 removes, remove, clear; only the room's SKUs; a line's ceiling", async () => {
    const { skuIds, roomId } = await newSale({ stock: [5, 5] });
    const other = await newSale({ stock: [5] });
    const u = await buyer();
    const path = `/api/shop/rooms/${roomId}/cart`;
    expect((await viewer(u, "GET", path)).data).toEqual({ userId: u, roomId, items: [], totalPrice: 0 });
    await viewer(u, "POST", `${path}/items`, { skuId: skuIds[0] });
    const added = await viewer(u, "POST", `${path}/items`, { skuId: skuIds[0], count: 2 });
    expect(added.data.items).toEqual([{ skuId: skuIds[0], count: 3, sku: expect.objectContaining({ skuId: skuIds[0], skuPrice: PRICE }) }]);
    await viewer(u, "POST", `${path}/items`, { skuId: skuIds[1], count: 4 });
    expect((await viewer(u, "GET", path)).data.totalPrice).toBe(7 * PRICE);
    expect((await viewer(u, "PATCH", `${path}/items/${skuIds[0]}`, { count: 1 })).data.totalPrice).toBe(5 * PRICE);
    expect((await viewer(u, "PATCH", `${path}/items/${skuIds[0]}`, { count: 0 })).data.items.map((i: any) => i.skuId)).toEqual([skuIds[1]]);
    expect((await viewer(u, "DELETE", `${path}/items/${skuIds[1]}`)).data.items).toEqual([]);
    await viewer(u, "POST", `${path}/items`, { skuId: skuIds[1], count: MAX_CART_COUNT });
    expect(outcome(await viewer(u, "POST", `${path}/items`, { skuId: skuIds[1] }))).toEqual(failure("PARAM_ERROR"));
    expect(outcome(await viewer(u, "POST", `${path}/items`, { skuId: skuIds[1], count: 0 }))).toEqual(failure("PARAM_ERROR"));
    const foreign = await viewer(u, "POST", `${path}/items`, { skuId: other.skuIds[0] });
    expect([outcome(foreign), foreign.data]).toEqual([failure("SKU_NOT_IN_ROOM"), { skuIds: [other.skuIds[0]] }]);
    expect(outcome(await viewer(u, "POST", `/api/shop/rooms/987654/cart/items`, { skuId: skuIds[0] }))).toEqual(failure("ROOM_NOT_FOUND"));
    expect((await viewer(u, "DELETE", path)).data.items).toEqual([]);
    expect(outcome(await client.call("GET", path))).toEqual(failure("TOKEN_ERROR"));
  });

  test("requestId: a retry gets its first order with the cart re-filled and during a sold-out rush; a refused one is refused again", async () => {
    const { skuIds, roomId } = await newSale({ stock: [1] });
    const sku = skuIds[0]!;
    const [first, late] = [await buyer(), await buyer()];
    const created = await order(first, roomId, [[sku, 1]], { address: ADDRESS, requestId: "rush-1" });
    expect(created.status).toBe(201);
    const refused = await order(late, roomId, [[sku, 1]], { address: ADDRESS, requestId: "rush-1" });
    expect([outcome(refused), refused.data]).toEqual([failure("OUT_OF_STOCK"), { skuIds: [sku] }]);
    expect(deps.shop.stock.isSoldOut(sku)).toBe(true);

    // The first buyer fills the cart again and retries while the SKU is sold out: the same order, nothing reserved.
    const retried = await order(first, roomId, [[sku, 1]], { address: ADDRESS, requestId: "rush-1" });
    expect([retried.status, retried.data]).toEqual([201, created.data]);
    expect((await viewer(first, "GET", `/api/shop/rooms/${roomId}/cart`)).data.items).toEqual([expect.objectContaining({ skuId: sku, count: 1 })]);
    // ... and with the cart emptied again.
    expect((await viewer(first, "DELETE", `/api/shop/rooms/${roomId}/cart`)).status).toBe(200);
    expect((await viewer(first, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS, requestId: "rush-1" })).data.orderId).toBe(created.data.orderId);
    // The refused buyer's retry is refused again, and another body for the first buyer's request id is a conflict.
    expect(outcome(await viewer(late, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS, requestId: "rush-1" }))).toEqual(failure("OUT_OF_STOCK"));
    expect(outcome(await viewer(first, "POST", `/api/shop/rooms/${roomId}/orders`, { address: { ...ADDRESS, detail: "上海" }, requestId: "rush-1" }))).toEqual(failure("IDEMPOTENCY_CONFLICT"));
    expect([await stockNum(sku), await heldUnits(sku)]).toEqual([0, 1]);
    await shopClean();
  });

  test("requestId: parallel attempts with one request id and a full cart make one order, every answer is it", async () => {
    const { skuIds, roomId } = await newSale({ stock: [50] });
    const sku = skuIds[0]!;
    const u = await buyer();
    expect((await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: sku, count: 2 })).status).toBe(200);
    const answers = await Promise.all(range(10).map(() => viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS, requestId: "twice" })));
    const orderIds = new Set(answers.map((a) => a.data.orderId));
    expect([answers.map((a) => a.status), orderIds.size]).toEqual([range(10).map(() => 201), 1]);
    expect([await stockNum(sku), await heldUnits(sku)]).toEqual([48, 2]);
    await shopClean();
  });

  test("group commit: a batch holding a used request id, an order beyond stock and one beyond a limit answers each caller its own outcome", async () => {
    const { skuIds, roomId } = await newSale({ stock: [3], limitPerUser: 2 });
    const sku = skuIds[0]!;
    const repo = createOrdersRepo(deps.store);
    const [a, b, c, d] = [await buyer(), await buyer(), await buyer(), await buyer()];
    const newOrder = (userId: number, count: number, requestId: string | null = null) => {
      const now = Date.now();
      const items = [{ skuId: sku, count, price: PRICE }];
      return { orderId: `gc-${profile}-${++nextId}`, userId, roomId, anchorId: 1, requestId, totalPrice: count * PRICE, address: ADDRESS, expireAt: now + 60_000, createTime: now, items, limits: new Map([[sku, 2]]) };
    };
    expect(await repo.insertOrder(newOrder(a, 1, "gc-used"))).toEqual({ ok: true });
    // Sent together: all five go as one batch of five on the next turn. The duplicate request id
    // fails that batch, and it is redone order by order in arrival order, each checking stock after
    // the ones before it: b gets a unit, c and a are refused, and d gets the last one.
    const [first, duplicate, beyondStock, beyondLimit, last] = await Promise.allSettled([
      repo.insertOrder(newOrder(b, 1)),
      repo.insertOrder(newOrder(a, 1, "gc-used")),
      repo.insertOrder(newOrder(c, 2)),
      repo.insertOrder(newOrder(a, 2)),
      repo.insertOrder(newOrder(d, 1)),
    ]);
    expect(first).toEqual({ status: "fulfilled", value: { ok: true } });
    expect(duplicate.status === "rejected" && isUniqueViolation(duplicate.reason)).toBe(true);
    expect(beyondStock).toEqual({ status: "fulfilled", value: { ok: false, short: [sku], limit: [] } });
    expect(beyondLimit).toEqual({ status: "fulfilled", value: { ok: false, short: [sku], limit: [sku] } });
    expect(last).toEqual({ status: "fulfilled", value: { ok: true } });
    expect(await heldUnits(sku)).toBe(3);
    const byUser = await deps.store.db.selectFrom("shop_order").select("user_id").where("room_id", "=", roomId).execute();
    expect(byUser.map((r) => Number(r.user_id)).sort((x, y) => x - y)).toEqual([a, b, d].sort((x, y) => x - y));

    // A batch counts its own earlier orders: one unit left, and all four go as one batch on the next
    // turn, checked in arrival order: e asks for more than is left, f gets the unit, and g and h are
    // short because the batch counts f's.
    await deps.shop.stock.setTotal(sku, 4);
    const [e, f, g, h] = [await buyer(), await buyer(), await buyer(), await buyer()];
    const round = await Promise.all([repo.insertOrder(newOrder(e, 2)), repo.insertOrder(newOrder(f, 1)), repo.insertOrder(newOrder(g, 1)), repo.insertOrder(newOrder(h, 1))]);
    expect(round).toEqual([{ ok: false, short: [sku], limit: [] }, { ok: true }, { ok: false, short: [sku], limit: [] }, { ok: false, short: [sku], limit: [] }]);
    expect(await heldUnits(sku)).toBe(4);
    // These orders went around the hot store: rebuild its stock from the database, which then agrees.
    await deps.hot.stock.drop(sku);
    expect(await stockNum(sku)).toBe(0);
    await shopClean();
  });

  test("prepare, pay with coins once, cancel: prices captured, cart lines leave, stock and coins follow", async () => {
    const { skuIds, roomId } = await newSale({ stock: [10, 10] });
    const u = await buyer(100);
    expect(outcome(await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS }))).toEqual(failure("CART_EMPTY"));
    const noAddress = await order(u, roomId, [[skuIds[0]!, 2]], { address: { name: "张三", phone: " " } });
    expect([outcome(noAddress), noAddress.data]).toEqual([failure("ADDRESS_REQUIRED"), { fields: ["phone", "detail"] }]);
    expect(outcome(await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, {}))).toEqual(failure("ADDRESS_REQUIRED"));

    await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: skuIds[1], count: 1 });
    const created = await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS, requestId: "buy-1" });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ status: "PREPARE_PAY", totalPrice: 3 * PRICE, items: [{ skuId: skuIds[0], count: 2, price: PRICE }, { skuId: skuIds[1], count: 1, price: PRICE }] });
    expect(created.data.expireAt).toBeGreaterThan(Date.now() + (deps.config.orderTtlSec - 5) * 1000);
    const orderId = created.data.orderId as string;
    expect((await viewer(u, "GET", `/api/shop/rooms/${roomId}/cart`)).data.items).toEqual([]);
    expect([await stockNum(skuIds[0]!), await stockNum(skuIds[1]!)]).toEqual([8, 9]);

    // The same requestId: the same order; another body: a conflict. Neither reserves again.
    const again = await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS, requestId: "buy-1" });
    expect([again.status, again.data.orderId]).toEqual([201, orderId]);
    expect(outcome(await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: { ...ADDRESS, detail: "上海" }, requestId: "buy-1" }))).toEqual(failure("IDEMPOTENCY_CONFLICT"));
    expect(await stockNum(skuIds[0]!)).toBe(8);

    // An admin's price change after preparing does not change the order.
    await admin("PUT", `/api/admin/skus/${skuIds[0]}`, { skuPrice: 99 });
    expect(outcome(await viewer(u + 1, "GET", `/api/shop/orders/${orderId}`))).toEqual(failure("ORDER_NOT_FOUND"));
    expect(outcome(await viewer(u + 1, "POST", `/api/shop/orders/${orderId}/pay`))).toEqual(failure("ORDER_NOT_FOUND"));

    const paid = await viewer(u, "POST", `/api/shop/orders/${orderId}/pay`);
    expect([paid.status, paid.data]).toEqual([200, { orderId, status: "HAS_PAY" }]);
    expect((await viewer(u, "POST", `/api/shop/orders/${orderId}/pay`)).data).toEqual({ orderId, status: "HAS_PAY" });
    expect(outcome(await viewer(u, "POST", `/api/shop/orders/${orderId}/cancel`))).toEqual(failure("ORDER_STATE_CONFLICT"));
    expect((await deps.wallet.getWallet(u)).balance).toBe(100 - 3 * PRICE);
    const trades = await deps.store.db.selectFrom("currency_trade").selectAll().where("biz_id", "=", shopPayBizId(orderId)).execute();
    expect(trades.map((t) => [Number(t.num), Number(t.type)])).toEqual([[-3 * PRICE, TradeType.SHOP_ORDER_PAY]]);

    // A second order (price now 99) cancelled: stock back once, paying it is a conflict.
    const second = await order(u, roomId, [[skuIds[0]!, 1]]);
    expect(second.data.totalPrice).toBe(99);
    const cancelled = await viewer(u, "POST", `/api/shop/orders/${second.data.orderId}/cancel`);
    expect(cancelled.data).toEqual({ orderId: second.data.orderId, status: "CANCEL" });
    expect((await viewer(u, "POST", `/api/shop/orders/${second.data.orderId}/cancel`)).data).toEqual({ orderId: second.data.orderId, status: "CANCEL" });
    expect(outcome(await viewer(u, "POST", `/api/shop/orders/${second.data.orderId}/pay`))).toEqual(failure("ORDER_STATE_CONFLICT"));
    expect(await stockNum(skuIds[0]!)).toBe(8);

    // Too few coins: refused, nothing debited, the order still payable.
    const third = await order(u, roomId, [[skuIds[0]!, 1]]);
    expect(outcome(await viewer(u, "POST", `/api/shop/orders/${third.data.orderId}/pay`))).toEqual(failure("INSUFFICIENT_BALANCE"));
    expect((await deps.wallet.getWallet(u)).balance).toBe(70);
    expect((await viewer(u, "GET", `/api/shop/orders/${third.data.orderId}`)).data).toMatchObject({ status: "PREPARE_PAY", roomId, address: ADDRESS });

    const mine = await viewer(u, "GET", `/api/shop/orders?roomId=${roomId}`);
    expect(mine.data.map((o: any) => [o.orderId, o.status, o.cancelReason])).toEqual([
      [third.data.orderId, "PREPARE_PAY", null],
      [second.data.orderId, "CANCEL", "user"],
      [orderId, "HAS_PAY", null],
    ]);
    expect((await viewer(u, "GET", `/api/shop/orders?status=HAS_PAY`)).data.map((o: any) => o.orderId)).toEqual([orderId]);
    const events = await deps.store.db.selectFrom("outbox").select(["event_id", "topic"]).where("event_id", "like", `shop-order-%`).execute();
    expect(events.filter((e) => e.event_id.endsWith(orderId) || e.event_id.endsWith(second.data.orderId)).map((e) => e.event_id).sort()).toEqual(
      [`shop-order-cancelled:${second.data.orderId}`, `shop-order-paid:${orderId}`].sort(),
    );
    expect(await checkInvariants(deps.store, deps.hot)).toEqual([]);
  });

  test("300 buyers on 50 units: exactly 50 orders, 250 OUT_OF_STOCK, stock 0 and never below", async () => {
    const { skuIds, roomId } = await newSale({ stock: [50] });
    const sku = skuIds[0]!;
    const buyers = await Promise.all(range(300).map(() => buyer()));
    for (const u of buyers) await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: sku });
    const results = await Promise.all(buyers.map((u) => viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS })));
    expect(results.filter((r) => r.status === 201).length).toBe(50);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map(outcome)).toEqual(range(250).map(() => failure("OUT_OF_STOCK")));
    for (const r of refused) expect(r.data).toEqual({ skuIds: [sku] });
    expect(await stockNum(sku)).toBe(0);
    expect(await heldUnits(sku)).toBe(50);
    expect(await deps.hot.stock.available(sku)).toBe(0);
    await shopClean();
  });

  test("sold out: a process-local flag answers the rush; units coming back drop it in every process", async () => {
    const { skuIds, roomId } = await newSale({ stock: [1] });
    const sku = skuIds[0]!;
    const other = await deployment.spawn({ consumers: false, shopWorkers: false });
    const { client: c2, server } = await serve(other);
    const [winner, late] = [await buyer(), await buyer()];
    const first = await order(winner, roomId, [[sku, 1]]);
    expect(first.status).toBe(201);
    // The other process meets the empty stock once and remembers it.
    await c2.call("POST", `/api/shop/rooms/${roomId}/cart/items`, { as: as(late), body: { skuId: sku } });
    const refused = await c2.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(late), body: { address: ADDRESS } });
    expect([outcome(refused), refused.data]).toEqual([failure("OUT_OF_STOCK"), { skuIds: [sku] }]);
    expect(other.shop.stock.isSoldOut(sku)).toBe(true);
    // A cancel in the first process gives the unit back; the flag goes everywhere.
    await viewer(winner, "POST", `/api/shop/orders/${first.data.orderId}/cancel`);
    await eventually(() => !other.shop.stock.isSoldOut(sku));
    expect((await c2.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(late), body: { address: ADDRESS } })).status).toBe(201);
    await server.stop();
    await shopClean();
  });

  test("sold out: the order taking the last unit flags the SKU; units added drop the flag and sell", async () => {
    const { skuIds, roomId } = await newSale({ stock: [1] });
    const sku = skuIds[0]!;
    const [winner, next, late] = [await buyer(), await buyer(), await buyer()];
    expect((await order(winner, roomId, [[sku, 1]])).status).toBe(201);
    // Flagged by the winner's own reserve: no refused reserve was needed.
    expect(deps.shop.stock.isSoldOut(sku)).toBe(true);
    const refused = await order(late, roomId, [[sku, 1]]);
    expect([outcome(refused), refused.data]).toEqual([failure("OUT_OF_STOCK"), { skuIds: [sku] }]);
    expect(await deps.hot.stock.available(sku)).toBe(0);
    // One more unit: the flag goes at once and the unit sells, then the SKU is flagged again.
    await deps.shop.stock.setTotal(sku, 2);
    expect(deps.shop.stock.isSoldOut(sku)).toBe(false);
    expect((await order(next, roomId, [[sku, 1]])).status).toBe(201);
    expect(deps.shop.stock.isSoldOut(sku)).toBe(true);
    expect([await stockNum(sku), await heldUnits(sku)]).toEqual([0, 2]);
    await shopClean();
  });

  test("sold out: a reserve answered 0 across units coming back sets no flag, so the units still sell", async () => {
    const { skuIds, roomId } = await newSale({ stock: [0] });
    const sku = skuIds[0]!;
    const [early, later] = [await buyer(), await buyer()];
    const hotStock = deps.hot.stock;
    const realReserve = hotStock.reserve.bind(hotStock);
    let answered0!: () => void;
    const reached = new Promise<void>((r) => (answered0 = r));
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    // The real reserve runs; its "none left" answer is held back until the stock has changed.
    hotStock.reserve = async (input) => {
      const r = await realReserve(input);
      if (r.kind === "short" && input.skuId === sku) {
        answered0();
        await gate;
      }
      return r;
    };
    try {
      const refusedLater = order(early, roomId, [[sku, 1]]);
      await reached;
      await deps.shop.stock.setTotal(sku, 1);
      resume();
      expect(outcome(await refusedLater)).toEqual(failure("OUT_OF_STOCK"));
    } finally {
      hotStock.reserve = realReserve;
    }
    expect(deps.shop.stock.isSoldOut(sku)).toBe(false);
    expect((await order(later, roomId, [[sku, 1]])).status).toBe(201);
    expect([await stockNum(sku), await heldUnits(sku)]).toEqual([0, 1]);
    await shopClean();
  });

  test("a three-SKU cart with one SKU short reserves nothing of any line", async () => {
    const { skuIds, roomId } = await newSale({ stock: [5, 1, 5] });
    const u = await buyer();
    const r = await order(u, roomId, [[skuIds[0]!, 2], [skuIds[1]!, 2], [skuIds[2]!, 2]]);
    expect([outcome(r), r.data]).toEqual([failure("OUT_OF_STOCK"), { skuIds: [skuIds[1]] }]);
    expect(await Promise.all(skuIds.map(stockNum))).toEqual([5, 1, 5]);
    expect(await Promise.all(skuIds.map(heldUnits))).toEqual([0, 0, 0]);
    // The cart is kept, so the buyer can lower the short line and order.
    expect((await viewer(u, "GET", `/api/shop/rooms/${roomId}/cart`)).data.items.length).toBe(3);
    await viewer(u, "PATCH", `/api/shop/rooms/${roomId}/cart/items/${skuIds[1]}`, { count: 1 });
    expect((await viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS })).status).toBe(201);
    expect(await Promise.all(skuIds.map(stockNum))).toEqual([3, 0, 3]);
    await shopClean();
  });

  test("per-user limit under 50 parallel orders by one user (one per room): exactly the limit, the rest PURCHASE_LIMIT; a cancel gives it back", async () => {
    const LIMIT = 3;
    const { skuIds, rooms } = await newSale({ stock: [100], limitPerUser: LIMIT, anchors: 50 });
    const sku = skuIds[0]!;
    const u = await buyer();
    for (const roomId of rooms) await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: sku });
    const results = await Promise.all(rooms.map((roomId) => viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS })));
    const won = results.filter((r) => r.status === 201);
    expect(won.length).toBe(LIMIT);
    expect(results.filter((r) => r.status !== 201).map(outcome)).toEqual(range(50 - LIMIT).map(() => failure("PURCHASE_LIMIT")));
    expect(await heldUnits(sku)).toBe(LIMIT);
    expect(await stockNum(sku)).toBe(100 - LIMIT);
    // Another buyer is not limited by this one.
    const other = await buyer();
    expect((await order(other, rooms[0]!, [[sku, LIMIT]])).status).toBe(201);
    // A cancelled order's units count no longer.
    await viewer(u, "POST", `/api/shop/orders/${won[0]!.data.orderId}/cancel`);
    const retryRoom = rooms.find((r) => !won.some((w) => results[rooms.indexOf(r)] === w))!;
    expect((await viewer(u, "POST", `/api/shop/rooms/${retryRoom}/orders`, { address: ADDRESS })).status).toBe(201);
    expect(await checkShopInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("pay / cancel / timeout raced 50 times: one winner each time; coins and stock agree with it", async () => {
    const { skuIds, roomId } = await newSale({ stock: [50] });
    const sku = skuIds[0]!;
    const u = await buyer(50 * PRICE);
    const finals: number[] = [];
    for (const _ of range(50)) {
      const o = await order(u, roomId, [[sku, 1]]);
      const orderId = o.data.orderId as string;
      const [pay, cancel] = await Promise.all([
        viewer(u, "POST", `/api/shop/orders/${orderId}/pay`),
        viewer(u, "POST", `/api/shop/orders/${orderId}/cancel`),
        deps.shop.orders.sweepExpired(Date.now() + deps.config.orderTtlSec * 1000 + 1000),
      ]);
      const final = (await deps.shop.orders.get(u, orderId)).status;
      finals.push(final === "HAS_PAY" ? ShopOrderStatus.HAS_PAY : ShopOrderStatus.CANCEL);
      expect(["HAS_PAY", "CANCEL"]).toContain(final);
      // Each call answers the winner's outcome: its own success or a conflict.
      expect(outcome(pay)).toEqual(final === "HAS_PAY" ? { status: 200, code: 0 } : failure("ORDER_STATE_CONFLICT"));
      expect(outcome(cancel)).toEqual(final === "CANCEL" ? { status: 200, code: 0 } : failure("ORDER_STATE_CONFLICT"));
    }
    const paid = finals.filter((s) => s === ShopOrderStatus.HAS_PAY).length;
    const debits = await deps.store.db.selectFrom("currency_trade").select("num").where("user_id", "=", u).where("type", "=", TradeType.SHOP_ORDER_PAY).execute();
    expect(debits.length).toBe(paid);
    expect((await deps.wallet.getWallet(u)).balance).toBe(50 * PRICE - paid * PRICE);
    // The hot wallet is loaded only when a pay got as far as the admission.
    expect([null, 50 * PRICE - paid * PRICE]).toContain(await deps.wallet.hotAvailable(u));
    expect(await stockNum(sku)).toBe(50 - paid);
    expect(await heldUnits(sku)).toBe(paid);
    await shopClean();
    expect(await checkInvariants(deps.store, deps.hot)).toEqual([]);
  });

  // MySQL: every process sweeps (SKIP LOCKED keeps them apart); SQLite has one writer, so one leader sweeps.
  test("concurrent sweeps of the same expired orders: each order cancelled once, each unit back once", async () => {
    const { skuIds, roomId } = await newSale({ stock: [30] });
    const sku = skuIds[0]!;
    const buyers = await Promise.all(range(20).map(() => buyer()));
    const ids: string[] = [];
    for (const u of buyers) ids.push((await order(u, roomId, [[sku, 1]])).data.orderId);
    expect(await stockNum(sku)).toBe(10);
    const other = profile === "cluster" ? await deployment.spawn({ consumers: false, shopWorkers: false }) : deps;
    const later = Date.now() + deps.config.orderTtlSec * 1000 + 1000;
    await Promise.all([deps.shop.orders.sweepExpired(later), other.shop.orders.sweepExpired(later), deps.shop.orders.sweepExpired(later), other.shop.orders.sweepExpired(later)]);
    const statuses = await Promise.all(ids.map(async (id, i) => (await deps.shop.orders.get(buyers[i]!, id)).cancelReason));
    expect(statuses).toEqual(range(20).map(() => "timeout"));
    const cancelEvents = await deps.store.db.selectFrom("outbox").select("event_id").where("event_id", "in", ids.map((id) => `shop-order-cancelled:${id}`)).execute();
    expect(cancelEvents.length).toBe(20);
    expect(await stockNum(sku)).toBe(30);
    await shopClean();
  });

  test("a process killed between reserve and insert: the reconciler returns the unit", async () => {
    const { skuIds, roomId } = await newSale({ stock: [3] });
    const sku = skuIds[0]!;
    const dying = await deployment.spawn({
      consumers: false,
      shopWorkers: false,
      shopHooks: {
        afterReserve: () => {
          throw new Error("process killed after the reserve");
        },
      },
    });
    const { client: dyingClient, server } = await serve(dying);
    const u = await buyer();
    await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: sku });
    const r = await dyingClient.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(u), body: { address: ADDRESS } });
    expect(r.status).toBe(500);
    await server.stop();
    expect(await deps.hot.stock.available(sku)).toBe(2);
    expect(await heldUnits(sku)).toBe(0);
    // Within the grace period the reservation may still be landing: untouched.
    expect(await deps.shop.rounds.reconcile(Date.now())).toBe(0);
    expect(await deps.hot.stock.available(sku)).toBe(2);
    expect(await deps.shop.rounds.reconcile(Date.now() + RECONCILE_GRACE_MS + 1000)).toBeGreaterThanOrEqual(1);
    expect(await deps.hot.stock.available(sku)).toBe(3);
    expect(await deps.shop.rounds.reconcile(Date.now() + RECONCILE_GRACE_MS + 1000)).toBe(0);
    expect(await deps.hot.stock.available(sku)).toBe(3);
    await shopClean();
  });

  test("sold out: the last unit's order refused at its insert gives the unit back and clears this process's flag; the next buyer gets it", async () => {
    const { skuIds, roomId } = await newSale({ stock: [1] });
    const sku = skuIds[0]!;
    let planted: string | null = null;
    const clashing = await deployment.spawn({
      consumers: false,
      shopWorkers: false,
      shopHooks: {
        // A row with the order's id lands first: the order's own insert fails on the unique key.
        afterReserve: async (orderId) => {
          if (planted !== null) return;
          planted = orderId;
          expect(clashing.shop.stock.isSoldOut(sku)).toBe(true); // the reserve took the last unit
          const now = Date.now();
          await deps.store.db
            .insertInto("shop_order")
            .values({ order_id: orderId, user_id: 1, room_id: roomId, anchor_id: 1, request_id: null, status: 0, cancel_reason: null, total_price: 0, address_name: "x", address_phone: "x", address_detail: "x", expire_at: now, pay_time: null, create_time: now, update_time: now })
            .execute();
        },
      },
    });
    const { client: c2, server } = await serve(clashing);
    const [first, next] = [await buyer(), await buyer()];
    for (const u of [first, next]) await c2.call("POST", `/api/shop/rooms/${roomId}/cart/items`, { as: as(u), body: { skuId: sku } });
    const failed = await c2.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(first), body: { address: ADDRESS } });
    expect(failed.status).toBe(500);
    expect(planted).not.toBeNull();
    expect(clashing.shop.stock.isSoldOut(sku)).toBe(false);
    expect(await deps.hot.stock.available(sku)).toBe(1);
    await deps.store.db.deleteFrom("shop_order").where("order_id", "=", planted!).execute();
    const bought = await c2.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(next), body: { address: ADDRESS } });
    expect(bought.status).toBe(201);
    expect(await deps.hot.stock.available(sku)).toBe(0);
    await server.stop();
    await shopClean();
  });

  test("the hot store emptied mid-sale: warm-up rebuilds the exact availability and the sale goes on without overselling", async () => {
    const { skuIds, roomId } = await newSale({ stock: [20] });
    const sku = skuIds[0]!;
    const early = await Promise.all(range(6).map(() => buyer(PRICE)));
    const orders = [];
    for (const u of early) orders.push((await order(u, roomId, [[sku, 1]])).data.orderId as string);
    await viewer(early[0]!, "POST", `/api/shop/orders/${orders[0]}/pay`);
    await viewer(early[1]!, "POST", `/api/shop/orders/${orders[1]}/pay`);
    await viewer(early[2]!, "POST", `/api/shop/orders/${orders[2]}/cancel`);
    expect(await stockNum(sku)).toBe(15);

    // Empty the hot store: a fresh in-process one (an embedded restart), or
    // every key of the SKU deleted from Redis.
    let process2: Deps;
    if (profile === "embedded") {
      process2 = await deployment.spawn({ consumers: false, shopWorkers: false, hot: createLocalHot() });
    } else {
      const raw = new Redis(services().redisUrl!);
      const keys = await raw.keys(`${deps.config.namespace}:{sku:${sku}}*`);
      expect(keys.length).toBeGreaterThan(0);
      await raw.del(...keys);
      await raw.quit();
      process2 = await deployment.spawn({ consumers: false, shopWorkers: false });
    }
    expect(await process2.hot.stock.available(sku)).toBeNull();
    expect(await process2.shop.stock.available(sku)).toBe(15);
    const { client: c2, server } = await serve(process2);
    // An order taken before the loss is cancelled after it: its unit comes back once.
    expect((await c2.call("POST", `/api/shop/orders/${orders[3]}/cancel`, { as: as(early[3]!) })).status).toBe(200);
    expect(await process2.hot.stock.available(sku)).toBe(16);
    // The rest of the sale on the rebuilt stock: 30 buyers for 16 units.
    const late = await Promise.all(range(30).map(() => buyer()));
    for (const u of late) await c2.call("POST", `/api/shop/rooms/${roomId}/cart/items`, { as: as(u), body: { skuId: sku } });
    const results = await Promise.all(late.map((u) => c2.call("POST", `/api/shop/rooms/${roomId}/orders`, { as: as(u), body: { address: ADDRESS } })));
    expect(results.filter((r) => r.status === 201).length).toBe(16);
    expect(await heldUnits(sku)).toBe(20);
    expect(await process2.hot.stock.available(sku)).toBe(0);
    await server.stop();
    expect(await checkShopInvariants(process2.store, process2.hot, { quiescent: true })).toEqual([]);
    // The first process's in-process hot store stands for one that is gone.
    if (profile === "embedded") await deps.hot.stock.drop(sku);
  });

  test("stock changes reach the room over WebSocket, the last value winning; orders are counted by outcome", async () => {
    const { skuIds, roomId } = await newSale({ stock: [10] });
    const sku = skuIds[0]!;
    const watcher = await wsClient(client.url, await buyer(), roomId);
    const prepared = deps.metrics.orders.get({ kind: "shop_order", outcome: "prepared" });
    const refused = deps.metrics.orders.get({ kind: "shop_order", outcome: "rejected_out_of_stock" });
    const buyers = await Promise.all(range(12).map(() => buyer()));
    for (const u of buyers) await viewer(u, "POST", `/api/shop/rooms/${roomId}/cart/items`, { skuId: sku });
    const results = await Promise.all(buyers.map((u) => viewer(u, "POST", `/api/shop/rooms/${roomId}/orders`, { address: ADDRESS })));
    expect(results.filter((r) => r.status === 201).length).toBe(10);
    const stockMessages = () => watcher.messages.filter((m) => m.type === "stock" && m.data.skuId === sku);
    await eventually(() => stockMessages().at(-1)?.data.stockNum === 0);
    expect(stockMessages().at(-1)).toEqual({ type: "stock", data: { skuId: sku, stockNum: 0 } });
    expect(deps.metrics.orders.get({ kind: "shop_order", outcome: "prepared" }) - prepared).toBe(10);
    expect(deps.metrics.orders.get({ kind: "shop_order", outcome: "rejected_out_of_stock" }) - refused).toBe(2);
    watcher.close();
  });

  test("the room's anchor alone is told of each order placed, paid and cancelled", async () => {
    const { skuIds, roomId } = await newSale({ stock: [5] });
    const anchorId = nextAnchor;
    const sku = skuIds[0]!;
    const anchorWs = await wsClient(client.url, anchorId, roomId);
    const watcher = await wsClient(client.url, await buyer(), roomId);
    const u = await buyer(100);
    const paid = await order(u, roomId, [[sku, 2]]);
    expect((await viewer(u, "POST", `/api/shop/orders/${paid.data.orderId}/pay`)).data.status).toBe("HAS_PAY");
    const dropped = await order(u, roomId, [[sku, 1]]);
    expect((await viewer(u, "POST", `/api/shop/orders/${dropped.data.orderId}/cancel`)).data.status).toBe("CANCEL");

    const orderMessages = (ws: typeof anchorWs) => ws.messages.filter((m) => m.type === "order");
    await eventually(() => orderMessages(anchorWs).length === 4);
    const pushed = (orderId: string, status: string, count: number, cancelReason: string | null = null) => ({
      type: "order",
      data: { orderId, roomId, userId: u, status, cancelReason, totalPrice: count * PRICE, items: [{ skuId: sku, count, price: PRICE }] },
    });
    expect(orderMessages(anchorWs)).toEqual([
      pushed(paid.data.orderId, "PREPARE_PAY", 2),
      pushed(paid.data.orderId, "HAS_PAY", 2),
      pushed(dropped.data.orderId, "PREPARE_PAY", 1),
      pushed(dropped.data.orderId, "CANCEL", 1, "user"),
    ]);
    // A marker pushed to the room after the last order push: once the watcher has it, it would have had any order push.
    await deps.push.toRoom(roomId, { type: "marker", data: null });
    await eventually(() => watcher.messages.some((m) => m.type === "marker"));
    expect(orderMessages(watcher)).toEqual([]);
    anchorWs.close();
    watcher.close();
  });

  test("the invariant checker reports a planted oversell", async () => {
    const { skuIds, roomId } = await newSale({ stock: [1] });
    const sku = skuIds[0]!;
    const u = await buyer();
    expect((await order(u, roomId, [[sku, 1]])).status).toBe(201);
    await shopClean();
    const now = Date.now();
    await deps.store.db
      .insertInto("shop_order_item")
      .values({ order_id: `planted-${now}`, user_id: u, sku_id: sku, count: 1, price: PRICE, status: ShopOrderStatus.HAS_PAY, create_time: now })
      .execute();
    const violations = await checkShopInvariants(deps.store, deps.hot);
    expect(violations).toContain(`S3 sku ${sku}: orders hold 2 units of a total of 1`);
    await deps.store.db.deleteFrom("shop_order_item").where("order_id", "=", `planted-${now}`).execute();
  });
});

describe.each(profilesUnderTest())("durable order timeouts on the %s profile", (profile) => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await createDeployment(profile, { OVATION_ORDER_TTL_SEC: "1", OVATION_STOCK_SYNC_SEC: "1" });
  });
  afterAll(() => deployment.destroy());

  test("an order's timer set before a restart fires after it; the stock comes back and the sync writes it", async () => {
    const first = await deployment.spawn({ consumers: false, shopWorkers: false });
    const { client, server } = await serve(first);
    const ADMIN_AS = { as: ADMIN };
    const l1 = await client.call<any>("POST", "/api/admin/categories", { ...ADMIN_AS, body: { categoryName: "手机", level: 1 } });
    const l2 = await client.call<any>("POST", "/api/admin/categories", { ...ADMIN_AS, body: { categoryName: "小米", level: 2, parentId: l1.data.categoryId } });
    const l3 = await client.call<any>("POST", "/api/admin/categories", { ...ADMIN_AS, body: { categoryName: "note", level: 3, parentId: l2.data.categoryId } });
    const sku = (await client.call<any>("POST", "/api/admin/skus", { ...ADMIN_AS, body: { skuCode: `ttl-${profile}`, name: "P", skuPrice: PRICE, categoryId: l3.data.categoryId } })).data.skuId;
    await client.call("PUT", `/api/admin/skus/${sku}/stock`, { ...ADMIN_AS, body: { stockNum: 5 } });
    await client.call("PUT", `/api/admin/anchors/77/skus`, { ...ADMIN_AS, body: { skuIds: [sku] } });
    const roomId = (await client.call<any>("POST", "/api/rooms", { as: { userId: 77, role: "anchor" }, body: { title: "t" } })).data.roomId;
    await client.call("POST", `/api/shop/rooms/${roomId}/cart/items`, { as: { userId: 5, role: "viewer" }, body: { skuId: sku, count: 2 } });
    const o = await client.call<any>("POST", `/api/shop/rooms/${roomId}/orders`, { as: { userId: 5, role: "viewer" }, body: { address: ADDRESS } });
    expect(o.status).toBe(201);
    await server.stop();
    await first.close();

    const second = await deployment.spawn({ consumers: false });
    const cancelled = await eventually(async () => {
      const order = await second.shop.orders.get(5, o.data.orderId);
      return order.status === "CANCEL" ? order : null;
    });
    expect(cancelled.cancelReason).toBe("timeout");
    expect(await second.shop.stock.available(sku)).toBe(5);
    const synced = await eventually(async () => {
      const row = await second.store.db.selectFrom("sku_stock").select("synced_available").where("sku_id", "=", sku).executeTakeFirst();
      return row?.synced_available === 5 ? row : null;
    });
    expect(Number(synced.synced_available)).toBe(5);
    expect(await checkShopInvariants(second.store, second.hot, { quiescent: true })).toEqual([]);
  });
});
