// The invariant checker finds what is planted and nothing on a clean run, on
// both profiles, as a function and as the command operators run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Deps } from "../src/deps.ts";
import { TradeType } from "../src/wallet/types.ts";
import { createDeployment, eventually, serve, type Client, type Deployment } from "../test/harness.ts";
import { profilesUnderTest } from "../test/services.ts";
import { checkInvariants, EMBEDDED_HOT_NOTE } from "./check-invariants.ts";

const ADMIN = { userId: 1, role: "admin" as const };

describe.each(profilesUnderTest())("the invariant checker on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stop: () => Promise<void>;

  async function cli(...args: string[]): Promise<{ code: number; out: string }> {
    const p = Bun.spawn([process.execPath, "run", "scripts/check-invariants.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", OVATION_LOG: "silent", ...deployment.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const code = await p.exited;
    return { code, out: await new Response(p.stdout).text() };
  }

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn();
    const s = await serve(deps);
    client = s.client;
    stop = s.server.stop;
    await client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 950, giftName: "bubble", price: 5 } });
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: { userId: 700, role: "anchor" }, body: { title: "check", type: 0 } });
    await client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: 71, amount: 50, requestId: "chk" } });
    for (let i = 0; i < 3; i++) {
      await client.call("POST", "/api/gifts/send", { as: { userId: 71, role: "viewer" }, body: { giftId: 950, roomId: room.data.roomId, receiverId: 700 } });
    }
    await eventually(async () => (await deps.store.db.selectFrom("gift_record").select("id").execute()).length === 3);
  });
  afterAll(async () => {
    await stop();
    await deployment.destroy();
  });

  test("a clean run reports nothing", async () => {
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
    const r = await cli();
    expect(r.out).toContain("invariants hold");
    expect(r.code).toBe(0);
  });

  test("the command says plainly when it cannot see the hot store (embedded), and only then", async () => {
    const r = await cli("--quiescent");
    expect(r.out.split("\n").includes(EMBEDDED_HOT_NOTE)).toBe(profile === "embedded");
  });

  test("planted violations are each reported", async () => {
    const db = deps.store.db;
    const now = Date.now();
    // A ledger row whose balance never moved, and a gift record with no debit.
    await db.insertInto("currency_trade").values({ user_id: 71, num: 7, type: TradeType.ADMIN_GRANT, status: 0, biz_id: "planted-1", create_time: now }).execute();
    await db
      .insertInto("gift_record")
      .values({ biz_id: "planted-2", request_id: "p2", sender_id: 72, receiver_id: 700, room_id: 1, gift_id: 950, price: 5, send_time: now })
      .execute();
    const found = await checkInvariants(deps.store, deps.hot);
    expect(found.some((v) => v.startsWith("C1 user 71"))).toBe(true);
    expect(found.some((v) => v.startsWith("C3 send planted-2"))).toBe(true);
    const r = await cli();
    expect(r.code).toBe(1);
    expect(r.out).toContain("C1 user 71");
    await db.deleteFrom("currency_trade").where("biz_id", "=", "planted-1").execute();
    await db.deleteFrom("gift_record").where("biz_id", "=", "planted-2").execute();
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("C6 counts a claimed admission as unfinished, like a pending one", async () => {
    await deps.wallet.grant({ userId: 73, amount: 20, requestId: "chk-73" });
    const admitted = await deps.wallet.admit({ userId: 73, admissionId: "c6", amount: 5, fingerprint: "f", payload: "e" });
    expect(admitted.kind).toBe("admitted");
    expect(await deps.wallet.claim([{ userId: 73, admissionId: "c6" }])).toEqual(["claimed"]);
    const found = await checkInvariants(deps.store, deps.hot, { quiescent: true });
    expect(found).toContain("C6 1 admission(s) still pending or claimed with nothing in flight");
    expect(await deps.wallet.refund(73, "c6")).toBe(true);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });
});
