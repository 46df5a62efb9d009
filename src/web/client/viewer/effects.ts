// Gift effects on the stage: a banner that slides in with sender and gift,
// then fades. The feed below keeps the record; effects are just the show.
import { h } from "../dom.ts";
import type { GiftEvent } from "../gift-feed.ts";
import { giftGlyph } from "./gift-panel.ts";

const SHOW_MS = 4000;
const MAX_AT_ONCE = 3;

export function createEffectsLayer(me: number) {
  const el = h("div", { class: "effects", id: "effects", "aria-hidden": "true" });
  return {
    el,
    show(g: GiftEvent) {
      const banner = h(
        "div",
        { class: `effect${g.senderId === me ? " mine" : ""}`, "data-request-id": g.requestId },
        giftGlyph(g.giftName, g.giftId),
        h("div", {}, h("strong", {}, g.senderId === me ? "You" : `User ${g.senderId}`), h("span", {}, ` sent ${g.giftName}`)),
      );
      el.append(banner);
      while (el.children.length > MAX_AT_ONCE) el.firstElementChild!.remove();
      setTimeout(() => banner.remove(), SHOW_MS);
    },
  };
}
