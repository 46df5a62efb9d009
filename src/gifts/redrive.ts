// The re-drive sweeper: the owner of the window between a send's admission
// and its durable produce. An admission stays pending (and in its bucket's
// pending index, with the event it admitted) until the consumer settles or
// refunds it. If nothing does — the process died after the admission and
// before the produce, or the broker lost the record (replaced by an empty
// one) — this worker re-publishes the stored event once the admission is
// older than `redriveAfterMs`, bumping it so each is re-published at most once
// per period. The consumer is idempotent by business id, so re-publishing a
// send already in the log only duplicates a record.
//
// One process at a time (a lease through the hot store's locks). Every round
// walks all PENDING_BUCKETS buckets; a bucket holding more than one claim's
// worth is finished by the next round at once.
//
// Bound: a pending send is re-published within redriveAfterMs + the sweep
// period (+ the lease hand-over when the sweeping process died: ttlMs), and
// persisted after that within the consumer's lag.
import type { EventLog } from "../eventlog/port.ts";
import { TOPICS } from "../eventlog/topics.ts";
import { PENDING_BUCKETS } from "../hot/coins/port.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { createWorker, type LeaseLock, type Worker } from "../lib/worker.ts";
import type { WalletService } from "../wallet/service.ts";

/** How often the sweeper walks the buckets. */
export const REDRIVE_SWEEP_MS = 2000;
/** At most this many admissions claimed per bucket per round. */
const CLAIM_LIMIT = 500;
/** The lease outlives a round many times over; a dead holder is replaced after it. */
const LEASE_TTL_MS = 10_000;

export function createGiftRedrive(deps: {
  events: EventLog;
  wallet: Pick<WalletService, "claimStalePending">;
  lock: LeaseLock;
  redriveAfterMs: number;
  metrics: Metrics;
  log: Logger;
  sweepMs?: number;
}): Worker {
  const { events, wallet, redriveAfterMs, metrics, log } = deps;

  /** One walk over every bucket; true when a bucket had more than one claim's worth. */
  async function round(): Promise<boolean> {
    const buckets = Array.from({ length: PENDING_BUCKETS }, (_, b) => b);
    // In parallel: on Redis the claims are pipelined into a few round trips.
    const claimed = (await Promise.all(buckets.map((b) => wallet.claimStalePending(b, redriveAfterMs, CLAIM_LIMIT)))).filter((c) => c.length > 0);
    const due = claimed.flat();
    if (due.length === 0) return false;
    await events.publish(
      TOPICS.sendGift,
      due.map((a) => ({ key: String(a.userId), value: a.payload })),
    );
    metrics.giftSends.inc({ outcome: "redriven" }, due.length);
    log.info("re-published pending gift sends", { count: due.length });
    return claimed.some((c) => c.length === CLAIM_LIMIT);
  }

  return createWorker({
    name: "gift re-drive",
    logger: log,
    idleMs: deps.sweepMs ?? REDRIVE_SWEEP_MS,
    round,
    lease: { lock: deps.lock, ttlMs: LEASE_TTL_MS },
  });
}
