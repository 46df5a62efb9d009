// Sending a gift, the asynchronous half: a batched consumer of `send_gift`.
//
// For a batch, in ONE database transaction, each send not seen before is
// either persisted (conditional debit + SEND_GIFT ledger row + gift record)
// or, when the database refuses the debit, recorded as a failure. A send is
// "seen before" when its business id already has a ledger row or a failure
// row, so redelivery after a crash anywhere below changes nothing.
// After the commit: settle (success) or refund (failure) each admission through
// the wallet — both idempotent — then push, then the log commits the offsets.
//
// Crash windows: before the commit → the batch is redelivered and decided
// afresh; after the commit but before the offset commit → redelivered, found
// "seen", settled/refunded again (no-ops) and pushed again (pushes are at
// least once; clients dedupe by requestId).
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { LogMessage } from "../eventlog/port.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { TradeType } from "../wallet/types.ts";
import type { Push } from "../ws/push.ts";
import { giftRepo } from "./repo.ts";
import type { GiftSendEvent } from "./send.ts";

export const GIFT_PUSH = { SUCCESS: 5556, FAIL: 5557 } as const;

export type GiftOutcome = { event: GiftSendEvent; ok: true; fresh: boolean } | { event: GiftSendEvent; ok: false; reason: string; fresh: boolean };

export interface GiftConsumerHooks {
  /** Runs after the database commit, before the wallet settles and the offset commit (crash-window tests). */
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
  wallet: WalletService;
  push: Push;
  metrics: Metrics;
  log: Logger;
  hooks?: GiftConsumerHooks;
}) {
  const { store, wallet, push, metrics, log } = deps;

  async function persist(events: GiftSendEvent[]): Promise<GiftOutcome[]> {
    return store.transact(async (trx) => {
      const ids = events.map((e) => e.bizId);
      const persisted = await wallet.ledgerBizIds(trx, ids);
      const failed = await giftRepo.failureReasons(trx, ids);
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
        const debit = await wallet.debitInTx(trx, { userId: e.senderId, amount: e.price, type: TradeType.SEND_GIFT, bizId: e.bizId, now });
        if (debit.ok) {
          await giftRepo.insertRecord(trx, e, now);
          persisted.add(e.bizId);
          outcomes.push({ event: e, ok: true, fresh: true });
        } else {
          const reason = debit.reason;
          await giftRepo.insertFailure(trx, e, reason, now);
          failed.set(e.bizId, reason);
          outcomes.push({ event: e, ok: false, reason, fresh: true });
        }
      }
      return outcomes;
    });
  }

  /** The wallet settles or refunds the send's admission; see src/wallet/admissions.ts for when it rebuilds. */
  async function settle(o: GiftOutcome): Promise<void> {
    const { senderId, requestId } = o.event;
    if (o.ok) await wallet.settle(senderId, requestId, { debitedNow: o.fresh });
    else await wallet.refund(senderId, requestId, { overAdmitted: o.fresh && o.reason === "insufficient_balance" });
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
      // Settlement and pushes are per sender/room and independent.
      await Promise.all(outcomes.map((o) => settle(o)));
      await Promise.all(
        outcomes.map((o) => announce(o).catch((err) => log.warn("gift push failed", { err, requestId: o.event.requestId }))),
      );
    },
  };
}

export type GiftConsumer = ReturnType<typeof createGiftConsumer>;
