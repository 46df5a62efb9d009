// The window between a send's admission and its durable produce, on both
// profiles: a process that dies there, a broker that loses the record, a
// produce that fails, a client that retries a pending send, and the send rate
// limit folded into the admission. Each ends with the invariant checker in
// quiescent mode: nothing pending, nothing held, nothing doubled.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import type { Deps } from "../deps.ts";
import { ErrorCode, ErrorStatus } from "../lib/errors.ts";
import { TOPICS } from "../eventlog/topics.ts";
import { TradeType } from "../wallet/types.ts";
import { createDeployment, eventually, serve, token, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import { Redis } from "ioredis";
import { createLocalHot, type Hot } from "../hot/index.ts";
import { coinKeys } from "../hot/coins/redis.ts";
import { namespacedKey } from "../hot/redis/connection.ts";
import { SEND_RATE_LIMIT, SEND_RATE_LIMIT_MESSAGE, type GiftSendEvent } from "./send.ts";

const ADMIN = { userId: 1, role: "admin" as const };
const ANCHOR = { userId: 500, role: "anchor" as const };
const GIFT = { giftId: 910, giftName: "comet", price: 30 };
const GRANT = 100;

describe.each(profilesUnderTest())("the admission → produce window on the %s profile", (profile) => {
  let deployment: Deployment;
  let roomId: number;
  let nextUser = 20_000;
  const freshViewer = () => ({ userId: ++nextUser, role: "viewer" as const });

  beforeAll(async () => {
    // Re-drive after 1 s so the sweeper's bound fits a test.
    deployment = await createDeployment(profile, { OVATION_SEND_REDRIVE_SEC: "1" });
    const setup = await deployment.spawn({ consumers: false, giftRedrive: false });
    const { server, client } = await serve(setup);
    expect((await client.call("POST", "/api/admin/gifts", { as: ADMIN, body: GIFT })).status).toBe(201);
    expect((await client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 911, giftName: "pebble", price: 1 } })).status).toBe(201);
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "windows", type: 0 } });
    expect(room.status).toBe(201);
    roomId = room.data.roomId;
    await server.stop();
    await setup.close();
  });
  afterAll(async () => {
    await deployment.destroy();
  });

  /** A process of the deployment with a server; `stop` ends it (server, consumers, sweeper). */
  async function process(options: Parameters<Deployment["spawn"]>[0] = {}) {
    const deps = await deployment.spawn(options);
    const { server, client } = await serve(deps);
    return {
      deps,
      client,
      roomId,
      async stop() {
        await server.stop();
        await deps.close();
      },
    };
  }

  async function funded(client: Client) {
    const viewer = freshViewer();
    const r = await client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: viewer.userId, amount: GRANT, requestId: `grant-${viewer.userId}` } });
    expect(r.status).toBe(200);
    return viewer;
  }

  const sendBody = (roomId: number, requestId: string) => ({ giftId: GIFT.giftId, roomId, receiverId: ANCHOR.userId, requestId });

  async function ledger(deps: Deps, userId: number) {
    return deps.store.db.selectFrom("currency_trade").select("num").where("user_id", "=", userId).where("type", "=", TradeType.SEND_GIFT).execute();
  }

  /** The send ended as one success: one debit, one record, settled, nothing held or pending. */
  async function expectOneSuccess(deps: Deps, client: Client, viewer: { userId: number; role: "viewer" }, requestId: string) {
    await eventually(async () => (await deps.wallet.admission(viewer.userId, requestId))?.state === "settled", 30_000);
    expect((await ledger(deps, viewer.userId)).map((r) => Number(r.num))).toEqual([-GIFT.price]);
    const status = await client.call<{ status: string }>("GET", `/api/gifts/sends/${requestId}`, { as: viewer });
    expect(status.data.status).toBe("success");
    const wallet = await client.call<{ balance: number }>("GET", "/api/wallet", { as: viewer });
    expect(wallet.data.balance).toBe(GRANT - GIFT.price);
    expect(await deps.hot.coins.countPending()).toBe(0);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  }

  test("a process dies after the admission, before the produce: a fresh process's sweeper finishes the send", async () => {
    const planted = new Set<string>();
    // Process A "dies" inside the window: the planted send never reaches the
    // produce, and A has no sweeper (a dead process sweeps nothing).
    const a = await process({
      giftRedrive: false,
      giftSendHooks: { beforeProduce: (e: GiftSendEvent) => (planted.has(e.requestId) ? new Promise<never>(() => undefined) : Promise.resolve()) },
    });
    const viewer = await funded(a.client);
    const requestId = `crash-${viewer.userId}`;
    planted.add(requestId);
    const abort = new AbortController();
    const hanging = fetch(`${a.client.url}/api/gifts/send`, {
      method: "POST",
      signal: abort.signal,
      headers: { "content-type": "application/json", authorization: `Bearer ${await token(viewer.userId, "viewer")}` },
      body: JSON.stringify(sendBody(a.roomId, requestId)),
    }).catch(() => "aborted");
    await eventually(async () => (await a.deps.wallet.admission(viewer.userId, requestId))?.state === "pending");
    abort.abort();
    expect(await hanging).toBe("aborted");
    await a.stop();

    // Process B: its sweeper re-publishes the pending admission, its consumer persists it.
    const b = await process();
    try {
      await expectOneSuccess(b.deps, b.client, viewer, requestId);
    } finally {
      await b.stop();
    }
  }, 90_000);

  test("the broker loses an acknowledged record: the sweeper re-publishes it, persisted once", async () => {
    const lost = new Set<string>();
    const p = await process({ giftSendHooks: { beforeProduce: async (e: GiftSendEvent) => (lost.has(e.requestId) ? "drop" : undefined) } });
    try {
      const viewer = await funded(p.client);
      const requestId = `lost-${viewer.userId}`;
      lost.add(requestId);
      const sent = await p.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(sent.status).toBe(202);
      await expectOneSuccess(p.deps, p.client, viewer, requestId);
    } finally {
      await p.stop();
    }
  }, 90_000);

  test.skipIf(profile !== "embedded")("embedded: the log row of an acknowledged send is deleted; the sweeper re-publishes it, persisted once", async () => {
    const front = await process({ consumers: false, giftRedrive: false });
    const viewer = await funded(front.client);
    const requestId = `row-${viewer.userId}`;
    expect((await front.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(front.roomId, requestId) })).status).toBe(202);
    const deleted = await front.deps.store.db.deleteFrom("event_log").where("payload", "like", `%"requestId":"${requestId}"%`).executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(1);
    await front.stop();
    const p = await process();
    try {
      await expectOneSuccess(p.deps, p.client, viewer, requestId);
    } finally {
      await p.stop();
    }
  }, 90_000);

  test("a retry of a pending send re-publishes it (no sweeper running) and answers 202", async () => {
    const lost = new Set<string>();
    const p = await process({ giftRedrive: false, giftSendHooks: { beforeProduce: async (e: GiftSendEvent) => (lost.has(e.requestId) ? "drop" : undefined) } });
    try {
      const viewer = await funded(p.client);
      const requestId = `retry-${viewer.userId}`;
      lost.add(requestId);
      const first = await p.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(first.status).toBe(202);
      expect((await p.deps.wallet.admission(viewer.userId, requestId))?.state).toBe("pending");
      lost.delete(requestId);
      const retry = await p.client.call<{ requestId: string; status: string }>("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(retry.status).toBe(202);
      expect(retry.data).toEqual({ requestId, status: "accepted" });
      await expectOneSuccess(p.deps, p.client, viewer, requestId);
      // A retry of the finished send answers its outcome and changes nothing.
      const late = await p.client.call<{ status: string }>("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(late.data.status).toBe("success");
      expect((await ledger(p.deps, viewer.userId)).length).toBe(1);
    } finally {
      await p.stop();
    }
  }, 90_000);

  test("a produce that fails: 503 UNAVAILABLE, the admission cancelled, the coins back, nothing persisted", async () => {
    const failing = new Set<string>();
    const p = await process({
      giftSendHooks: {
        beforeProduce: async (e: GiftSendEvent) => {
          if (failing.has(e.requestId)) throw new Error("broker unreachable");
        },
      },
    });
    try {
      const viewer = await funded(p.client);
      const requestId = `fail-${viewer.userId}`;
      failing.add(requestId);
      const sent = await p.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(sent.status).toBe(ErrorStatus.UNAVAILABLE);
      expect(sent.code).toBe(ErrorCode.UNAVAILABLE);
      expect((await p.deps.wallet.admission(viewer.userId, requestId))?.state).toBe("refunded");
      expect(await p.deps.wallet.hotAvailable(viewer.userId)).toBe(GRANT);
      const status = await p.client.call<{ status: string; reason: string }>("GET", `/api/gifts/sends/${requestId}`, { as: viewer });
      expect(status.data).toEqual({ requestId, status: "failed", reason: "not_delivered" } as never);
      // A later send of the same user goes through and is the only debit.
      const next = await p.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, `next-${viewer.userId}`) });
      expect(next.status).toBe(202);
      await expectOneSuccess(p.deps, p.client, viewer, `next-${viewer.userId}`);
    } finally {
      await p.stop();
    }
  }, 90_000);

  test("a produce reported failed after the record landed and the consumer claimed it: the cancel is refused, 202, one debit", async () => {
    // The interleaving G3 closes: the broker writes the record, the consumer
    // claims the admission (D) and is inside its transaction, THEN the
    // sender's produce reports a timeout and it cancels; only then the
    // consumer commits.
    let requestId = "";
    let deps: Deps | undefined;
    let claimedInTx!: () => void;
    const consumerInTx = new Promise<void>((resolve) => (claimedInTx = resolve));
    let releaseCommit!: () => void;
    const commitGate = new Promise<void>((resolve) => (releaseCommit = resolve));
    const p = await process({
      giftSendHooks: {
        beforeProduce: async (e: GiftSendEvent) => {
          if (e.requestId !== requestId) return;
          await deps!.events.publish(TOPICS.sendGift, [{ key: String(e.senderId), value: JSON.stringify(e) }]);
          await consumerInTx;
          throw new Error("produce timed out although the broker wrote the record");
        },
      },
      giftConsumerHooks: {
        beforeCommit: async (outcomes) => {
          if (!outcomes.some((o) => o.event.requestId === requestId)) return;
          claimedInTx();
          await commitGate;
        },
      },
    });
    deps = p.deps;
    try {
      const viewer = await funded(p.client);
      requestId = `claimed-${viewer.userId}`;
      const sent = await p.client.call<{ requestId: string; status: string }>("POST", "/api/gifts/send", { as: viewer, body: sendBody(p.roomId, requestId) });
      expect(sent.status).toBe(202);
      expect(sent.data).toEqual({ requestId, status: "accepted" });
      // The refused cancel changed nothing: still claimed, the coins still held.
      expect((await p.deps.wallet.admission(viewer.userId, requestId))?.state).toBe("claimed");
      expect(await p.deps.wallet.hotAvailable(viewer.userId)).toBe(GRANT - GIFT.price);
      releaseCommit();
      await expectOneSuccess(p.deps, p.client, viewer, requestId);
      expect(await p.deps.wallet.hotAvailable(viewer.userId)).toBe(GRANT - GIFT.price);
    } finally {
      releaseCommit();
      await p.stop();
    }
  }, 90_000);

  test("status after the hot store lost the admission: 'not known yet' (503) while it may be in the backlog, then its outcome", async () => {
    const a = await process({ consumers: false, giftRedrive: false });
    const viewer = await funded(a.client);
    const requestId = `lost-hot-${viewer.userId}`;
    expect((await a.client.call("POST", "/api/gifts/send", { as: viewer, body: sendBody(a.roomId, requestId) })).status).toBe(202);
    await a.stop();
    // The hot store loses its data: on Redis the admission is flushed; the
    // embedded hot store dies with its process, so the next one starts empty.
    let hot: Hot | undefined;
    if (profile === "cluster") {
      const raw = new Redis(deployment.config.redisUrl!);
      await raw.del(coinKeys({ key: namespacedKey(deployment.config.namespace) }).admission(viewer.userId, requestId));
      await raw.quit();
    } else {
      hot = createLocalHot();
    }
    const front = await process({ consumers: false, giftRedrive: false, hot });
    try {
      const unknown = await front.client.call<{ requestId: string; backlog: number | null }>("GET", `/api/gifts/sends/${requestId}`, { as: viewer });
      expect(unknown.status).toBe(ErrorStatus.UNAVAILABLE);
      expect(unknown.code).toBe(ErrorCode.UNAVAILABLE);
      expect(unknown.data).toEqual({ requestId, backlog: null });
      // A process with the consumer persists it from the log; settling finds nothing to settle.
      const back = await process({ hot });
      try {
        await eventually(async () => (await back.client.call<{ status: string }>("GET", `/api/gifts/sends/${requestId}`, { as: viewer })).data?.status === "success", 30_000);
        expect((await ledger(back.deps, viewer.userId)).length).toBe(1);
        // With the backlog drained, a send nobody made is plainly unknown.
        await eventually(async () => (await back.client.call("GET", `/api/gifts/sends/never-${viewer.userId}`, { as: viewer })).status === ErrorStatus.NOT_FOUND, 30_000);
      } finally {
        await back.stop();
      }
    } finally {
      await front.stop();
      await hot?.close();
    }
  }, 90_000);

  test("the send rate limit is counted in the admission: over it, 429 with its message and Retry-After, nothing debited", async () => {
    const p = await process({ consumers: false });
    try {
      const viewer = await funded(p.client);
      // Cheap sends (the 1-coin gift) so the balance never limits.
      await p.client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: viewer.userId, amount: 1000, requestId: `more-${viewer.userId}` } });
      const auth = `Bearer ${await token(viewer.userId, "viewer")}`;
      const attempts = SEND_RATE_LIMIT.limit + 20;
      const results = await Promise.all(
        Array.from({ length: attempts }, async (_, i) => {
          const res = await fetch(`${p.client.url}/api/gifts/send`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: auth },
            body: JSON.stringify({ giftId: 911, roomId: p.roomId, receiverId: ANCHOR.userId, requestId: `rl-${i}` }),
          });
          return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { code: number; msg: string } };
        }),
      );
      const limited = results.filter((r) => r.status === ErrorStatus.RATE_LIMITED);
      const accepted = results.filter((r) => r.status === 202);
      // The window may roll over during the burst on a loaded machine: never more than the limit per window.
      expect(limited.length).toBeGreaterThan(0);
      expect(accepted.length + limited.length).toBe(attempts);
      for (const r of limited) {
        expect(r.body.code).toBe(ErrorCode.RATE_LIMITED);
        expect(r.body.msg).toBe(SEND_RATE_LIMIT_MESSAGE);
        expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(await p.deps.wallet.hotAvailable(viewer.userId)).toBe(GRANT + 1000 - accepted.length);
    } finally {
      await p.stop();
    }
  }, 90_000);
});
