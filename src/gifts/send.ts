// Sending a gift (SPEC §5), the synchronous half:
//   validate → gift from the local catalogue → room living → not to yourself
//   → the wallet admits the debit (atomic, idempotent on requestId)
//   → produce to `send_gift` keyed by the sender → 202.
// The asynchronous half (persist, settle or refund, push) is consumer.ts.
// If the produce fails the wallet refunds the admission at once and the caller
// gets a 500: nothing is left debited for a send nobody will persist.
import type { EventLog } from "../eventlog/port.ts";
import { TOPICS } from "../eventlog/topics.ts";
import { AppError } from "../lib/errors.ts";
import { fingerprint, newId } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { RoomService } from "../rooms/service.ts";
import type { WalletService } from "../wallet/service.ts";
import type { GiftCatalogue } from "./catalogue.ts";

/** How long a send's admission record answers retries with its first outcome. */
export const ADMISSION_TTL_SEC = 7 * 86400;

export type SendStatus = "accepted" | "success" | "failed";

/** What travels on `send_gift`. */
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

const STATE_TO_STATUS = { pending: "accepted", settled: "success", refunded: "failed" } as const;

export function createGiftSender(deps: {
  events: EventLog;
  wallet: WalletService;
  rooms: RoomService;
  catalogue: GiftCatalogue;
  metrics: Metrics;
  log: Logger;
}) {
  const { events, wallet, rooms, catalogue, metrics } = deps;
  const reject = (reason: AppError["name"], message: string): never => {
    metrics.giftSends.inc({ outcome: `rejected_${reason.toLowerCase()}` });
    throw new AppError(reason, message);
  };

  return {
    async send(senderId: number, input: { giftId: number; roomId: number; receiverId: number; requestId?: string }) {
      const requestId = input.requestId ?? newId();
      const gift = await catalogue.getValid(input.giftId);
      if (!gift) return reject("GIFT_NOT_FOUND", `gift ${input.giftId} does not exist or is not on sale`);
      const room = await rooms.getCached(input.roomId);
      if (!room) return reject("ROOM_NOT_FOUND", `room ${input.roomId} does not exist`);
      if (room.status !== "living") return reject("ROOM_NOT_LIVING", `room ${input.roomId} is not living`);
      if (input.receiverId === senderId) return reject("NOT_SEND_TO_YOURSELF", "receiverId: you cannot send a gift to yourself");

      const fp = fingerprint(input.giftId, input.roomId, input.receiverId);
      const admitted = await wallet.admit({ userId: senderId, admissionId: requestId, amount: gift.price, fingerprint: fp, ttlSec: ADMISSION_TTL_SEC });
      switch (admitted.kind) {
        case "insufficient":
          return reject("INSUFFICIENT_BALANCE", `balance ${admitted.available} is below the gift's price ${gift.price}`);
        case "conflict":
          return reject("IDEMPOTENCY_CONFLICT", "requestId was already used with a different body");
        case "duplicate":
          return { requestId, status: STATE_TO_STATUS[admitted.state] as SendStatus };
        case "admitted":
          break;
      }

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
      try {
        await events.publish(TOPICS.sendGift, [{ key: String(senderId), value: JSON.stringify(event) }]);
      } catch (err) {
        await wallet.refund(senderId, requestId);
        metrics.giftSends.inc({ outcome: "produce_failed" });
        throw err;
      }
      metrics.giftSends.inc({ outcome: "accepted" });
      return { requestId, status: "accepted" as SendStatus };
    },
  };
}

export type GiftSender = ReturnType<typeof createGiftSender>;
