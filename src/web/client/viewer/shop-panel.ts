// Live commerce for the viewer: the anchor's products
// (GET /api/shop/anchors/:anchorId/skus) with their stock (each SKU's detail
// on load, then the room's `stock` pushes), the cart (add, set a count,
// remove, clear; the server's total), and placing an order from the cart with
// an address and a fresh requestId. Refusals (out of stock, purchase limit,
// empty cart, missing address…) are shown by the API's message.
import { api, messageOf, newRequestId } from "../api.ts";
import { coins, createNotice, h, onSubmit } from "../dom.ts";
import type { ViewerPanel } from "./context.ts";
import { cover } from "./gift-panel.ts";
import { announceOrder, announceSkus, type ShopOrder, type Sku } from "./shop-events.ts";

interface Cart {
  items: { skuId: number; count: number; sku: Sku | null }[];
  totalPrice: number;
}

/** The API's ceiling of a cart line (MAX_CART_COUNT in src/shop/cart.ts, not bundled into the page). */
const MAX_LINE_COUNT = 99;

export const shopPanel: ViewerPanel = (ctx) => {
  const base = `/api/shop/rooms/${ctx.room.roomId}`;
  const list = h("div", { class: "sku-list", id: "skus" }, h("p", { class: "muted" }, "Loading products…"));
  const cartLines = h("ul", { class: "cart-lines", id: "cart" });
  const cartTotal = h("strong", { id: "cart-total", "data-total": 0 }, coins(0));
  const clear = h("button", { type: "button", class: "link", id: "cart-clear", hidden: true }, "Clear");
  const stockOf = new Map<number, HTMLElement>();
  // Shown beside the cart and the order button, where the buyer is looking.
  const notice = createNotice("shop-notice");

  const showStock = (skuId: number, stockNum: number) => {
    const el = stockOf.get(skuId);
    if (!el) return;
    el.dataset.stock = String(stockNum);
    el.textContent = stockNum > 0 ? `${stockNum.toLocaleString("en-US")} left` : "Sold out";
    el.closest(".sku")?.classList.toggle("sold-out", stockNum <= 0);
  };
  ctx.on("stock", (m) => showStock(m.data.skuId, m.data.stockNum));

  /** Runs a cart call and shows the cart it answers, or the refusal. */
  const cartCall = async (call: () => Promise<Cart>) => {
    try {
      showCart(await call());
    } catch (err) {
      notice.show(messageOf(err), "error");
    }
  };

  const showCart = (cart: Cart) => {
    cartLines.replaceChildren();
    if (cart.items.length === 0) cartLines.append(h("li", { class: "muted cart-empty" }, "Your cart is empty."));
    for (const line of cart.items) {
      const count = h("input", { type: "number", min: 0, max: MAX_LINE_COUNT, step: 1, value: line.count, class: "count", "aria-label": "Count", inputmode: "numeric" });
      count.addEventListener("change", () => {
        const n = Number(count.value);
        void cartCall(() => api("PATCH", `${base}/cart/items/${line.skuId}`, { count: n }));
      });
      cartLines.append(
        h(
          "li",
          { class: "cart-line", "data-sku-id": line.skuId },
          h("span", { class: "cart-name" }, line.sku?.name ?? `SKU ${line.skuId} (no longer sold here)`),
          count,
          h("span", { class: "cart-price" }, coins((line.sku?.skuPrice ?? 0) * line.count)),
          h("button", { type: "button", class: "link remove", "aria-label": "Remove", onclick: () => void cartCall(() => api("DELETE", `${base}/cart/items/${line.skuId}`)) }, "✕"),
        ),
      );
    }
    cartTotal.textContent = coins(cart.totalPrice);
    cartTotal.dataset.total = String(cart.totalPrice);
    clear.hidden = cart.items.length === 0;
  };
  clear.addEventListener("click", () => void cartCall(() => api("DELETE", `${base}/cart`)));

  const field = (name: string, label: string, attrs: Record<string, string | number> = {}) =>
    h("label", {}, label, h("input", { name, id: `address-${name}`, required: true, autocomplete: "on", ...attrs }));
  const checkout: HTMLFormElement = h(
    "form",
    {
      class: "stack checkout",
      id: "checkout",
      onsubmit: onSubmit(notice, async () => {
        const value = (name: string) => (checkout.elements.namedItem(name) as HTMLInputElement).value;
        const address = { name: value("name"), phone: value("phone"), detail: value("detail") };
        const order = await api<ShopOrder>("POST", `${base}/orders`, { address, requestId: newRequestId() });
        notice.show(`Order placed: ${coins(order.totalPrice)}, pay before ${new Date(order.expireAt).toLocaleTimeString()}`, "ok");
        announceOrder(ctx, order);
        showCart(await api<Cart>("GET", `${base}/cart`));
      }),
    },
    h("div", { class: "address" }, field("name", "Name", { maxlength: 64 }), field("phone", "Phone", { type: "tel", maxlength: 32 })),
    field("detail", "Address", { maxlength: 512 }),
    h("button", { type: "submit", class: "primary", id: "place-order" }, "Place order"),
  );

  const productTile = (s: Sku) => {
    const stock = h("span", { class: "sku-stock", "data-stock": "" }, "…");
    stockOf.set(s.skuId, stock);
    return h(
      "div",
      { class: "sku", "data-sku-id": s.skuId },
      cover(s.name, s.skuId, s.iconUrl),
      h(
        "div",
        { class: "sku-body" },
        h("span", { class: "sku-name" }, s.name),
        h("span", { class: "sku-meta" }, h("span", { class: "sku-price" }, coins(s.skuPrice)), stock),
        s.limitPerUser > 0 ? h("span", { class: "muted small" }, `at most ${s.limitPerUser} per buyer`) : null,
      ),
      h("button", { type: "button", class: "add", onclick: () => void cartCall(() => api("POST", `${base}/cart/items`, { skuId: s.skuId, count: 1 })) }, "Add"),
    );
  };

  void (async () => {
    try {
      const skus = await api<Sku[]>("GET", `/api/shop/anchors/${ctx.room.anchorId}/skus`);
      list.replaceChildren(...skus.map(productTile));
      if (skus.length === 0) list.append(h("p", { class: "muted" }, "The anchor sells nothing right now."));
      announceSkus(ctx, skus);
      // A push may land before a detail answers; the detail is at most as fresh, so the push is not overwritten by it.
      await Promise.all(
        skus.map(async (s) => {
          const detail = await api<{ stockNum: number }>("GET", `/api/shop/skus/${s.skuId}`);
          if (stockOf.get(s.skuId)?.dataset.stock === "") showStock(s.skuId, detail.stockNum);
        }),
      );
    } catch (err) {
      list.replaceChildren(h("p", { class: "notice error" }, `Products unavailable: ${messageOf(err)}`));
    }
  })();
  void cartCall(() => api("GET", `${base}/cart`));

  return h(
    "section",
    { class: "card shop-card", id: "shop" },
    h("h2", {}, "Shop the live"),
    list,
    h(
      "div",
      { class: "checkout-area" },
      h("div", { class: "cart" }, h("div", { class: "cart-head" }, h("h3", {}, "Your cart"), clear), cartLines, h("div", { class: "cart-total" }, h("span", { class: "muted" }, "Total"), cartTotal)),
      h("div", {}, checkout, notice.el),
    ),
  );
};
