// My orders in this room (GET /api/shop/orders?roomId=), newest first: an
// unpaid one shows its payment countdown to expireAt, Pay (coins,
// POST .../pay; the balance is refreshed after) and Cancel. Once the deadline
// passes the list is read again (every few seconds) until the server shows
// it cancelled (reason timeout).
import { api, messageOf } from "../api.ts";
import { coins, createNotice, h } from "../dom.ts";
import type { ViewerPanel } from "./context.ts";
import { ORDER_PLACED, SKUS_LOADED, type ShopOrder, type Sku } from "./shop-events.ts";

const TICK_MS = 1000;
/** How often an order past its deadline is read again until the server shows it cancelled. */
const EXPIRED_REREAD_MS = 3000;
const STATUS_TEXT: Record<ShopOrder["status"], string> = { PREPARE_PAY: "awaiting payment", HAS_PAY: "paid", CANCEL: "cancelled" };

/** "4:59" */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export const ordersPanel: ViewerPanel = (ctx) => {
  const list = h("ul", { class: "orders", id: "orders" });
  const notice = createNotice("orders-notice");
  const names = new Map<number, string>();
  let orders: ShopOrder[] = [];
  const timers = new Map<string, HTMLElement>();
  let refreshing = false;

  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      orders = await api<ShopOrder[]>("GET", `/api/shop/orders?roomId=${ctx.room.roomId}`);
      render();
    } catch (err) {
      notice.show(`Orders unavailable: ${messageOf(err)}`, "error");
    } finally {
      refreshing = false;
    }
  };

  const act = async (order: ShopOrder, what: "pay" | "cancel") => {
    try {
      const r = await api<{ status: ShopOrder["status"] }>("POST", `/api/shop/orders/${encodeURIComponent(order.orderId)}/${what}`);
      notice.show(what === "pay" ? `Paid ${coins(order.totalPrice)} for order ${order.orderId}` : `Order ${order.orderId} cancelled; its stock is back on sale`, "ok");
      order.status = r.status;
      render();
      if (what === "pay") await ctx.wallet.refresh();
    } catch (err) {
      notice.show(messageOf(err), "error");
    }
    await refresh();
  };

  const render = () => {
    timers.clear();
    list.replaceChildren();
    if (orders.length === 0) list.append(h("li", { class: "muted" }, "No order in this room yet."));
    for (const o of orders) {
      const what = o.items.map((i) => `${names.get(i.skuId) ?? `SKU ${i.skuId}`} × ${i.count}`).join(", ");
      const unpaid = o.status === "PREPARE_PAY";
      const left = h("time", { class: "countdown" }, countdown(o.expireAt - Date.now()));
      if (unpaid) timers.set(o.orderId, left);
      list.append(
        h(
          "li",
          { class: "order", "data-order-id": o.orderId, "data-status": o.status },
          h("div", { class: "order-head" }, h("span", { class: "order-what" }, what), h("strong", { class: "order-total" }, coins(o.totalPrice))),
          h(
            "div",
            { class: "order-foot" },
            h("span", { class: `order-state ${o.status}` }, STATUS_TEXT[o.status] + (o.status === "CANCEL" && o.cancelReason === "timeout" ? " (not paid in time)" : "")),
            unpaid ? h("span", { class: "muted small" }, "pay within ", left) : null,
            unpaid ? h("button", { type: "button", class: "primary pay", onclick: () => void act(o, "pay") }, "Pay with coins") : null,
            unpaid ? h("button", { type: "button", class: "link cancel", onclick: () => void act(o, "cancel") }, "Cancel") : null,
          ),
        ),
      );
    }
  };

  ctx.on(SKUS_LOADED, (m) => {
    for (const s of m.data as Sku[]) names.set(s.skuId, s.name);
    render();
  });
  ctx.on(ORDER_PLACED, (m) => {
    orders = [m.data as ShopOrder, ...orders.filter((o) => o.orderId !== m.data.orderId)];
    render();
  });
  let lastExpiredRead = 0;
  setInterval(() => {
    let expired = false;
    for (const [orderId, el] of timers) {
      const o = orders.find((x) => x.orderId === orderId);
      if (!o) continue;
      el.textContent = countdown(o.expireAt - Date.now());
      if (o.expireAt <= Date.now()) expired = true;
    }
    if (expired && Date.now() - lastExpiredRead >= EXPIRED_REREAD_MS) {
      lastExpiredRead = Date.now();
      void refresh();
    }
  }, TICK_MS);
  void refresh();

  return h("section", { class: "card orders-card" }, h("h2", {}, "My orders here"), notice.el, list);
};
