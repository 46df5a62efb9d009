// Sending a gift, the asynchronous half: a batched consumer of `send_gift`.
//
// Per batch (up to maxBatch records, deduplicated by business id):
// 1. The batch's admissions are CLAIMED through the wallet, in one pipelined
//    round (a hot-store call per pending bucket): pending → claimed, so a
//    sender whose produce timed out although the record landed can no
//    longer cancel it (its cancel is refused and it answers 202); each claim answers the admission's state. The claim runs
//    while the transaction of step 2 reads, and is finished before step 2
//    decides anything.
// 2. ONE database transaction: one IN query each for the business ids that
//    already have a ledger row (with its time) or a failure row — those are
//    "seen" and decided already; a send whose admission was REFUNDED (its
//    sender cancelled it after a failed produce and answered 503) becomes a
//    `not_delivered` failure row and is never debited; the rest are debited
//    through wallet.debitManyInTx (accounts locked in user-id order, each
//    send decided in order against the balance in memory, one balance
//    UPDATE per distinct per-user total, one multi-row INSERT of ledger
//    rows); then one multi-row INSERT of gift records and one of failure
//    rows. Commit. The batch's statements are hand-written SQL cached per
//    row count (src/store/raw.ts), not compiled per batch.
// 3. Pipelined: settle the successes (one settleMany: a hot-store call per
//    pending bucket, not per send), refund each failure (both idempotent).
//    The late-retry rule: a seen success whose event was accepted more than
//    LATE_RETRY_MARGIN_MS after its ledger row was written is a second hold
//    (a client retry that came after its admission record expired and was
//    admitted again): that hold is refunded, not settled; the send's status
//    stays success.
// 4. One push publish per room carrying the batch's gift messages; each
//    failure to its sender. Then the log commits the offsets.
//
// Crash windows: before the commit → the batch is redelivered and decided
// afresh (nothing of it was written: one transaction); after the commit but
// before the offset commit → redelivered, found "seen", settled/refunded
// again (no-ops) and pushed again (pushes are at least once; clients dedupe
// by requestId). On the cluster profile batches of different partitions are
// handled at once (src/gifts/index.ts): a sender's sends share a partition
// (key = sender), so two concurrent batches debit disjoint accounts, and the
// account locks (user-id order) and the ledger's unique business id keep
// money exact even if they did not. The hot store failing in step 1 or 3 throws the batch, which
// is retried after a back-off with its offsets uncommitted.
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { LogMessage } from "../eventlog/port.ts";
import type { AdmissionState } from "../hot/coins/port.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { TradeType } from "../wallet/types.ts";
import type { Push, ServerMessage } from "../ws/push.ts";
import { giftRepo } from "./repo.ts";
import type { GiftSendEvent } from "./send.ts";

export const GIFT_PUSH = { SUCCESS: 5556, FAIL: 5557 } as const;

/** Failure reason of a send whose sender cancelled its admission (the produce was reported failed). */
export const NOT_DELIVERED = "not_delivered";

/**
 * How much later than its ledger row a seen send's event must have been
 * accepted to count as a late retry's second hold. Real copies of one
 * admission (redeliveries, re-drives) carry the original acceptedAt, which
 * precedes the row; the margin absorbs clock skew between processes and is
 * far below the retry window a late retry comes after.
 */
export const LATE_RETRY_MARGIN_MS = 60_000;

export type GiftOutcome =
  | { event: GiftSendEvent; ok: true; fresh: boolean; lateRetry: boolean }
  | { event: GiftSendEvent; ok: false; reason: string; fresh: boolean };

