// Sending a gift, the synchronous half:
//   validate → gift from the local catalogue → room living → not to yourself
//   → ONE hot-store call, the wallet's admission: the send rate limit, the
//     debit (atomic, idempotent on requestId), and the pending admission that
//     keeps this send's event and enters the pending index
//   → produce to `send_gift` keyed by the sender → 202 once it is durable.
// The asynchronous half (persist, settle or refund, push) is consumer.ts; a
// send whose produce never happened (a crash here, a broker that lost it) is
// re-published by the re-drive sweeper (redrive.ts). docs/crash-windows.md
// walks every window.
//   - produce failed → the admission is cancelled (refunded) and the caller
//     gets 503 UNAVAILABLE: nothing stays debited for a send nobody persists;
//     unless the consumer already claimed it (the record landed although the
//     produce reported failure): the cancel is refused, the send will be
//     persisted, and the caller gets 202;
//   - a retry of a pending send re-publishes its stored event (the consumer is
//     idempotent) and answers 202; a finished one answers its first outcome.
import type { EventLog } from "../eventlog/port.ts";
import { TOPICS } from "../eventlog/topics.ts";
import type { AdmissionState } from "../hot/coins/port.ts";
import { AppError } from "../lib/errors.ts";
import { fingerprint, newId } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { RoomService } from "../rooms/service.ts";
import type { WalletService } from "../wallet/service.ts";
import type { GiftCatalogue } from "./catalogue.ts";

/** The send rate limit per user, counted inside the admission (one round trip). */
export const SEND_RATE_LIMIT = { name: "gift-send", limit: 200, windowSec: 1 } as const;
export const SEND_RATE_LIMIT_MESSAGE = "too many gifts at once; at most 200 per second";

export type SendStatus = "accepted" | "success" | "failed";

/** What travels on `send_gift`, and what a pending admission keeps to re-publish. */
export interface GiftSendEvent {
  bizId: string;
  requestId: string;
  senderId: number;
  receiverId: number;
  roomId: number;
  giftId: number;
  giftName: string;
  price: number;
  svgaUrl: string;
  acceptedAt: number;
}

export function giftBizId(senderId: number, requestId: string): string {
  return `gift:${senderId}:${requestId}`;
}

/** 429 with the seconds until the sender's window resets (the route sets Retry-After). */
export class SendRateLimited extends AppError {
  constructor(readonly retryAfterSec: number) {
    super("RATE_LIMITED", SEND_RATE_LIMIT_MESSAGE);
  }
}

/** Test hooks into the send path (crash-window tests; never set in production). */
export interface GiftSendHooks {
  /**
   * Runs after the admission, before the produce. A test plants a crash here
   * (a promise that never resolves, then a fresh process), or a record the
   * broker lost ("drop": the produce is skipped and the caller still gets 202).
   */
  beforeProduce?: (event: GiftSendEvent) => Promise<void | "drop">;
}

const STATE_TO_STATUS = { pending: "accepted", claimed: "accepted", settled: "success", refunded: "failed" } as const;

