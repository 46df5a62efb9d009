// Rooms persistence: the living_room table. An anchor's living room is the
// row with status LIVING; closing is conditional on it still living, so two
// closes (or a close racing another) change the row once.
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

export function createRoomRepo(store: Store) {
  const db = store.db;
  return {
    async get(roomId: number): Promise<Room | null> {
      const r = await db.selectFrom("living_room").selectAll().where("room_id", "=", roomId).executeTakeFirst();
      return r ? toRoom(r) : null;
    },

    async livingOf(anchorId: number): Promise<Room | null> {
      const r = await db
        .selectFrom("living_room")
        .selectAll()
        .where("anchor_id", "=", anchorId)
        .where("status", "=", RoomStatus.LIVING)
        .executeTakeFirst();
      return r ? toRoom(r) : null;
    },

    /** Inserts a living room; answers its id. */
    async insertLiving(anchorId: number, input: { title: string; type: number }, now: number): Promise<number> {
      const res = await db
        .insertInto("living_room")
        .values({ anchor_id: anchorId, title: input.title, type: input.type, status: RoomStatus.LIVING, start_time: now, end_time: null })
        .executeTakeFirstOrThrow();
      return Number(res.insertId);
    },

    /** Closes the room if it is still living; true when this call closed it. */
    async closeIfLiving(roomId: number, now: number): Promise<boolean> {
      const res = await db
        .updateTable("living_room")
        .set({ status: RoomStatus.CLOSED, end_time: now })
        .where("room_id", "=", roomId)
        .where("status", "=", RoomStatus.LIVING)
        .executeTakeFirst();
      return affected(res) === 1;
    },

    /** One page of living rooms, newest first, and whether more follow. */
    async listLiving(page: number, pageSize: number): Promise<{ items: Room[]; hasMore: boolean }> {
      const rows = await db
        .selectFrom("living_room")
        .selectAll()
        .where("status", "=", RoomStatus.LIVING)
        .orderBy("room_id", "desc")
        .limit(pageSize + 1)
        .offset((page - 1) * pageSize)
        .execute();
      return { items: rows.slice(0, pageSize).map(toRoom), hasMore: rows.length > pageSize };
    },
  };
}

export type RoomRepo = ReturnType<typeof createRoomRepo>;
