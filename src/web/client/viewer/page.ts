// `/rooms/:roomId`, the viewer page: the stage (effects and the gifts that
// landed, pushed over the room's WebSocket), the viewer's panels beside it and,
// when the anchor sells something, live commerce under it.
import { api, messageOf } from "../api.ts";
import { createNotice, h } from "../dom.ts";
import { createGiftFeed, type GiftEvent } from "../gift-feed.ts";
import { connectionBadge } from "../layout.ts";
import type { Room } from "../rooms-page.ts";
import type { Session } from "../session.ts";
import { connectRoom, type ServerMessage } from "../socket.ts";
import type { RoomContext, ViewerPanel } from "./context.ts";
import { createEffectsLayer } from "./effects.ts";
import { giftPanel } from "./gift-panel.ts";
import { ordersPanel } from "./orders-panel.ts";
import { rechargePanel } from "./recharge-panel.ts";
import { shopPanel } from "./shop-panel.ts";
import { createWalletView } from "./wallet.ts";

/** The viewer's panels beside the stage, in page order. */
const PANELS: ViewerPanel[] = [giftPanel, rechargePanel];
/** Live commerce, under the stage (shown when the room's anchor sells something). */
const SHOP_PANELS: ViewerPanel[] = [shopPanel, ordersPanel];

export async function renderViewerPage(main: HTMLElement, session: Session, roomId: number): Promise<void> {
  const notice = createNotice("notice");
  let room: Room & { shopEnabled: boolean };
  try {
    room = await api<Room & { shopEnabled: boolean }>("GET", `/api/rooms/${roomId}`);
  } catch (err) {
    main.append(h("section", { class: "card" }, h("h1", {}, `Room ${roomId}`), h("p", { class: "notice error", role: "alert" }, messageOf(err)), h("a", { href: "/" }, "See the living rooms")));
    return;
  }

  const handlers = new Map<string, ((m: ServerMessage) => void)[]>();
  const on = (type: string, handler: (m: ServerMessage) => void) => handlers.set(type, [...(handlers.get(type) ?? []), handler]);
  const wallet = createWalletView(notice);
  const deliver = (m: ServerMessage) => handlers.get(m.type)?.forEach((f) => f(m));
  const ctx: RoomContext = { room, session, wallet, notice, on, emit: deliver };

  const effects = createEffectsLayer(session.userId);
  const feed = createGiftFeed({ me: session.userId, empty: "Gifts sent in this room appear here." });
  // Effects are shown once per requestId, whatever the socket redelivers.
  on("gift", (m) => feed.add(m.data as GiftEvent) && effects.show(m.data as GiftEvent));

  const badge = connectionBadge();
  const stage = h(
    "section",
    { class: "stage" },
    h(
      "div",
      { class: "stage-head" },
      h("div", {}, h("h1", { id: "room-title" }, room.title), h("p", { class: "muted" }, `Anchor ${room.anchorId} · room ${room.roomId}`)),
      room.status === "living" ? badge.el : h("span", { class: "conn", "data-state": "closed" }, "ended"),
    ),
    effects.el,
    h("h2", { class: "feed-title" }, "Gifts in this room"),
    feed.el,
  );
  const side = h("div", { class: "side" }, h("section", { class: "card wallet" }, h("h2", {}, "Your coins"), wallet.el), notice.el, ...PANELS.map((panel) => panel(ctx)));
  if (room.status !== "living") notice.show("This room has ended; gifts can no longer be sent here.", "info");
  main.classList.add("viewer");
  main.append(stage, side);
  if (room.shopEnabled) main.append(h("div", { class: "shop-col" }, ...SHOP_PANELS.map((panel) => panel(ctx))));

  void wallet.refresh();
  const socket = connectRoom({
    token: session.token,
    roomId: room.roomId,
    onMessage: deliver,
    onState: (state, retryInMs) => badge.set(state, retryInMs),
  });
  window.addEventListener("pagehide", () => socket.close());
}
