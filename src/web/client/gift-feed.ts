// The list of gifts that landed in a room, newest first, each shown once
// (deduplicated by requestId): used by the viewer page and the anchor console.
import { coins, h } from "./dom.ts";
import { createSeen } from "./socket.ts";

/** The data of a `gift` push. */
export interface GiftEvent {
  requestId: string;
  roomId: number;
  giftId: number;
  giftName: string;
  price: number;
  senderId: number;
  receiverId: number;
  svgaUrl?: string;
}

const MAX_SHOWN = 50;

export function createGiftFeed(opts: { me: number; empty: string }) {
  const seen = createSeen();
  const list = h("ol", { class: "feed", id: "gift-feed", "aria-live": "polite" });
  const placeholder = h("li", { class: "feed-empty" }, opts.empty);
  list.append(placeholder);
  return {
    el: list,
    /** Adds a gift; false when this requestId was shown already. */
    add(g: GiftEvent): boolean {
      if (!seen.first(g.requestId)) return false;
      placeholder.remove();
      const who = g.senderId === opts.me ? "You" : `User ${g.senderId}`;
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
      list.prepend(
        h(
          "li",
          { class: `feed-item${g.senderId === opts.me ? " mine" : ""}`, "data-request-id": g.requestId },
          h("span", { class: "feed-who" }, who),
          h("span", { class: "feed-what" }, ` sent ${g.giftName}`),
          h("span", { class: "feed-price" }, coins(g.price)),
          h("time", { class: "feed-time" }, time),
        ),
      );
      while (list.children.length > MAX_SHOWN) list.lastElementChild!.remove();
      return true;
    },
  };
}
