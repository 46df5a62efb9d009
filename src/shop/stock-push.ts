// Stock changes pushed to a room's sockets: {"type":"stock","data":{skuId,
// stockNum}}, throttled to at most one message per SKU per room every
// STOCK_PUSH_INTERVAL_MS in this process, the last value winning (a sold-out
// rush changes stock hundreds of times a second; viewers need the latest).
import type { Logger } from "../lib/logger.ts";
import type { Push } from "../ws/push.ts";

export const STOCK_PUSH_INTERVAL_MS = 200;

export function createStockPush(push: Push, log: Logger) {
  const latest = new Map<string, { roomId: number; skuId: number; stockNum: number }>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const lastSent = new Map<string, number>();

  function flush(key: string): void {
    timers.delete(key);
    const v = latest.get(key);
    if (!v) return;
    latest.delete(key);
    lastSent.set(key, Date.now());
    push.toRoom(v.roomId, { type: "stock", data: { skuId: v.skuId, stockNum: v.stockNum } }).catch((err) => log.warn("stock push failed", { err, ...v }));
  }

  return {
    /** Queues the SKU's new stock for the room; sent at once or at the end of the SKU's interval. */
    changed(roomId: number, skuId: number, stockNum: number): void {
      const key = `${roomId}:${skuId}`;
      latest.set(key, { roomId, skuId, stockNum });
      if (timers.has(key)) return;
      const wait = Math.max(0, (lastSent.get(key) ?? 0) + STOCK_PUSH_INTERVAL_MS - Date.now());
      timers.set(key, setTimeout(() => flush(key), wait));
    },
    /** Drops what is queued (shutdown). */
    close(): void {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      latest.clear();
    },
  };
}

export type StockPush = ReturnType<typeof createStockPush>;
