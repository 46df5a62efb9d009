// Sending a gift, the asynchronous half: a batched consumer of `send_gift`.
//
// For a batch, in ONE database transaction, each send not seen before is
// either persisted (conditional debit + SEND_GIFT ledger row + gift record)
// or, when the database refuses the debit, recorded as a failure. A send is
// "seen before" when its business id already has a ledger row or a failure
// row, so redelivery after a crash anywhere below changes nothing.
// After the commit: settle (success) or refund (failure) each admission in the
// hot store — both idempotent — then push, then the log commits the offsets.
//
// Crash windows: before the commit → the batch is redelivered and decided
// afresh; after the commit but before the offset commit → redelivered, found
// "seen", settled/refunded again (no-ops) and pushed again (pushes are at
// least once; clients dedupe by requestId).
import type { Hot } from "../hot/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { LogMessage } from "../log/port.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { AccountStatus, TradeType } from "../wallet/types.ts";
import type { Push } from "../ws/push.ts";
import type { GiftSendEvent } from "./send.ts";

export const GIFT_PUSH = { SUCCESS: 5556, FAIL: 5557 } as const;

export type GiftOutcome = { event: GiftSendEvent; ok: true; fresh: boolean } | { event: GiftSendEvent; ok: false; reason: string; fresh: boolean };

export interface GiftConsumerHooks {
  /** Runs after the database commit, before hot-store settlement and the offset commit (crash-window tests). */
  afterCommit?: (outcomes: GiftOutcome[]) => Promise<void>;
}

function parse(m: LogMessage, log: Logger): GiftSendEvent | null {
  try {
    const e = JSON.parse(m.value) as GiftSendEvent;
    if (typeof e.bizId === "string" && Number.isInteger(e.price) && Number.isInteger(e.senderId)) return e;
  } catch {
    // fall through
  }
  log.error("unreadable send_gift message skipped", { partition: m.partition, offset: m.offset });
  return null;
}

export function createGiftConsumer(deps: {
  store: Store;
  hot: Hot;
  wallet: WalletService;
  push: Push;
  metrics: Metrics;
  log: Logger;
  hooks?: GiftConsumerHooks;
}) {
  const { store, hot, wallet, push, metrics, log } = deps;
  const repo = wallet.repo;

  async function persist(events: GiftSendEvent[]): Promise<GiftOutcome[]> {
    return store.transact(async (trx) => {
      const ids = events.map((e) => e.bizId);
      const persisted = await repo.existingBizIds(trx, ids);
      const failedRows = await trx.selectFrom("gift_send_failure").select(["biz_id", "reason"]).where("biz_id", "in", ids).execute();
      const failed = new Map(failedRows.map((r) => [r.biz_id, r.reason]));
      const outcomes: GiftOutcome[] = [];
      for (const e of events) {
        if (persisted.has(e.bizId)) {
          outcomes.push({ event: e, ok: true, fresh: false });
          continue;
        }
        const earlierFailure = failed.get(e.bizId);
        if (earlierFailure !== undefined) {
          outcomes.push({ event: e, ok: false, reason: earlierFailure, fresh: false });
          continue;
        }
        const now = Date.now();
        const debited = await repo.debit(trx, { userId: e.senderId, amount: e.price, type: TradeType.SEND_GIFT, bizId: e.bizId, now });
        if (debited) {
          await trx
            .insertInto("gift_record")
            .values({
              biz_id: e.bizId,
              request_id: e.requestId,
              sender_id: e.senderId,
              receiver_id: e.receiverId,
              room_id: e.roomId,
              gift_id: e.giftId,
              price: e.price,
              send_time: now,
            })
            .execute();
          persisted.add(e.bizId);
          outcomes.push({ event: e, ok: true, fresh: true });
        } else {
          const acc = await repo.getAccount(trx, e.senderId);
          const reason = acc && acc.status !== AccountStatus.ACTIVE ? "account_frozen" : "insufficient_balance";
          await trx
            .insertInto("gift_send_failure")
            .values({ biz_id: e.bizId, request_id: e.requestId, sender_id: e.senderId, room_id: e.roomId, gift_id: e.giftId, price: e.price, reason, create_time: now })
            .execute();
          failed.set(e.bizId, reason);
          outcomes.push({ event: e, ok: false, reason, fresh: true });
        }
      }
      return outcomes;
    });
  }

  async function settle(o: GiftOutcome): Promise<void> {
    const { senderId, requestId } = o.event;
    if (o.ok) {
      const settled = await hot.coins.settleDebit(senderId, requestId);
      if (!settled && o.fresh) {
        // The admission was refunded (its produce reported failure although
        // the message landed) or has expired, yet the send is now debited in
        // the database: the hot `available` no longer matches the truth, so
        // drop it and let the next admission rebuild it from the database.
        await hot.coins.dropWallet(senderId);
      }
    } else {
      await hot.coins.refundDebit(senderId, requestId);
      if (o.fresh && o.reason === "insufficient_balance") {
        // The hot store admitted coins the database does not have: its
        // `available` drifted (lost data, a rebuild while debits were
        // pending). Drop it so the next admission rebuilds from the truth.
        await hot.coins.dropWallet(senderId);
      }
    }
  }

  async function announce(o: GiftOutcome): Promise<void> {
    const e = o.event;
    if (o.ok) {
      await push.toRoom(e.roomId, {
        type: "gift",
        bizCode: GIFT_PUSH.SUCCESS,
        data: {
          requestId: e.requestId,
          roomId: e.roomId,
          giftId: e.giftId,
          giftName: e.giftName,
          price: e.price,
          senderId: e.senderId,
          receiverId: e.receiverId,
          svgaUrl: e.svgaUrl,
        },
      });
    } else {
      await push.toUser(e.senderId, { type: "gift_fail", bizCode: GIFT_PUSH.FAIL, data: { requestId: e.requestId, reason: o.reason } });
    }
  }

  return {
    /** Handles one batch from `send_gift`; throws (so the batch is redelivered) only when the database is unavailable. */
    async handle(batch: LogMessage[]): Promise<void> {
      const seen = new Set<string>();
      const events: GiftSendEvent[] = [];
      for (const m of batch) {
        const e = parse(m, log);
        if (e && !seen.has(e.bizId)) {
          seen.add(e.bizId);
          events.push(e);
        }
      }
      if (events.length === 0) return;
      const outcomes = await persist(events);
      await deps.hooks?.afterCommit?.(outcomes);
      for (const o of outcomes) {
        if (o.fresh) metrics.giftSends.inc({ outcome: o.ok ? "success" : "failed" });
      }
      // Hot-store settlement and pushes are per sender/room and independent.
      await Promise.all(outcomes.map((o) => settle(o)));
      await Promise.all(
        outcomes.map((o) => announce(o).catch((err) => log.warn("gift push failed", { err, requestId: o.event.requestId }))),
      );
    },
  };
}

export type GiftConsumer = ReturnType<typeof createGiftConsumer>;
