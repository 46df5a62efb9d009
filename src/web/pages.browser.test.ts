// The web pages in a real browser (headless Chromium), on both profiles: two
// viewer pages and the anchor console in one room, a refused send, the flash
// sale (the last unit bought in one page, sold out in the other; paying with
// coins; cancelling), a recharge through the sandbox pay page, and a
// WebSocket dropped by the server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { Deps } from "../deps.ts";
import { seedDemo, DEMO } from "../ops/seed.ts";
import { startServer, type RunningServer } from "../server.ts";
import { chromiumMissing, launchChromium } from "../../test/browser.ts";
import { createDeployment, eventually, serve, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";

const ANCHOR = 3001;
const SENDER = 4001;
const WATCHER = 4002; // has no coins
const OTHER = 4003;
const SENDER_COINS = 1000;
const OTHER_COINS = 100;
const giftOf = (name: string) => {
  const g = DEMO.gifts.find(([, n]) => n === name)!;
  return { giftId: g[0], price: g[2] };
};
const CROWN = giftOf("皇冠"); // 20 coins
const PORSCHE = giftOf("保时捷"); // 500 coins
const PRODUCT_30_YUAN = { id: 6, coins: 300 };
const ROOM_START_CLOSE_WINDOW_MS = 10_000;
const ADMIN = { userId: 1, role: "admin" as const };
const ADDRESS = { name: "张三", phone: "13800000000", detail: "北京市海淀区 1 号" };
const LAST_UNIT = { skuCode: "browser-last-unit", name: "Last unit phone", skuPrice: 50, stockNum: 1 };
const PLENTY = { skuCode: "browser-plenty", name: "Phone case", skuPrice: 30, stockNum: 20 };

const missing = chromiumMissing();

if (missing && process.env.OVATION_REQUIRE_SERVICES === "1") {
  test("Chromium for the browser tests", () => {
    throw new Error(`OVATION_REQUIRE_SERVICES=1 but ${missing}`);
  });
} else if (missing) {
  console.warn(`browser tests skip: ${missing}`);
  test.skip(`browser tests (${missing})`, () => {});
} else {
  describe.each(profilesUnderTest())("the web pages on the %s profile", (profile) => {
    let deployment: Deployment;
    let deps: Deps;
    let server: RunningServer;
    let client: Client;
    let browser: Browser;
    let anchor: Page;
    let sender: Page;
    let watcher: Page;
    let roomId: number;
    let startedAt: number;
    const skuIds: Record<string, number> = {};

    const balanceOf = (page: Page) => page.locator("#balance").getAttribute("data-balance").then(Number);
    const connState = (page: Page) => page.locator("#conn").getAttribute("data-state");
    const stockShown = (page: Page, skuId: number) => page.locator(`#skus [data-sku-id="${skuId}"] .sku-stock`).getAttribute("data-stock");
    const orderRow = (page: Page, orderId: string) => page.locator(`#orders [data-order-id="${orderId}"]`);
    const fillAddress = async (page: Page) => {
      for (const [field, value] of Object.entries(ADDRESS)) await page.locator(`#address-${field}`).fill(value);
    };
    /** Adds one unit from the page's product list and waits for the cart to show it. */
    const addToCart = async (page: Page, skuId: number) => {
      await page.locator(`#skus [data-sku-id="${skuId}"] .add`).click();
      await page.locator(`#cart [data-sku-id="${skuId}"]`).waitFor();
    };
    const feedCount = (page: Page, requestId: string) => page.locator(`#gift-feed [data-request-id="${requestId}"]`).count();
    /** A page of its own (its own sessionStorage, so its own signed-in user). */
    const open = async (path: string) => {
      const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      await page.goto(server.url + path);
      return page;
    };

    beforeAll(async () => {
      deployment = await createDeployment(profile);
      deps = await deployment.spawn();
      await seedDemo(deps);
      await deps.wallet.grant({ userId: SENDER, amount: SENDER_COINS, requestId: "browser-sender" });
      await deps.wallet.grant({ userId: OTHER, amount: OTHER_COINS, requestId: "browser-other" });
      ({ server, client } = await serve(deps));

      // What the anchor sells, set up through the admin API before the room starts (which warms its stock).
      const admin = (method: string, path: string, body: unknown) => client.call<any>(method, path, { as: ADMIN, body });
      let parentId: number | null = null;
      for (const [level, categoryName] of ["手机", "小米", "browser 系列"].entries()) parentId = (await admin("POST", "/api/admin/categories", { categoryName, level: level + 1, parentId })).data.categoryId;
      for (const { stockNum, ...sku } of [LAST_UNIT, PLENTY]) {
        const created = await admin("POST", "/api/admin/skus", { ...sku, categoryId: parentId });
        expect(created.status).toBe(201);
        skuIds[sku.skuCode] = created.data.skuId;
        expect((await admin("PUT", `/api/admin/skus/${created.data.skuId}/stock`, { stockNum })).status).toBe(200);
      }
      expect((await admin("PUT", `/api/admin/anchors/${ANCHOR}/skus`, { skuIds: Object.values(skuIds) })).status).toBe(200);
      browser = await launchChromium();

      // The anchor goes live from the console.
      anchor = await open("/anchor?as=" + ANCHOR);
      await anchor.locator("#room-title-input").fill("Browser test room");
      await anchor.locator("#start").click();
      roomId = Number(await anchor.locator("#live-title").getAttribute("data-room-id"));
      startedAt = Date.now();
      expect(roomId).toBeGreaterThan(0);
      sender = await open(`/rooms/${roomId}?as=${SENDER}`);
      watcher = await open(`/rooms/${roomId}?as=${WATCHER}`);
      for (const page of [anchor, sender, watcher]) await eventually(async () => (await connState(page)) === "live");
    });
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await deployment?.destroy();
    });

    test("a gift sent in one page appears once in the other page and in the console; the sender's balance falls by the price", async () => {
      await eventually(async () => (await balanceOf(sender)) === SENDER_COINS);
      expect(await sender.locator("#whoami").getAttribute("data-user-id")).toBe(String(SENDER));
      await sender.locator(`[data-gift-id="${CROWN.giftId}"]`).click();
      await sender.locator("#send-gift").click();

      await sender.locator("#gift-feed .feed-item").first().waitFor();
      const requestId = (await sender.locator("#gift-feed .feed-item").first().getAttribute("data-request-id"))!;
      await eventually(async () => (await feedCount(watcher, requestId)) === 1 && (await feedCount(anchor, requestId)) === 1);
      await eventually(async () => (await balanceOf(sender)) === SENDER_COINS - CROWN.price);
      expect((await client.call<{ balance: number }>("GET", "/api/wallet", { as: { userId: SENDER, role: "viewer" } })).data.balance).toBe(SENDER_COINS - CROWN.price);

      expect(await feedCount(sender, requestId)).toBe(1);
      expect(await feedCount(watcher, requestId)).toBe(1);
      expect(await anchor.locator("#total-count").textContent()).toBe("1");
      expect(await anchor.locator("#total-coins").textContent()).toBe(String(CROWN.price));
      expect(await watcher.locator("#gift-feed").textContent()).toContain(`User ${SENDER} sent ${[...DEMO.gifts].find(([id]) => id === CROWN.giftId)![1]}`);
    });

    test("a gift pushed twice (pushes are at least once) is shown once", async () => {
      const before = await anchor.locator("#total-count").textContent();
      const gift = { requestId: "browser-redelivered", roomId, giftId: CROWN.giftId, giftName: "皇冠", price: CROWN.price, senderId: OTHER, receiverId: ANCHOR, svgaUrl: "" };
      await deps.push.toRoom(roomId, { type: "gift", bizCode: 5556, data: gift });
      await deps.push.toRoom(roomId, { type: "gift", bizCode: 5556, data: gift });
      // A marker pushed after both copies: once it is shown, both copies have been handled.
      await deps.push.toRoom(roomId, { type: "gift", bizCode: 5556, data: { ...gift, requestId: "browser-marker" } });
      for (const page of [anchor, watcher]) await eventually(async () => (await feedCount(page, "browser-marker")) === 1);
      expect(await feedCount(watcher, "browser-redelivered")).toBe(1);
      expect(await feedCount(anchor, "browser-redelivered")).toBe(1);
      expect(await watcher.locator('#effects [data-request-id="browser-redelivered"]').count()).toBeLessThanOrEqual(1);
      expect(Number(await anchor.locator("#total-count").textContent())).toBe(Number(before) + 2);
    });

    test("a send refused for lack of coins shows the API's reason in the sender's page only", async () => {
      // The message the API gives for this refusal, asked the same way the page asks.
      const refusal = await client.call("POST", "/api/gifts/send", {
        as: { userId: WATCHER, role: "viewer" },
        body: { giftId: PORSCHE.giftId, roomId, receiverId: ANCHOR, requestId: "browser-refusal-probe" },
      });
      expect(refusal.status).toBe(402);

      const countBefore = await anchor.locator("#total-count").textContent();
      await watcher.locator(`[data-gift-id="${PORSCHE.giftId}"]`).click();
      await watcher.locator("#send-gift").click();
      const notice = watcher.locator('#notice[data-kind="error"]');
      await notice.waitFor();
      expect(await notice.textContent()).toBe(refusal.msg);

      expect(await sender.locator("#notice").textContent()).not.toContain(refusal.msg);
      expect(await anchor.locator("#notice").textContent()).not.toContain(refusal.msg);
      expect(await anchor.locator("#total-count").textContent()).toBe(countBefore);
      expect(await balanceOf(watcher)).toBe(0);
    });

    test("one viewer buys the last unit: the other page's stock shows 0 and its order attempt shows out of stock", async () => {
      const sku = skuIds[LAST_UNIT.skuCode]!;
      for (const page of [sender, watcher]) await eventually(async () => (await stockShown(page, sku)) === "1");
      for (const page of [sender, watcher]) {
        await addToCart(page, sku);
        await fillAddress(page);
      }
      await sender.locator("#place-order").click();
      await sender.locator('#orders .order[data-status="PREPARE_PAY"]').first().waitFor();
      // The ordered line leaves the cart (the page reads the cart again after the order).
      await eventually(async () => (await sender.locator("#cart [data-sku-id]").count()) === 0);
      expect(await sender.locator("#orders .order .countdown").first().textContent()).toMatch(/^\d+:\d\d$/);
      await eventually(async () => (await stockShown(watcher, sku)) === "0" && (await stockShown(sender, sku)) === "0");
      expect(await watcher.locator(`#skus [data-sku-id="${sku}"] .sku-stock`).textContent()).toBe("Sold out");
      await eventually(async () => (await anchor.locator("#orders-placed").textContent()) === "1");
      expect(await anchor.locator(`#order-feed [data-status="PREPARE_PAY"]`).count()).toBe(1);

      // The message the API gives for this refusal, asked the same way the page asks.
      const probe = { as: { userId: OTHER, role: "viewer" as const } };
      expect((await client.call("POST", `/api/shop/rooms/${roomId}/cart/items`, { ...probe, body: { skuId: sku } })).status).toBe(200);
      const refusal = await client.call("POST", `/api/shop/rooms/${roomId}/orders`, { ...probe, body: { address: ADDRESS } });
      expect(refusal.status).toBe(409);
      expect((await client.call("DELETE", `/api/shop/rooms/${roomId}/cart`, probe)).status).toBe(200);

      await watcher.locator("#place-order").click();
      await eventually(async () => (await watcher.locator('#shop-notice[data-kind="error"]').textContent()) === refusal.msg);
      expect(await watcher.locator("#orders .order").count()).toBe(0);
      expect(await watcher.locator(`#cart [data-sku-id="${sku}"]`).count()).toBe(1);
    });

    test("an order paid with coins: the balance falls by the total and the order shows HAS_PAY, in the page and the console", async () => {
      const sku = skuIds[PLENTY.skuCode]!;
      const before = await balanceOf(sender);
      await addToCart(sender, sku);
      const count = sender.locator(`#cart [data-sku-id="${sku}"] .count`);
      await count.fill("2");
      await count.blur();
      await eventually(async () => (await sender.locator("#cart-total").getAttribute("data-total")) === String(2 * PLENTY.skuPrice));
      await sender.locator("#place-order").click();
      await eventually(async () => (await sender.locator("#orders .order").count()) === 2);
      const orderId = (await sender.locator("#orders .order").first().getAttribute("data-order-id"))!;
      await orderRow(sender, orderId).locator(".pay").click();

      await eventually(async () => (await orderRow(sender, orderId).getAttribute("data-status")) === "HAS_PAY");
      await eventually(async () => (await balanceOf(sender)) === before - 2 * PLENTY.skuPrice);
      const order = await client.call<{ status: string; totalPrice: number }>("GET", `/api/shop/orders/${orderId}`, { as: { userId: SENDER, role: "viewer" } });
      expect([order.data.status, order.data.totalPrice]).toEqual(["HAS_PAY", 2 * PLENTY.skuPrice]);
      await eventually(async () => (await anchor.locator("#orders-paid").textContent()) === "1");
      expect(await anchor.locator("#orders-coins").textContent()).toBe(String(2 * PLENTY.skuPrice));
      expect(await anchor.locator(`#order-feed [data-order-id="${orderId}"]`).getAttribute("data-status")).toBe("HAS_PAY");
    });

    test("cancelling gives the unit back to the room; a pay refused for lack of coins shows the API's reason", async () => {
      const sku = skuIds[LAST_UNIT.skuCode]!;
      const unpaid = sender.locator('#orders .order[data-status="PREPARE_PAY"]');
      const orderId = (await unpaid.first().getAttribute("data-order-id"))!;
      await unpaid.first().locator(".cancel").click();
      await eventually(async () => (await orderRow(sender, orderId).getAttribute("data-status")) === "CANCEL");
      await eventually(async () => (await stockShown(watcher, sku)) === "1");
      await eventually(async () => (await anchor.locator(`#order-feed [data-order-id="${orderId}"]`).getAttribute("data-status")) === "CANCEL");

      // The watcher (no coins) now gets the unit and cannot pay for it.
      await watcher.locator("#place-order").click();
      await watcher.locator('#orders .order[data-status="PREPARE_PAY"]').waitFor();
      const watcherOrder = (await watcher.locator("#orders .order").first().getAttribute("data-order-id"))!;
      const refusal = await client.call("POST", `/api/shop/orders/${watcherOrder}/pay`, { as: { userId: WATCHER, role: "viewer" } });
      expect(refusal.status).toBe(402);
      await orderRow(watcher, watcherOrder).locator(".pay").click();
      await eventually(async () => (await watcher.locator('#orders-notice[data-kind="error"]').textContent()) === refusal.msg);
      expect(await orderRow(watcher, watcherOrder).getAttribute("data-status")).toBe("PREPARE_PAY");
      expect(await balanceOf(watcher)).toBe(0);
    });

    test("a recharge paid on the sandbox pay page raises the balance shown", async () => {
      const before = await balanceOf(sender);
      await sender.locator("#recharge summary").click();
      await sender.locator(`[data-product-id="${PRODUCT_30_YUAN.id}"]`).click();
      const [payPage] = await Promise.all([sender.context().waitForEvent("page"), sender.locator("#pay-link").click()]);
      await payPage.waitForLoadState();
      expect(new URL(payPage.url()).pathname).toMatch(/^\/sandbox\/pay\//);
      await payPage.locator("button[type=submit]").click();
      await payPage.locator("#result").waitFor();

      await eventually(async () => (await balanceOf(sender)) === before + PRODUCT_30_YUAN.coins);
      expect(await sender.locator("#order-status").getAttribute("data-state")).toBe("paid");
      await payPage.close();
    });

    test("when the server drops the WebSocket, the pages reconnect on their own and keep receiving", async () => {
      const [countBefore, coinsBefore] = await Promise.all([anchor.locator("#total-count").textContent(), anchor.locator("#total-coins").textContent()]);
      const port = server.server.port!;
      await server.stop(); // closes every socket (1001), as a restarting server does
      await eventually(async () => (await connState(watcher)) !== "live" && (await connState(anchor)) !== "live");
      server = await startServer(deps, { port });
      for (const page of [anchor, sender, watcher]) await eventually(async () => (await connState(page)) === "live");

      const sent = await client.call<{ requestId: string }>("POST", "/api/gifts/send", {
        as: { userId: OTHER, role: "viewer" },
        body: { giftId: CROWN.giftId, roomId, receiverId: ANCHOR, requestId: "browser-after-reconnect" },
      });
      expect(sent.status).toBe(202);
      await eventually(async () => (await feedCount(watcher, "browser-after-reconnect")) === 1 && (await feedCount(anchor, "browser-after-reconnect")) === 1);
      await eventually(async () => Number(await anchor.locator("#total-count").textContent()) === Number(countBefore) + 1);
      expect(Number(await anchor.locator("#total-coins").textContent())).toBe(Number(coinsBefore) + CROWN.price);
      expect(await feedCount(sender, "browser-after-reconnect")).toBe(1);
    });

    test("the anchor closes the room from the console", async () => {
      // One start or close per 10 s per anchor; the room was started in beforeAll.
      const sinceStart = Date.now() - startedAt;
      if (sinceStart < ROOM_START_CLOSE_WINDOW_MS) await Bun.sleep(ROOM_START_CLOSE_WINDOW_MS - sinceStart);
      await anchor.locator("#close-room").click();
      await anchor.locator("#start-room").waitFor();
      expect((await client.call<{ status: string }>("GET", `/api/rooms/${roomId}`)).data.status).toBe("closed");
      expect(await anchor.locator('#notice[data-kind="ok"]').textContent()).toContain(`Room ${roomId} closed`);
    });
  });
}
