// The sandbox payment provider: the first PaymentProvider, for demos and
// tests. It plays both sides a real provider would: a payment page a person
// opens (`GET /sandbox/pay/:orderId`, a Pay button), and the provider's
// notification sender.
//
// Pressing Pay (`POST /sandbox/pay/:orderId/confirm`) records one pending
// notification in `sandbox_delivery` (unique per order: pressing twice pays
// once) and answers at once. A background worker in every process delivers
// pending notifications to `<public URL>/api/bank/notify/<channel>`, signed
// with the pay secret at each attempt (so the timestamp is always fresh), and
// retries after 1 s, 2 s, 4 s … (capped at RETRY_CAP_MS) until the answer is
// `200 success`. The queue is a table, so deliveries survive restarts.
//
// Claiming an attempt is a conditional update on `attempts` that also pushes
// `next_attempt_at` out by the back-off: of several processes seeing the same
// due row exactly one makes the attempt, and a process dying mid-attempt only
// delays the next one by the back-off. A duplicate delivery would be harmless
// anyway: the notify endpoint answers a repeat with `success` and changes nothing.
import type { Hono } from "hono";
import { nanoid } from "nanoid";
import type { Logger } from "../lib/logger.ts";
import { createWorker, type Worker } from "../lib/worker.ts";
import type { AppEnv } from "../lib/route.ts";
import { ORDER_ID_PATTERN, toPayOrder, type PayOrder } from "./orders.ts";
import type { PaymentProvider, PaymentRequest } from "./provider.ts";
import type { PublicUrl } from "./public-url.ts";
import type { BankRepo, DeliveryRow } from "./repo.ts";
import { signedHeaders } from "./signature.ts";
import { channelName, orderStatusName, PayOrderStatus } from "./types.ts";

export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 60_000;
const POLL_INTERVAL_MS = 250;
const BATCH = 20;
const DELIVERY_TIMEOUT_MS = 10_000;

/** Pause after the n-th failed attempt (n ≥ 1): 1 s, 2 s, 4 s, … capped. */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}

export interface SandboxProvider extends PaymentProvider {
  /** Mounts the payment pages (not under /api: they are HTML for a person). */
  mountPages(app: Hono<AppEnv>): void;
  /** The notification sender (also in `workers`). */
  readonly sender: Worker;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const yuan = (cents: number) => `¥${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Ovation sandbox pay</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{color:#666}dd{margin:0}
button{font-size:1.1rem;padding:.6rem 2rem;background:#1677ff;color:#fff;border:0;border-radius:.4rem;cursor:pointer}
.note{color:#666;font-size:.9rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p class="note">Ovation sandbox payment provider: no real money moves.</p>
</body></html>`;
}

