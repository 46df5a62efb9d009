// Payment providers. A provider takes the payer from a new pay
// order to a payment, and later tells Ovation the outcome through a signed
// notification to `POST /api/bank/notify/:channel` (see signature.ts and
// notify.ts). The notify side is ours and shared by every provider; what
// differs per provider is how a payment begins and any machinery it runs.
//
// The sandbox (sandbox.ts) is the first implementation: a page with a Pay
// button and a durable, retrying notification sender.
import type { Worker } from "../lib/worker.ts";
import type { PayChannel } from "./types.ts";

export interface PaymentRequest {
  orderId: string;
  /** Cents. */
  amount: number;
  channel: PayChannel;
  productName: string;
  userId: number;
}

export interface PaymentProvider {
  readonly name: string;
  /**
   * Begins a payment for a new order (still WAITING_PAY). Returns where the
   * payer completes it. Throws when the provider cannot take the order; the
   * order then stays WAITING_PAY and is never paid.
   */
  beginPayment(request: PaymentRequest): Promise<{ payUrl: string }>;
  /** The provider's background work, if it has any; the composition root starts and stops it. */
  readonly workers: Worker[];
}
