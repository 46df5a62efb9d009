// Fail fast while Redis is down (cluster profile): the deployment runs on a
// redis-server of its own, which this test stops in the middle. A send then
// answers 503 UNAVAILABLE before the client's 3 s abort, is never executed
// once Redis is back, and the server recovers by itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInvariants } from "../../../scripts/check-invariants.ts";
import type { Deps } from "../../deps.ts";
import { ErrorCode, ErrorStatus } from "../../lib/errors.ts";
import { TradeType } from "../../wallet/types.ts";
import { createDeployment, eventually, serve, token, type Client, type Deployment } from "../../../test/harness.ts";
import { profilesUnderTest } from "../../../test/services.ts";

/** This helper's own port (range 18500-18549), never the shared Redis. */
const REDIS_PORT = 18501;
/** The client gives up after this; the answer must come first. */
const CLIENT_ABORT_MS = 3000;

const ADMIN = { userId: 1, role: "admin" as const };
const ANCHOR = { userId: 500, role: "anchor" as const };
const VIEWER = { userId: 31_001, role: "viewer" as const };

/** A redis-server keeping its data across a stop (SHUTDOWN SAVE into its own directory). */
function ownRedis(port: number) {
  const dir = mkdtempSync(join(tmpdir(), "ovation-redis-"));
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const cli = (...args: string[]) => Bun.spawn(["redis-cli", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
      await eventually(async () => (await new Response(cli("PING").stdout).text()).trim() === "PONG", 10_000);
    },
    async stop() {
      await cli("SHUTDOWN", "SAVE").exited;
      await proc?.exited;
      proc = null;
    },
    async destroy() {
      if (proc) {
        proc.kill(9);
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!profilesUnderTest().includes("cluster"))("Redis stopped under a running server (cluster profile)", () => {
  const redis = ownRedis(REDIS_PORT);
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stopServer: () => Promise<void>;
  let roomId: number;

  beforeAll(async () => {
    await redis.start();
    deployment = await createDeployment("cluster", { OVATION_REDIS_URL: redis.url });
    deps = await deployment.spawn();
    const s = await serve(deps);
    client = s.client;
    stopServer = s.server.stop;
    await client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 920, giftName: "bell", price: 10 } });
    roomId = (await client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "outage", type: 0 } })).data.roomId;
    await client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: VIEWER.userId, amount: 100, requestId: "outage-grant" } });
  });

  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
    await redis.destroy();
  });

  /** A send with the client's abort; "aborted" when no answer came in time. */
  async function send(requestId: string): Promise<{ status: number; code: number; ms: number } | "aborted"> {
    const started = performance.now();
    try {
      const res = await fetch(`${client.url}/api/gifts/send`, {
        method: "POST",
        signal: AbortSignal.timeout(CLIENT_ABORT_MS),
        headers: { "content-type": "application/json", authorization: `Bearer ${await token(VIEWER.userId, "viewer")}` },
        body: JSON.stringify({ giftId: 920, roomId, receiverId: ANCHOR.userId, requestId }),
      });
      const body = (await res.json()) as { code: number };
      return { status: res.status, code: body.code, ms: Math.round(performance.now() - started) };
    } catch {
      return "aborted";
    }
  }

  const ledger = async () =>
    (await deps.store.db.selectFrom("currency_trade").select("biz_id").where("user_id", "=", VIEWER.userId).where("type", "=", TradeType.SEND_GIFT).execute()).map((r) => r.biz_id).sort();

  test("a send answers 503 before the client gives up, is never executed, and the server recovers when Redis returns", async () => {
    const before = await send("before");
    expect(before).toMatchObject({ status: 202 });
    await eventually(async () => (await deps.wallet.admission(VIEWER.userId, "before"))?.state === "settled");

    await redis.stop();
    const during = await Promise.all(["down-1", "down-2", "down-3"].map((id) => send(id)));
    for (const r of during) {
      expect(r).not.toBe("aborted");
      expect(r).toMatchObject({ status: ErrorStatus.UNAVAILABLE, code: ErrorCode.UNAVAILABLE });
    }
    // Measured, not asserted (speed is for the fault suite and load scripts).
    console.info(`[fail-fast] sends while Redis was down answered 503 in ${during.map((r) => (r === "aborted" ? "aborted" : `${r.ms} ms`)).join(", ")}`);
    expect((await client.call("GET", "/readyz")).status).toBe(ErrorStatus.UNAVAILABLE);

    await redis.start();
    // Recovery by itself: sends are accepted again.
    await eventually(async () => {
      const r = await send("after");
      return r !== "aborted" && r.status === 202;
    }, 20_000);
    await eventually(async () => (await deps.wallet.admission(VIEWER.userId, "after"))?.state === "settled", 20_000);
    // Only the two sends answered 202 moved money; the 503 ones never ran.
    expect(await ledger()).toEqual([`gift:${VIEWER.userId}:after`, `gift:${VIEWER.userId}:before`]);
    for (const id of ["down-1", "down-2", "down-3"]) expect(await deps.wallet.admission(VIEWER.userId, id)).toBeNull();
    const wallet = await client.call<{ balance: number }>("GET", "/api/wallet", { as: VIEWER });
    expect(wallet.data.balance).toBe(80);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  }, 90_000);
});
