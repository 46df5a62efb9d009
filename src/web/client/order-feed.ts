// The anchor console's orders: each `order` push (placed, paid, cancelled;
// sent to the anchor alone) updates that order's line in place, and running
// totals count the orders placed, the orders paid and the coins they brought.
// A push that arrives twice changes nothing.
import type { OrderLine } from "../../shop/orders-repo.ts";
import { coins, h } from "./dom.ts";
import { createSeen } from "./socket.ts";

/** The data of an `order` push. */
export interface OrderEvent {
  orderId: string;
  roomId: number;
  userId: number;
  status: "PREPARE_PAY" | "HAS_PAY" | "CANCEL";
  cancelReason: "user" | "timeout" | null;
  totalPrice: number;
  items: OrderLine[];
}

const MAX_SHOWN = 50;
const STATUS_TEXT: Record<OrderEvent["status"], string> = { PREPARE_PAY: "placed", HAS_PAY: "paid", CANCEL: "cancelled" };

export function createOrderFeed() {
  const seen = createSeen();
  const placed = h("strong", { id: "orders-placed" }, "0");
  const paid = h("strong", { id: "orders-paid" }, "0");
  const sales = h("strong", { id: "orders-coins" }, "0");
  const totals = { placed: 0, paid: 0, coins: 0 };
  const list = h("ol", { class: "feed order-feed", id: "order-feed", "aria-live": "polite" });
  const placeholder = h("li", { class: "feed-empty" }, "Orders placed in the room appear here.");
  list.append(placeholder);

  return {
    totalsEl: h(
      "div",
      { class: "totals three" },
      h("div", { class: "total" }, placed, h("span", { class: "muted" }, "orders")),
      h("div", { class: "total" }, paid, h("span", { class: "muted" }, "paid")),
      h("div", { class: "total" }, sales, h("span", { class: "muted" }, "coins sold")),
    ),
    el: list,
    add(o: OrderEvent): void {
      if (!seen.first(`${o.orderId}:${o.status}`)) return;
      placeholder.remove();
      if (o.status === "PREPARE_PAY") totals.placed += 1;
      if (o.status === "HAS_PAY") {
        totals.paid += 1;
        totals.coins += o.totalPrice;
      }
      placed.textContent = totals.placed.toLocaleString("en-US");
      paid.textContent = totals.paid.toLocaleString("en-US");
      sales.textContent = totals.coins.toLocaleString("en-US");

      const units = o.items.reduce((n, i) => n + i.count, 0);
      const line = h(
        "li",
        { class: `feed-item order-line ${o.status}`, "data-order-id": o.orderId, "data-status": o.status },
        h("span", { class: "feed-who" }, `User ${o.userId}`),
        h("span", { class: "feed-what" }, ` ${units} item${units === 1 ? "" : "s"} · ${STATUS_TEXT[o.status]}${o.cancelReason === "timeout" ? " (unpaid)" : ""}`),
        h("span", { class: "feed-price" }, coins(o.totalPrice)),
        h("time", { class: "feed-time" }, new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })),
      );
      // A later state replaces the order's line; a late "placed" never overwrites "paid".
      const existing = list.querySelector(`[data-order-id="${CSS.escape(o.orderId)}"]`);
      if (existing && o.status === "PREPARE_PAY") return;
      existing?.remove();
      list.prepend(line);
      while (list.children.length > MAX_SHOWN) list.lastElementChild!.remove();
    },
  };
}