export function createGiftSender(deps: {
  events: EventLog;
  wallet: WalletService;
  rooms: RoomService;
  catalogue: GiftCatalogue;
  metrics: Metrics;
  log: Logger;
  hooks?: GiftSendHooks;
}) {
  const { events, wallet, rooms, catalogue, metrics, log, hooks } = deps;
  const reject = (reason: AppError["name"], message: string): never => {
    metrics.giftSends.inc({ outcome: `rejected_${reason.toLowerCase()}` });
    throw new AppError(reason, message);
  };
  const produce = (senderId: number, payload: string) => events.publish(TOPICS.sendGift, [{ key: String(senderId), value: payload }]);

  return {
    async send(senderId: number, input: { giftId: number; roomId: number; receiverId: number; requestId?: string }) {
      const requestId = input.requestId ?? newId();
      const gift = await catalogue.getValid(input.giftId);
      if (!gift) return reject("GIFT_NOT_FOUND", `gift ${input.giftId} does not exist or is not on sale`);
      const room = await rooms.getCached(input.roomId);
      if (!room) return reject("ROOM_NOT_FOUND", `room ${input.roomId} does not exist`);
      if (room.status !== "living") return reject("ROOM_NOT_LIVING", `room ${input.roomId} is not living`);
      if (input.receiverId === senderId) return reject("NOT_SEND_TO_YOURSELF", "receiverId: you cannot send a gift to yourself");

      const event: GiftSendEvent = {
        bizId: giftBizId(senderId, requestId),
        requestId,
        senderId,
        receiverId: input.receiverId,
        roomId: input.roomId,
        giftId: gift.giftId,
        giftName: gift.giftName,
        price: gift.price,
        svgaUrl: gift.svgaUrl,
        acceptedAt: Date.now(),
      };
      const payload = JSON.stringify(event);
      const admitted = await wallet.admit({
        userId: senderId,
        admissionId: requestId,
        amount: gift.price,
        fingerprint: fingerprint(input.giftId, input.roomId, input.receiverId),
        payload,
        rateLimit: SEND_RATE_LIMIT,
      });
      switch (admitted.kind) {
        case "rate_limited":
          metrics.giftSends.inc({ outcome: "rejected_rate_limited" });
          throw new SendRateLimited(admitted.retryAfterSec);
        case "insufficient":
          return reject("INSUFFICIENT_BALANCE", `balance ${admitted.available} is below the gift's price ${gift.price}`);
        case "conflict":
          return reject("IDEMPOTENCY_CONFLICT", "requestId was already used with a different body");
        case "duplicate":
          if (admitted.payload !== undefined) {
            // Pending: its first produce may never have happened (a crash, a
            // lost record). Re-publish what was admitted; the consumer is
            // idempotent. If this fails too the sweeper still has it.
            try {
              await produce(senderId, admitted.payload);
            } catch (err) {
              log.warn("re-drive of a retried send failed; the sweeper will re-publish it", { err, senderId, requestId });
              throw new AppError("UNAVAILABLE", "the event log is unavailable; retry shortly");
            }
            metrics.giftSends.inc({ outcome: "redriven" });
          }
          return { requestId, status: STATE_TO_STATUS[admitted.state] as SendStatus };
        case "admitted":
          break;
      }

      try {
        if ((await hooks?.beforeProduce?.(event)) !== "drop") await produce(senderId, payload);
      } catch (err) {
        // Cancel: the coins go back and the caller is told it did not happen.
        // If the record landed anyway (an ack lost after the write), either
        // the consumer has claimed the admission already — the cancel is
        // refused and the send is accepted after all — or it claims it later,
        // finds it refunded and records not_delivered.
        metrics.giftSends.inc({ outcome: "produce_failed" });
        let state: AdmissionState | null = "pending";
        try {
          state = await wallet.cancel(senderId, requestId);
        } catch (refundErr) {
          // Hot store down too: the admission stays pending and the sweeper
          // re-publishes it (docs/crash-windows.md, double fault).
          log.error("cancelling a failed send's admission failed; the sweeper will finish it", { err: refundErr, senderId, requestId });
        }
        if (state === "claimed" || state === "settled") {
          log.warn("gift produce reported failure but the consumer already took the send; accepted", { err, senderId, requestId, state });
          metrics.giftSends.inc({ outcome: "accepted" });
          return { requestId, status: "accepted" as SendStatus };
        }
        log.warn("gift produce failed; admission cancelled", { err, senderId, requestId });
        throw new AppError("UNAVAILABLE", "the event log is unavailable; retry shortly");
      }
      metrics.giftSends.inc({ outcome: "accepted" });
      return { requestId, status: "accepted" as SendStatus };
    },
  };
}

export type GiftSender = ReturnType<typeof createGiftSender>;
