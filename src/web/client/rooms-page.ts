// `/`: the living rooms, newest first (GET /api/rooms, public).
import type { Room as ServerRoom } from "../../rooms/service.ts";
import { api, messageOf } from "./api.ts";
import { createNotice, h } from "./dom.ts";

/** A room as GET /api/rooms and GET /api/rooms/:roomId answer it. */
export type Room = Pick<ServerRoom, "roomId" | "anchorId" | "title" | "type" | "status">;

const PAGE_SIZE = 20;

export function renderRoomsPage(main: HTMLElement): void {
  const notice = createNotice();
  const list = h("ul", { class: "room-list", id: "rooms" });
  const more = h("button", { type: "button", hidden: true }, "More rooms");
  let page = 1;
  const load = async () => {
    try {
      const res = await api<{ items: Room[]; hasMore: boolean }>("GET", `/api/rooms?page=${page}&pageSize=${PAGE_SIZE}`);
      if (page === 1 && res.items.length === 0) list.append(h("li", { class: "muted" }, "No room is living right now. Start one from the anchor console."));
      for (const r of res.items) {
        list.append(
          h(
            "li",
            {},
            h(
              "a",
              { class: "room-card", href: `/rooms/${r.roomId}`, "data-room-id": r.roomId },
              h("span", { class: "live-dot" }, "LIVE"),
              h("strong", {}, r.title),
              h("span", { class: "muted" }, `Anchor ${r.anchorId} · room ${r.roomId}`),
            ),
          ),
        );
      }
      more.hidden = !res.hasMore;
      page += 1;
    } catch (err) {
      notice.show(messageOf(err), "error");
    }
  };
  more.addEventListener("click", () => void load());
  main.append(h("section", { class: "card" }, h("h1", {}, "Living rooms"), notice.el, list, more));
  void load();
}
