// The stock's argument checks both adapters share.
import { checkNonEmpty, checkNonNegativeInt, checkPositiveInt } from "../checks.ts";
import type { ReserveInput, StockLoad } from "./port.ts";

export function checkReserve(input: ReserveInput): void {
  checkPositiveInt("skuId", input.skuId);
  checkNonEmpty("orderId", input.orderId);
  checkPositiveInt("userId", input.userId);
  checkPositiveInt("count", input.count);
  checkNonNegativeInt("limitPerUser", input.limitPerUser);
  checkPositiveInt("nowMs", input.nowMs);
}

export function checkOrderRef(skuId: number, orderId: string): void {
  checkPositiveInt("skuId", skuId);
  checkNonEmpty("orderId", orderId);
}

export function checkLoad(input: StockLoad): void {
  checkPositiveInt("skuId", input.skuId);
  checkNonNegativeInt("available", input.available);
  for (const p of input.pending) {
    checkNonEmpty("orderId", p.orderId);
    checkPositiveInt("userId", p.userId);
    checkPositiveInt("count", p.count);
  }
  for (const u of input.userHeld) {
    checkPositiveInt("userId", u.userId);
    checkPositiveInt("units", u.units);
  }
}
