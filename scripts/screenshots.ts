// Screenshots of the viewer page (its top, and its shop: products, cart,
// orders) and the anchor console at phone (390x844) and desktop (1280x800)
// width, into docs/*.png for the README:
//   bun run screenshots
// Starts its own embedded Ovation (demo data, a throwaway SQLite file, a free
// port), fills the room with a few gifts and orders, and drives headless
// Chromium.
// The demo's gift names are Chinese: without a CJK font installed (Debian:
// fonts-wqy-microhei or fonts-noto-cjk) they come out as empty boxes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { loadConfig } from "../src/config.ts";
import { createDeps } from "../src/deps.ts";
import { signToken } from "../src/lib/auth.ts";
import { DEMO, seedDemo } from "../src/ops/seed.ts";
import { startServer } from "../src/server.ts";
import { chromiumMissing, launchChromium } from "../test/browser.ts";

process.env.OVATION_LOG ??= "warn";
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const OTHER_VIEWERS = [2002, 2003, 2004];
const DOCS = join(import.meta.dir, "..", "docs");

const missing = chromiumMissing();
if (missing) {
  console.error(`screenshots: ${missing}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "ovation-shots-"));
const config = loadConfig({ ...process.env, OVATION_SQLITE_PATH: join(dir, "ovation.db"), PORT: "0", OVATION_DEV_LOGIN: "1" });
const deps = await createDeps(config);
await seedDemo(deps);
await deps.start();
const server = await startServer(deps, { port: 0 });
const browser = await launchChromium();

const [room] = (await deps.rooms.listLiving(1, 1)).items;
if (!room) throw new Error("the demo seed started no room");
const callAs = async (userId: number, method: string, path: string, body?: unknown) => {
  const token = await signToken(config.jwtSecret, { userId, role: "viewer" });
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: any }).data;
};
const sendAs = (userId: number, giftId: number) => callAs(userId, "POST", "/api/gifts/send", { giftId, roomId: room.roomId, receiverId: room.anchorId });
/** Another viewer orders `count` of a SKU, and pays when asked. */
const buyAs = async (userId: number, skuId: number, count: number, pay: boolean) => {
  await callAs(userId, "POST", `/api/shop/rooms/${room.roomId}/cart/items`, { skuId, count });
  const order = await callAs(userId, "POST", `/api/shop/rooms/${room.roomId}/orders`, { address: { name: `Viewer ${userId}`, phone: "13800000000", detail: "Somewhere 1" } });
  if (pay) await callAs(userId, "POST", `/api/shop/orders/${order.orderId}/pay`);
};
for (const userId of OTHER_VIEWERS) await deps.wallet.grant({ userId, amount: 5000, requestId: `screenshots-${userId}` });

async function openPage(path: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: VIEWPORTS.phone, deviceScaleFactor: 1 })).newPage();
  await page.goto(server.url + path);
  await page.locator('#conn[data-state="live"]').waitFor();
  return page;
}

try {
  const consolePage = await openPage(`/anchor?as=${room.anchorId}`);
  const viewer = await openPage(`/rooms/${room.roomId}?as=${DEMO.viewerId}`);
  await viewer.locator("#balance[data-balance]").waitFor();

  // A room with some history: gifts from other viewers, then one of our own.
  const gifts = DEMO.gifts.map(([id]) => id);
  for (const [i, userId] of [...OTHER_VIEWERS, ...OTHER_VIEWERS].entries()) await sendAs(userId, gifts[(i * 3) % gifts.length]!);
  await viewer.locator(`[data-gift-id="${DEMO.gifts[1][0]}"]`).click();
  await viewer.locator("#send-gift").click();
  await viewer.locator('#notice[data-kind="ok"]').waitFor();
  await consolePage.locator("#total-count", { hasText: "7" }).waitFor();

  // The flash sale: other viewers buy (most pay), and ours orders one phone and has another in the cart.
  const skus: { skuId: number }[] = await callAs(DEMO.viewerId, "GET", `/api/shop/anchors/${room.anchorId}/skus`);
  const [first, second, third] = skus.map((s) => s.skuId);
  await buyAs(OTHER_VIEWERS[0]!, first!, 2, true);
  await buyAs(OTHER_VIEWERS[1]!, third!, 1, true);
  await buyAs(OTHER_VIEWERS[2]!, second!, 1, false);
  await viewer.locator(`#skus [data-sku-id="${first}"] .add`).click();
  await viewer.locator(`#cart [data-sku-id="${first}"]`).waitFor();
  for (const [field, value] of Object.entries({ name: "王小明", phone: "13800000000", detail: "北京市海淀区中关村大街 1 号" })) await viewer.locator(`#address-${field}`).fill(value);
  await viewer.locator("#place-order").click();
  await viewer.locator('#orders .order[data-status="PREPARE_PAY"]').waitFor();
  await viewer.locator(`#skus [data-sku-id="${second}"] .add`).click();
  await viewer.locator(`#cart [data-sku-id="${second}"]`).waitFor();
  await consolePage.locator("#orders-placed", { hasText: "4" }).waitFor();
  await consolePage.locator("#preheat").click();
  await consolePage.locator('#notice[data-kind="ok"]').waitFor();

  for (const [name, size] of Object.entries(VIEWPORTS)) {
    await viewer.setViewportSize(size);
    await consolePage.setViewportSize(size);
    // A fresh effect on the stage for the picture (its slide-in takes 0.45 s).
    await sendAs(OTHER_VIEWERS[0]!, DEMO.gifts[0][0]);
    await viewer.locator(".effect").last().waitFor();
    await viewer.evaluate(() => window.scrollTo(0, 0));
    await viewer.waitForTimeout(700);
    await viewer.screenshot({ path: join(DOCS, `viewer-${name}.png`) });
    await viewer.locator("#shop").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await viewer.screenshot({ path: join(DOCS, `shop-${name}.png`) });
    await consolePage.screenshot({ path: join(DOCS, `console-${name}.png`), fullPage: true });
    console.log(`docs/viewer-${name}.png, docs/shop-${name}.png, docs/console-${name}.png`);
  }
} finally {
  await browser.close();
  await server.stop();
  await deps.close();
  rmSync(dir, { recursive: true, force: true });
}
