// The process pool (cluster profile): OVATION_WORKERS processes share one
// port, a gift sent through one reaches a socket held by another, and SIGTERM
// drains and stops them all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDeployment, eventually, token, wsClient, type Deployment } from "../test/harness.ts";
import { clusterAvailable } from "../test/services.ts";
import { DEMO } from "./ops/seed.ts";

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}

describe.skipIf(!clusterAvailable())("the process pool on the cluster profile", () => {
  let deployment: Deployment;
  let proc: ReturnType<typeof Bun.spawn>;
  let base: string;

  beforeAll(async () => {
    deployment = await createDeployment("cluster");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const c = deployment.config;
    proc = Bun.spawn([process.execPath, "run", "src/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        OVATION_LOG: "warn",
        OVATION_PROFILE: "cluster",
        PORT: String(port),
        OVATION_WORKERS: "2",
        OVATION_MYSQL_URL: c.mysqlUrl!,
        OVATION_REDIS_URL: c.redisUrl!,
        OVATION_KAFKA_BROKERS: c.kafkaBrokers!.join(","),
        OVATION_JWT_SECRET: c.jwtSecret,
        OVATION_PAY_SECRET: c.paySecret,
        OVATION_NAMESPACE: c.namespace,
        OVATION_DEMO_SEED: "1",
      },
      stdout: "inherit",
      stderr: "inherit",
    });
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 30000, 200);
  });
  afterAll(async () => {
    proc.kill("SIGKILL");
    await deployment.destroy();
  });

  test("two workers answer on one port, a push crosses them, SIGTERM stops the pool", async () => {
    const pids = new Set<number>();
    await eventually(async () => {
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${base}/healthz`, { headers: { connection: "close" } });
        pids.add(((await r.json()) as { data: { pid: number } }).data.pid);
      }
      return pids.size === 2;
    }, 20000, 50);
    expect(pids.size).toBe(2);

    // Demo data: the demo anchor is living; the demo viewer holds coins.
    const rooms = (await (await fetch(`${base}/api/rooms`)).json()) as { data: { items: { roomId: number; anchorId: number }[] } };
    const room = rooms.data.items.find((r) => r.anchorId === DEMO.anchorId)!;
    const [giftId, , price] = DEMO.gifts[1];
    expect(price).toBeLessThanOrEqual(DEMO.viewerCoins);
    const sockets = await Promise.all(Array.from({ length: 6 }, (_, i) => wsClient(base, 3000 + i, room.roomId)));
    const auth = { authorization: `Bearer ${await token(DEMO.viewerId, "viewer")}`, "content-type": "application/json", connection: "close" };
    const sent = await fetch(`${base}/api/gifts/send`, { method: "POST", headers: auth, body: JSON.stringify({ giftId, roomId: room.roomId, receiverId: DEMO.anchorId }) });
    expect(sent.status).toBe(202);
    // Both workers consume send_gift in one Kafka group; joining a group on
    // the mock broker takes up to a session timeout (30 s by default).
    for (const s of sockets) await eventually(() => s.messages.some((m) => m.type === "gift" && m.data.giftId === giftId), 75000, 100);
    for (const s of sockets) s.close();

    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  }, 120000);
});
