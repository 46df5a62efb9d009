// `/anchor`, the anchor's console: find or start the anchor's living room,
// close it, warm up the stock of what the anchor sells, and watch gifts and
// orders arrive with running totals.
import { api, messageOf } from "./api.ts";
import { coins, createNotice, h, onSubmit } from "./dom.ts";
import { createGiftFeed, type GiftEvent } from "./gift-feed.ts";
import { connectionBadge } from "./layout.ts";
import { createOrderFeed, type OrderEvent } from "./order-feed.ts";
import type { Room } from "./rooms-page.ts";
import type { Session } from "./session.ts";
import { connectRoom } from "./socket.ts";

const ROOM_PAGE_SIZE = 100;

/** The anchor's living room, if any: the public room list is the only place that says. */
async function findLivingRoom(anchorId: number): Promise<Room | null> {
  for (let page = 1; ; page++) {
    const res = await api<{ items: Room[]; hasMore: boolean }>("GET", `/api/rooms?page=${page}&pageSize=${ROOM_PAGE_SIZE}`);
    const mine = res.items.find((r) => r.anchorId === anchorId);
    if (mine) return mine;
    if (!res.hasMore) return null;
  }
}

export async function renderAnchorPage(main: HTMLElement, session: Session): Promise<void> {
  const notice = createNotice("notice");
  const body = h("div", { class: "console" });
  main.append(h("section", { class: "card console-card" }, h("h1", {}, "Anchor console"), notice.el, body));
  if (session.role !== "anchor") {
    notice.show(`You are signed in as a ${session.role}; the console is for anchors. Sign out and sign in with the anchor role.`, "error");
    return;
  }

  const showStart = () => {
    const title = h("input", { name: "title", id: "room-title-input", required: true, maxlength: 128, value: `User ${session.userId}'s live room` });
    body.replaceChildren(
      h(
        "form",
        {
          class: "stack",
          id: "start-room",
          onsubmit: onSubmit(notice, async () => {
            const { roomId } = await api<{ roomId: number }>("POST", "/api/rooms", { title: title.value, type: 0 });
            notice.clear();
            showLive(await api<Room>("GET", `/api/rooms/${roomId}`));
          }),
        },
        h("p", { class: "muted" }, "You are not living. Give the room a title and go live."),
        h("label", {}, "Title", title),
        h("button", { type: "submit", class: "primary", id: "start" }, "Start living"),
      ),
    );
  };

  const showLive = (room: Room) => {
    const count = h("strong", { id: "total-count" }, "0");
    const total = h("strong", { id: "total-coins" }, "0");
    let n = 0;
    let sum = 0;
    const feed = createGiftFeed({ me: session.userId, empty: "Waiting for the first gift…" });
    const orders = createOrderFeed();
    const badge = connectionBadge();
    const socket = connectRoom({
      token: session.token,
      roomId: room.roomId,
      onMessage: (m) => {
        if (m.type === "order") orders.add(m.data as OrderEvent);
        if (m.type !== "gift") return;
        const g = m.data as GiftEvent;
        if (!feed.add(g)) return;
        n += 1;
        sum += g.price;
        count.textContent = n.toLocaleString("en-US");
        total.textContent = sum.toLocaleString("en-US");
      },
      onState: (state, retryInMs) => badge.set(state, retryInMs),
    });
    const preheat = h("button", { type: "button", id: "preheat" }, "Warm up stock");
    preheat.addEventListener("click", async () => {
      preheat.disabled = true;
      try {
        const { skus } = await api<{ skus: { skuId: number; stockNum: number }[] }>("POST", `/api/shop/anchors/${session.userId}/stock/preheat`);
        const units = skus.reduce((n, s) => n + s.stockNum, 0);
        notice.show(skus.length === 0 ? "You sell nothing yet: an admin sets your products." : `Stock warmed up: ${skus.length} product${skus.length === 1 ? "" : "s"}, ${units.toLocaleString("en-US")} units on sale.`, "ok");
      } catch (err) {
        notice.show(messageOf(err), "error");
      } finally {
        preheat.disabled = false;
      }
    });
    const close = h("button", { type: "button", class: "danger", id: "close-room" }, "Close the room");
    close.addEventListener("click", async () => {
      try {
        await api("POST", `/api/rooms/${room.roomId}/close`);
        socket.close();
        notice.show(`Room ${room.roomId} closed: ${coins(sum)} from ${n} gift${n === 1 ? "" : "s"} while you watched.`, "ok");
        showStart();
      } catch (err) {
        notice.show(messageOf(err), "error");
      }
    });
    body.replaceChildren(
      h(
        "div",
        { class: "live-head" },
        h("div", {}, h("h2", { id: "live-title", "data-room-id": room.roomId }, room.title), h("a", { href: `/rooms/${room.roomId}`, target: "_blank" }, `Viewer page of room ${room.roomId} ↗`)),
        badge.el,
      ),
      h(
        "div",
        { class: "console-grid" },
        h(
          "section",
          { class: "console-gifts" },
          h("h2", { class: "section-head" }, "Gifts"),
          h(
            "div",
            { class: "totals" },
            h("div", { class: "total" }, count, h("span", { class: "muted" }, "gifts")),
            h("div", { class: "total" }, total, h("span", { class: "muted" }, "coins")),
          ),
          feed.el,
        ),
        h("section", { class: "console-orders" }, h("div", { class: "section-head" }, h("h2", {}, "Orders"), preheat), orders.totalsEl, orders.el),
      ),
      h("p", { class: "muted small" }, "Totals count what arrived while this console was open."),
      close,
    );
  };

  try {
    const room = await findLivingRoom(session.userId);
    if (room) showLive(room);
    else showStart();
  } catch (err) {
    notice.show(messageOf(err), "error");
  }
}
