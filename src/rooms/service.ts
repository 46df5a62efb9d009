// Live rooms. An anchor has at most one living room: starting while living
// answers the room already open. "Is this room living" is asked on every gift
// send, so each process keeps a short-lived copy (1 s) that is also dropped
// at once, in every process, when the room opens or closes.
import type { CacheBus } from "../lib/cache-bus.ts";
import { createCache } from "../lib/cache.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import { createRoomRepo, type Room } from "./repo.ts";

export type { Room } from "./repo.ts";

const ROOM_CACHE_MS = 1000;

/** What rooms need of live commerce. */
export interface RoomShop {
  anchorSkus: { sellsAnything(anchorId: number): Promise<boolean> };
  /** A room started: warm its anchor's stock (never fails the start). */
  roomStarted(anchorId: number, roomId: number): Promise<void>;
}

export function createRoomService(deps: { store: Store; cacheBus: CacheBus; shop: RoomShop }) {
  const repo = createRoomRepo(deps.store);
  // A missing room is cached too: sends to a room id that does not exist
  // do not each reach the store.
  const cache = createCache<number, Room | null>({ name: "rooms", ttlMs: ROOM_CACHE_MS, bus: deps.cacheBus, load: (roomId) => repo.get(roomId) });

  return {
    async start(anchorId: number, input: { title: string; type: number }): Promise<Room> {
      let room = await repo.livingOf(anchorId);
      if (!room) {
        const roomId = await repo.insertLiving(anchorId, input, Date.now());
        await cache.drop(roomId);
        room = (await repo.get(roomId))!;
      }
      // Warm the stock of what the anchor sells (a no-op for what is warm).
      await deps.shop.roomStarted(anchorId, room.roomId);
      return room;
    },

    async close(user: { userId: number; role: string }, roomId: number): Promise<Room> {
      const room = await repo.get(roomId);
      if (!room) throw new AppError("ROOM_NOT_FOUND", `room ${roomId} does not exist`);
      if (room.anchorId !== user.userId && user.role !== "admin") throw new AppError("FORBIDDEN", "only the room's anchor can close it");
      if (room.status === "closed") return room;
      if (await repo.closeIfLiving(roomId, Date.now())) await cache.drop(roomId);
      return (await repo.get(roomId))!;
    },

    async get(roomId: number): Promise<Room & { shopEnabled: boolean }> {
      const room = await repo.get(roomId);
      if (!room) throw new AppError("ROOM_NOT_FOUND", `room ${roomId} does not exist`);
      return { ...room, shopEnabled: await deps.shop.anchorSkus.sellsAnything(room.anchorId) };
    },

    /** The room from this process's 1 s cache; for the gift hot path. */
    getCached(roomId: number): Promise<Room | null> {
      return cache.get(roomId);
    },

    async listLiving(page: number, pageSize: number) {
      const { items, hasMore } = await repo.listLiving(page, pageSize);
      return { items, page, pageSize, hasMore };
    },
  };
}

export type RoomService = ReturnType<typeof createRoomService>;
