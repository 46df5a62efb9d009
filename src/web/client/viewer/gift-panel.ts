// The gift panel: the catalogue (GET /api/gifts), pick one, send it to the
// room's anchor with a fresh requestId. Admission answers at once (202, or the
// refusal's message: not enough coins, rate limited, room closed…); the send
// settles later, announced by the room's `gift` push or the sender-only
// `gift_fail`, and the balance is refreshed then. If the socket is down when
// that happens, polling the send's status settles it instead.
import { api, messageOf, newRequestId } from "../api.ts";
import { coins, h } from "../dom.ts";
import type { ViewerPanel } from "./context.ts";

interface Gift {
  giftId: number;
  giftName: string;
  price: number;
  coverImgUrl?: string;
  svgaUrl?: string;
}

const STATUS_POLL_MS = 2000;
const STATUS_POLLS = 60;

/** A round badge with the gift's first letter: shown while a cover loads or when it cannot. */
export function giftGlyph(name: string, id: number): HTMLElement {
  return h("span", { class: "glyph", style: `--hue:${(id * 47) % 360}`, "aria-hidden": "true" }, [...name][0] ?? "?");
}

/** A gift's or product's picture; the glyph while there is none or it cannot load. */
export function cover(name: string, id: number, url?: string): HTMLElement {
  const glyph = giftGlyph(name, id);
  if (!url) return glyph;
  const img = h("img", { src: url, alt: "", loading: "lazy", class: "cover" });
  img.addEventListener("error", () => img.replaceWith(glyph), { once: true });
  return img;
}

export const giftPanel: ViewerPanel = (ctx) => {
  const me = ctx.session.userId;
  const grid = h("div", { class: "gift-grid", id: "gifts" }, h("p", { class: "muted" }, "Loading gifts…"));
  const send = h("button", { type: "button", class: "primary", id: "send-gift", disabled: true }, "Send");
  const chosen = h("span", { class: "muted", id: "chosen" }, "Pick a gift");
  let selected: Gift | null = null;
  const pending = new Map<string, Gift>();

  const settle = (requestId: string, failure?: string) => {
    const gift = pending.get(requestId);
    if (!gift) return;
    pending.delete(requestId);
    if (failure !== undefined) ctx.notice.show(`Your ${gift.giftName} was not delivered: ${failure}`, "error");
    else ctx.notice.show(`${gift.giftName} delivered`, "ok");
    void ctx.wallet.refresh();
  };
  ctx.on("gift", (m) => m.data.senderId === me && settle(m.data.requestId));
  ctx.on("gift_fail", (m) => settle(m.data.requestId, m.data.reason ?? "refunded"));

  const watch = async (requestId: string) => {
    for (let i = 0; i < STATUS_POLLS && pending.has(requestId); i++) {
      await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
      if (!pending.has(requestId)) return;
      try {
        const s = await api<{ status: string; reason?: string }>("GET", `/api/gifts/sends/${encodeURIComponent(requestId)}`);
        if (s.status === "success") settle(requestId);
        else if (s.status === "failed") settle(requestId, s.reason ?? "refunded");
      } catch {
        // Keep waiting: the push or a later poll settles it.
      }
    }
  };

  send.addEventListener("click", async () => {
    const gift = selected;
    if (!gift) return;
    const requestId = newRequestId();
    send.disabled = true;
    // Pending before the call: the push can overtake the 202.
    pending.set(requestId, gift);
    try {
      await api("POST", "/api/gifts/send", { giftId: gift.giftId, roomId: ctx.room.roomId, receiverId: ctx.room.anchorId, requestId });
      if (pending.has(requestId)) {
        ctx.notice.show(`Sending ${gift.giftName}…`, "info");
        void watch(requestId);
      }
    } catch (err) {
      pending.delete(requestId);
      ctx.notice.show(messageOf(err), "error");
    } finally {
      send.disabled = false;
    }
  });

  const select = (g: Gift, tile: HTMLElement) => {
    selected = g;
    for (const t of grid.querySelectorAll("[aria-pressed]")) t.setAttribute("aria-pressed", "false");
    tile.setAttribute("aria-pressed", "true");
    chosen.textContent = `${g.giftName} · ${coins(g.price)}`;
    send.disabled = false;
  };

  void (async () => {
    try {
      const gifts = await api<Gift[]>("GET", "/api/gifts");
      grid.replaceChildren();
      if (gifts.length === 0) grid.append(h("p", { class: "muted" }, "No gift is on sale."));
      for (const g of gifts) {
        const tile: HTMLButtonElement = h(
          "button",
          { type: "button", class: "gift", "data-gift-id": g.giftId, "aria-pressed": "false", onclick: () => select(g, tile) },
          cover(g.giftName, g.giftId, g.coverImgUrl),
          h("span", { class: "gift-name" }, g.giftName),
          h("span", { class: "gift-price" }, coins(g.price)),
        );
        grid.append(tile);
      }
    } catch (err) {
      grid.replaceChildren(h("p", { class: "notice error" }, `Gifts unavailable: ${messageOf(err)}`));
    }
  })();

  return h("section", { class: "card gifts-card" }, h("h2", {}, "Send a gift"), grid, h("div", { class: "send-row" }, chosen, send));
};
