// Screenshots of the viewer page and the anchor console at phone (390x844)
// and desktop (1280x800) width, into docs/*.png for the README:
//   bun run screenshots
// Starts its own embedded Ovation (demo data, a throwaway SQLite file, a free
// port), fills the room with a few gifts, and drives headless Chromium.
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
const sendAs = async (userId: number, giftId: number) => {
  const token = await signToken(config.jwtSecret, { userId, role: "viewer" });
  const res = await fetch(`${server.url}/api/gifts/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ giftId, roomId: room.roomId, receiverId: room.anchorId }),
  });
  if (res.status !== 202) throw new Error(`gift send answered ${res.status}: ${await res.text()}`);
};
for (const userId of OTHER_VIEWERS) await deps.wallet.grant({ userId, amount: 2000, requestId: `screenshots-${userId}` });

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

  for (const [name, size] of Object.entries(VIEWPORTS)) {
    await viewer.setViewportSize(size);
    await consolePage.setViewportSize(size);
    // A fresh effect on the stage for the picture (its slide-in takes 0.45 s).
    await sendAs(OTHER_VIEWERS[0]!, DEMO.gifts[0][0]);
    await viewer.locator(".effect").last().waitFor();
    await viewer.evaluate(() => window.scrollTo(0, 0));
    await viewer.waitForTimeout(700);
    await viewer.screenshot({ path: join(DOCS, `viewer-${name}.png`) });
    await consolePage.screenshot({ path: join(DOCS, `console-${name}.png`) });
    console.log(`docs/viewer-${name}.png, docs/console-${name}.png`);
  }
} finally {
  await browser.close();
  await server.stop();
  await deps.close();
  rmSync(dir, { recursive: true, force: true });
}
