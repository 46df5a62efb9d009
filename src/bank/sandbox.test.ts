// The sandbox payment provider: the pay page, the Pay button, and a
// notification sender that keeps retrying with back-off while Ovation refuses
// and stops at `success` — picking up deliveries recorded before it started.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDeployment, eventually, serve, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import type { Deps } from "../deps.ts";
import { retryDelayMs } from "./sandbox.ts";
import { seedRechargeCatalogue } from "./seed.ts";
import { SIGNATURE_HEADER } from "./signature.ts";
import { createOrder } from "../../test/recharge.ts";

test("the sandbox backs off 1 s, 2 s, 4 s … up to a minute", () => {
  expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

describe.each(profilesUnderTest())("the sandbox provider on the %s profile", (profile) => {
  let deployment: Deployment;
  let server: Deps;
  let client: Client;
  let stopServer: () => Promise<void>;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    // The server process sends no notifications itself: the sandbox worker
    // runs in a separate process started later (below).
    server = await deployment.spawn({ sandboxWorker: false });
    await seedRechargeCatalogue(server.store);
    const s = await serve(server);
    client = s.client;
    stopServer = s.server.stop;
  }, 30_000);
  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
  }, 30_000);

  test("Pay on the page; refused twice by a wrong signature, the notification is retried with back-off until success, then never again", async () => {
    const userId = 5001;
    const order = await createOrder(client, userId, 6, "unionpay");

    const pageRes = await fetch(order.payUrl);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers.get("content-type")).toContain("text/html");
    const html = await pageRes.text();
    expect(html).toContain("30元旗鱼币");
    expect(html).toContain("¥30.00");
    expect(html).toContain("PAYING");
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
    expect(action).toBe(`/sandbox/pay/${order.orderId}/confirm`);

    // Press Pay (what the browser's form post does).
    const confirm = await fetch(client.url + action!, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain("Payment sent.");
    const again = await fetch(client.url + action!, { method: "POST" });
    expect(await again.text()).toContain("Payment was already sent.");

    // A stand-in network between the sandbox and Ovation that spoils the
    // signature of the first two deliveries, so Ovation answers 401 fail.
    const hits: { at: number; status: number; text: string }[] = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const headers = new Headers(req.headers);
        if (hits.length < 2) headers.set(SIGNATURE_HEADER, "0".repeat(64));
        const res = await fetch(client.url + new URL(req.url).pathname, { method: req.method, headers, body: await req.text() });
        const text = await res.text();
        hits.push({ at: Date.now(), status: res.status, text });
        return new Response(text, { status: res.status });
      },
    });
    try {
      // Nothing delivers yet: the notification waits in the table.
      await Bun.sleep(400);
      expect(hits).toEqual([]);
      const queued = await server.store.db.selectFrom("sandbox_delivery").select(["attempts", "delivered_time"]).where("order_id", "=", order.orderId).execute();
      expect(queued.map((r) => [Number(r.attempts), r.delivered_time])).toEqual([[0, null]]);

      // A sandbox process starts later and reaches Ovation through the proxy.
      const sandbox = await deployment.spawn({ consumers: false, outboxRelay: false });
      sandbox.publicUrl.bindPort(proxy.port!);

      await eventually(() => hits.some((h) => h.status === 200), 20_000);
      expect(hits.map((h) => [h.status, h.text])).toEqual([
        [401, "fail"],
        [401, "fail"],
        [200, "success"],
      ]);
      expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(900);
      expect(hits[2]!.at - hits[1]!.at).toBeGreaterThanOrEqual(1900);

      // Accepted: no further deliveries.
      await Bun.sleep(2500);
      expect(hits.length).toBe(3);
      const row = await server.store.db.selectFrom("sandbox_delivery").select(["attempts", "delivered_time", "last_error"]).where("order_id", "=", order.orderId).executeTakeFirstOrThrow();
      expect(Number(row.attempts)).toBe(3);
      expect(Number(row.delivered_time)).toBeGreaterThan(0);
      expect(row.last_error).toBeNull();
    } finally {
      await proxy.stop(true);
    }

    const wallet = await client.call<{ balance: number; totalCharged: number }>("GET", "/api/wallet", { as: { userId, role: "viewer" } });
    expect(wallet.data).toMatchObject({ balance: 300, totalCharged: 300 });
    const read = await client.call<{ status: string }>("GET", `/api/bank/orders/${order.orderId}`, { as: { userId, role: "viewer" } });
    expect(read.data.status).toBe("PAYED");
    const after = await (await fetch(order.payUrl)).text();
    expect(after).toContain("PAYED");
    expect(after).not.toContain("<form");
    const late = await fetch(client.url + action!, { method: "POST" });
    expect(await late.text()).toContain("Already paid");
    expect((await fetch(`${client.url}/sandbox/pay/RCnosuchorder0000000000`)).status).toBe(404);
  }, 60_000);
});
