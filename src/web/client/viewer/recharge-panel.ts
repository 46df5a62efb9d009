// Recharge: the products (GET /api/bank/products), an order for one
// (POST /api/bank/orders), a link to the provider's pay page (payUrl), and
// the balance raised once the provider's notification has landed — seen by
// polling the order until it is PAYED.
import { api, messageOf } from "../api.ts";
import { coins, h, yuan } from "../dom.ts";
import type { ViewerPanel } from "./context.ts";

interface Product {
  id: number;
  name: string;
  price: number;
  coinNum: number;
}
interface Order {
  orderId: string;
  status: string;
  amount: number;
  payUrl?: string;
}

const ORDER_POLL_MS = 1500;
/** Orders that will not become PAYED any more. */
const GIVEN_UP = new Set(["PAY_BACK", "IN_VALID"]);

export const rechargePanel: ViewerPanel = (ctx) => {
  const list = h("div", { class: "products", id: "products" });
  const status = h("div", { class: "order-status", id: "order-status" });
  const panel = h("details", { class: "card recharge", id: "recharge" }, h("summary", {}, "Recharge coins"), list, status);
  let loaded = false;

  const follow = async (order: Order, product: Product) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, ORDER_POLL_MS));
      let now: Order;
      try {
        now = await api<Order>("GET", `/api/bank/orders/${encodeURIComponent(order.orderId)}`);
      } catch (err) {
        status.dataset.state = "error";
        status.firstElementChild!.textContent = `Order ${order.orderId}: ${messageOf(err)} (still checking)`;
        continue;
      }
      if (now.status === "PAYED") {
        status.dataset.state = "paid";
        status.replaceChildren(h("p", {}, `Paid: ${coins(product.coinNum)} added.`));
        ctx.notice.show(`Recharge complete: +${coins(product.coinNum)}`, "ok");
        await ctx.wallet.refresh();
        return;
      }
      if (GIVEN_UP.has(now.status)) {
        status.dataset.state = "closed";
        status.replaceChildren(h("p", {}, `Order ${order.orderId} is ${now.status}; no coins were added.`));
        return;
      }
    }
  };

  const buy = async (p: Product) => {
    try {
      const order = await api<Order>("POST", "/api/bank/orders", { productId: p.id, paySource: "LIVING_ROOM", payChannel: "CASHIER" });
      status.dataset.state = "waiting";
      status.replaceChildren(
        h("p", {}, `Order ${order.orderId}: ${yuan(order.amount)} for ${coins(p.coinNum)}, waiting for payment.`),
        order.payUrl
          ? h("a", { class: "button primary", id: "pay-link", href: order.payUrl, target: "_blank", rel: "noopener" }, `Pay ${yuan(order.amount)} in the sandbox`)
          : h("p", { class: "muted" }, "The provider gave no pay page address."),
      );
      void follow(order, p);
    } catch (err) {
      ctx.notice.show(messageOf(err), "error");
    }
  };

  panel.addEventListener("toggle", async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      const res = await api<{ products: Product[] }>("GET", "/api/bank/products?type=0");
      if (res.products.length === 0) list.append(h("p", { class: "muted" }, "No recharge product is on sale."));
      for (const p of res.products) {
        list.append(
          h(
            "button",
            { type: "button", class: "product", "data-product-id": p.id, onclick: () => void buy(p) },
            h("strong", {}, coins(p.coinNum)),
            h("span", { class: "muted" }, yuan(p.price)),
          ),
        );
      }
    } catch (err) {
      loaded = false;
      list.replaceChildren(h("p", { class: "notice error" }, `Products unavailable: ${messageOf(err)}`));
    }
  });
  return panel;
};
