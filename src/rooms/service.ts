// Live rooms. An anchor has at most one living room: starting while living
// answers the room already open. "Is this room living" is asked on every gift
// send, so each process keeps a short-lived copy (1 s) that is also dropped
// at once, in every process, when the room opens or closes.
import type { CacheBus } from "../lib/cache-bus.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import { affected } from "../store/store.ts";

export const RoomStatus = { CLOSED: 0, LIVING: 1 } as const;

export interface Room {
  roomId: number;
  anchorId: number;
  title: string;
  type: number;
  status: "living" | "closed";
  startTime: number;
  endTime: number | null;
}

const ROOM_CACHE_MS = 1000;

type RoomRow = { room_id: number; anchor_id: number; title: string; type: number; status: number; start_time: number; end_time: number | null };

function toRoom(r: RoomRow): Room {
  return {
    roomId: Number(r.room_id),
    anchorId: Number(r.anchor_id),
    title: r.title,
    type: Number(r.type),
    status: Number(r.status) === RoomStatus.LIVING ? "living" : "closed",
    startTime: Number(r.start_time),
    endTime: r.end_time === null ? null : Number(r.end_time),
  };
}

/** What rooms need of live commerce: whether an anchor may sell anything. */
export interface RoomShop {
  sellsAnything(anchorId: number): Promise<boolean>;
}

export function createRoomService(deps: { store: Store; cacheBus: CacheBus; shop: RoomShop }) {
  const { store, cacheBus } = deps;
  const db = store.db;
  const cache = new Map<number, { room: Room | null; at: number }>();
  cacheBus.on("rooms", (key) => cache.delete(Number(key)));

  async function load(roomId: number): Promise<Room | null> {
    const r = await db.selectFrom("living_room").selectAll().where("room_id", "=", roomId).executeTakeFirst();
    return r ? toRoom(r) : null;
  }

  return {
    async start(anchorId: number, input: { title: string; type: number }): Promise<Room> {
      const open = await db
        .selectFrom("living_room")
        .selectAll()
        .where("anchor_id", "=", anchorId)
        .where("status", "=", RoomStatus.LIVING)
        .executeTakeFirst();
      if (open) return toRoom(open);
      const now = Date.now();
      const res = await db
        .insertInto("living_room")
        .values({ anchor_id: anchorId, title: input.title, type: input.type, status: RoomStatus.LIVING, start_time: now, end_time: null })
        .executeTakeFirstOrThrow();
      const room = (await load(Number(res.insertId)))!;
      await cacheBus.invalidate("rooms", String(room.roomId));
      return room;
    },

    async close(user: { userId: number; role: string }, roomId: number): Promise<Room> {
      const room = await load(roomId);
      if (!room) throw new AppError("ROOM_NOT_FOUND", `room ${roomId} does not exist`);
      if (room.anchorId !== user.userId && user.role !== "admin") throw new AppError("FORBIDDEN", "only the room's anchor can close it");
      if (room.status === "closed") return room;
      const res = await db
        .updateTable("living_room")
        .set({ status: RoomStatus.CLOSED, end_time: Date.now() })
        .where("room_id", "=", roomId)
        .where("status", "=", RoomStatus.LIVING)
        .executeTakeFirst();
      if (affected(res) === 1) await cacheBus.invalidate("rooms", String(roomId));
      return (await load(roomId))!;
    },

    async get(roomId: number): Promise<Room & { shopEnabled: boolean }> {
      const room = await load(roomId);
      if (!room) throw new AppError("ROOM_NOT_FOUND", `room ${roomId} does not exist`);
      return { ...room, shopEnabled: await deps.shop.sellsAnything(room.anchorId) };
    },

    /** The room from this process's 1 s cache; for the gift hot path. */
    async getCached(roomId: number): Promise<Room | null> {
      const hit = cache.get(roomId);
      const now = Date.now();
      if (hit && now - hit.at < ROOM_CACHE_MS) return hit.room;
      const room = await load(roomId);
      cache.set(roomId, { room, at: now });
      return room;
    },

    async listLiving(page: number, pageSize: number) {
      const rows = await db
        .selectFrom("living_room")
        .selectAll()
        .where("status", "=", RoomStatus.LIVING)
        .orderBy("room_id", "desc")
        .limit(pageSize + 1)
        .offset((page - 1) * pageSize)
        .execute();
      return { items: rows.slice(0, pageSize).map(toRoom), page, pageSize, hasMore: rows.length > pageSize };
    },
  };
}

export type RoomService = ReturnType<typeof createRoomService>;