export interface GiftConsumerHooks {
  /** Runs after the database commit, before the wallet settles and the offset commit (crash-window tests). */
  afterCommit?: (outcomes: GiftOutcome[]) => Promise<void>;
  /** Runs inside the transaction after its writes, before the commit (crash-window tests). */
  beforeCommit?: (outcomes: GiftOutcome[]) => Promise<void>;
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

function giftMessage(e: GiftSendEvent): ServerMessage {
  return {
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
  };
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

  /**
   * Step 2: decides every send of the batch in one transaction. `claiming`
   * (step 1, already in flight) answers their admissions' states after the
   * claim, in order; it is awaited after the transaction's reads and before
   * any decision, so the claim's round trip overlaps the reads.
   */
  async function persist(events: GiftSendEvent[], claiming: Promise<(AdmissionState | null)[]>): Promise<GiftOutcome[]> {
    return store.transact(async (trx) => {
      const ids = events.map((e) => e.bizId);
      const persisted = await wallet.ledgerTimes(trx, ids);
      const failed = await giftRepo.failureReasons(trx, ids);
      const states = await claiming;
      const outcomes: GiftOutcome[] = new Array(events.length);
      const toDebit: number[] = [];
      events.forEach((e, i) => {
        const persistedAt = persisted.get(e.bizId);
        const earlierFailure = failed.get(e.bizId);
        if (persistedAt !== undefined) {
          outcomes[i] = { event: e, ok: true, fresh: false, lateRetry: e.acceptedAt > persistedAt + LATE_RETRY_MARGIN_MS };
        } else if (earlierFailure !== undefined) {
          outcomes[i] = { event: e, ok: false, reason: earlierFailure, fresh: false };
        } else if (states[i] === "refunded") {
          outcomes[i] = { event: e, ok: false, reason: NOT_DELIVERED, fresh: true };
        } else {
          toDebit.push(i);
        }
      });
      const now = Date.now();
      const debits = await wallet.debitManyInTx(
        trx,
        toDebit.map((i) => ({ userId: events[i]!.senderId, amount: events[i]!.price, type: TradeType.SEND_GIFT, bizId: events[i]!.bizId })),
        now,
      );
      toDebit.forEach((i, k) => {
        const d = debits[k]!;
        outcomes[i] = d.ok ? { event: events[i]!, ok: true, fresh: true, lateRetry: false } : { event: events[i]!, ok: false, reason: d.reason, fresh: true };
      });
      const fresh = outcomes.filter((o) => o.fresh);
      await giftRepo.insertRecords(trx, fresh.filter((o) => o.ok).map((o) => o.event), now);
      await giftRepo.insertFailures(trx, fresh.flatMap((o) => (o.ok ? [] : [{ event: o.event, reason: o.reason }])), now);
      await deps.hooks?.beforeCommit?.(outcomes);
      return outcomes;
    });
  }

  /**
   * Step 3: the wallet settles the successes' admissions (in one settleMany:
   * a hot-store call per pending bucket, not per send) and refunds each
   * failure's; see src/wallet/admissions.ts for when it rebuilds.
   */
  async function finish(outcomes: GiftOutcome[]): Promise<void> {
    const settles = outcomes.flatMap((o) => (o.ok && !o.lateRetry ? [{ userId: o.event.senderId, admissionId: o.event.requestId, debitedNow: o.fresh }] : []));
    await Promise.all([
      wallet.settleMany(settles),
      ...outcomes
        .filter((o) => !o.ok || o.lateRetry)
        .map((o) => wallet.refund(o.event.senderId, o.event.requestId, o.ok ? undefined : { overAdmitted: o.fresh && o.reason === "insufficient_balance" })),
    ]);
  }

  /** Step 4: one publish per room for the batch's gifts; each failure to its sender. */
  async function announce(outcomes: GiftOutcome[]): Promise<void> {
    const byRoom = new Map<number, ServerMessage[]>();
    const pushes: Promise<void>[] = [];
    for (const o of outcomes) {
      const e = o.event;
      if (o.ok) {
        const list = byRoom.get(e.roomId);
        if (list) list.push(giftMessage(e));
        else byRoom.set(e.roomId, [giftMessage(e)]);
      } else {
        pushes.push(push.toUser(e.senderId, { type: "gift_fail", bizCode: GIFT_PUSH.FAIL, data: { requestId: e.requestId, reason: o.reason } }));
      }
    }
    for (const [roomId, messages] of byRoom) pushes.push(push.toRoomAll(roomId, messages));
    const results = await Promise.allSettled(pushes);
    for (const r of results) if (r.status === "rejected") log.warn("gift push failed", { err: r.reason });
  }

  return {
    /** Handles one batch from `send_gift`; throws (so the batch is redelivered) when the database or the hot store is unavailable. */
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
      const claiming = wallet.claim(events.map((e) => ({ userId: e.senderId, admissionId: e.requestId })));
      // A transaction failing before it awaits the claim must not leave the claim's failure unhandled.
      claiming.catch(() => undefined);
      const outcomes = await persist(events, claiming);
      await deps.hooks?.afterCommit?.(outcomes);
      for (const o of outcomes) {
        if (o.fresh) metrics.giftSends.inc({ outcome: o.ok ? "success" : "failed" });
      }
      await finish(outcomes);
      await announce(outcomes);
    },
  };
}

export type GiftConsumer = ReturnType<typeof createGiftConsumer>;