export function createSandboxProvider(deps: { repo: BankRepo; publicUrl: PublicUrl; paySecret: string; log: Logger }): SandboxProvider {
  const { repo, log } = deps;

  async function loadOrder(orderId: string): Promise<{ order: PayOrder; productName: string } | null> {
    if (!ORDER_ID_PATTERN.test(orderId)) return null;
    const r = await repo.findOrderWithProductName(orderId);
    return r ? { order: toPayOrder(r), productName: r.product_name ?? `product ${r.product_id}` } : null;
  }

  function orderDetails(order: PayOrder, productName: string): string {
    return `<dl>
<dt>Order</dt><dd><code>${escapeHtml(order.orderId)}</code></dd>
<dt>Product</dt><dd>${escapeHtml(productName)}</dd>
<dt>Amount</dt><dd><strong>${yuan(order.amount)}</strong></dd>
<dt>Coins</dt><dd>${order.coinNum}</dd>
<dt>Channel</dt><dd>${escapeHtml(channelName(order.channel) ?? String(order.channel))}</dd>
<dt>Status</dt><dd id="status">${escapeHtml(orderStatusName(order.status))}</dd>
</dl>`;
  }

  const payable = (o: PayOrder) => o.status === PayOrderStatus.WAITING_PAY || o.status === PayOrderStatus.PAYING;
  const notFound = (orderId: string) => page("Order not found", `<p>No pay order <code>${escapeHtml(orderId)}</code>.</p>`);

  // ---- the notification sender ----
  async function attempt(row: DeliveryRow, base: string): Promise<void> {
    const n = Number(row.attempts) + 1;
    if (!(await repo.claimAttempt(row, n, Date.now() + retryDelayMs(n)))) return; // another process took this attempt
    const channel = (channelName(Number(row.channel)) ?? String(row.channel)).toLowerCase();
    let problem: string;
    try {
      const res = await fetch(`${base}/api/bank/notify/${channel}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(deps.paySecret, row.body) },
        body: row.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      const text = (await res.text()).trim();
      if (res.status === 200 && text === "success") {
        await repo.markDelivered(row.id, Date.now());
        log.info("sandbox notification delivered", { orderId: row.order_id, attempts: n });
        return;
      }
      problem = `HTTP ${res.status}: ${text.slice(0, 100)}`;
    } catch (err) {
      problem = String((err as Error)?.message ?? err).slice(0, 200);
    }
    await repo.recordDeliveryError(row.id, problem);
    log.warn("sandbox notification not accepted; will retry", { orderId: row.order_id, attempts: n, retryInMs: retryDelayMs(n), problem });
  }

  /** Delivers every due notification once; returns how many attempts it made. */
  async function deliverDue(): Promise<number> {
    const base = deps.publicUrl.get();
    if (base === null) return 0; // this process does not know where the server is (yet)
    const due = await repo.dueDeliveries(Date.now(), BATCH);
    await Promise.all(due.map((row) => attempt(row, base)));
    return due.length;
  }

  const sender = createWorker({
    name: "sandbox notification sender",
    logger: log,
    idleMs: POLL_INTERVAL_MS,
    // A full batch means more may be due: go again without sleeping.
    round: async () => (await deliverDue()) === BATCH,
  });

  return {
    name: "sandbox",

    async beginPayment(request: PaymentRequest) {
      return { payUrl: `${deps.publicUrl.get() ?? ""}/sandbox/pay/${encodeURIComponent(request.orderId)}` };
    },

    mountPages(app) {
      app.get("/sandbox/pay/:orderId", async (c) => {
        const orderId = c.req.param("orderId");
        const found = await loadOrder(orderId);
        if (!found) return c.html(notFound(orderId), 404);
        const { order, productName } = found;
        const delivery = await repo.findDelivery(orderId);
        let action: string;
        if (order.status === PayOrderStatus.PAYED) {
          action = `<p>Paid. The coins are in the wallet.</p>`;
        } else if (!payable(order)) {
          action = `<p>This order can no longer be paid.</p>`;
        } else if (delivery) {
          action = `<p>Payment sent; notifying Ovation (attempt ${Number(delivery.attempts)}${delivery.last_error ? `, last answer: ${escapeHtml(delivery.last_error)}` : ""}). Reload to follow.</p>`;
        } else {
          action = `<form method="post" action="/sandbox/pay/${encodeURIComponent(orderId)}/confirm"><button type="submit">Pay ${yuan(order.amount)}</button></form>`;
        }
        return c.html(page(`Pay ${yuan(order.amount)}`, orderDetails(order, productName) + action));
      });

      app.post("/sandbox/pay/:orderId/confirm", async (c) => {
        const orderId = c.req.param("orderId");
        const found = await loadOrder(orderId);
        if (!found) return c.html(notFound(orderId), 404);
        const { order, productName } = found;
        const back = `<p><a href="/sandbox/pay/${encodeURIComponent(orderId)}">Back to the order</a></p>`;
        if (order.status === PayOrderStatus.PAYED) return c.html(page("Already paid", orderDetails(order, productName) + back));
        if (!payable(order)) return c.html(page("Cannot be paid", orderDetails(order, productName) + back), 409);
        const now = Date.now();
        const body = JSON.stringify({
          orderId: order.orderId,
          amount: order.amount,
          tradeNo: `SBX${nanoid(24)}`,
          bizCode: order.bizCode,
          paidAt: now,
        });
        // false when pressed twice: the first press already paid.
        const fresh = await repo.insertDelivery({
          order_id: order.orderId,
          channel: order.channel,
          body,
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          delivered_time: null,
          create_time: now,
        });
        sender.wake();
        return c.html(
          page(
            "Payment sent",
            `<p id="result">${fresh ? "Payment sent." : "Payment was already sent."} The sandbox is notifying Ovation and retries until it is accepted.</p>` +
              orderDetails(order, productName) +
              back,
          ),
        );
      });
    },

    sender,
    workers: [sender],
  };
}
