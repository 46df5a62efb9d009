// The rooms domain: live rooms and their routes.
import type { CacheBus } from "../lib/cache-bus.ts";
import type { DomainParts } from "../lib/domain.ts";
import type { Store } from "../store/store.ts";
import { roomRoutes } from "./routes.ts";
import { createRoomService, type RoomShop } from "./service.ts";

export function createRoomsDomain(deps: { store: Store; cacheBus: CacheBus; shop: RoomShop }) {
  const service = createRoomService(deps);
  const parts: DomainParts = { name: "rooms", routes: roomRoutes({ rooms: service }) };
  return { ...parts, service };
}
