// The gift catalogue. Sends read gifts from a process-local copy of the whole
// catalogue (at most 90 s old); an admin change drops the copy in every
// process at once through the cache bus, so the change is served within the
// bus's delivery time (well under 1 s).
import type { CacheBus } from "../lib/cache-bus.ts";
import { createCache } from "../lib/cache.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";
import { giftConfigRepo, type GiftRow, type GiftRowPatch } from "./catalogue-repo.ts";

export const GiftStatus = { INVALID: 0, VALID: 1 } as const;

export interface Gift {
  giftId: number;
  giftName: string;
  price: number;
  coverImgUrl: string;
  svgaUrl: string;
  status: number;
}

const CATALOGUE_MAX_AGE_MS = 90_000;
const WHOLE_CATALOGUE = "all";

function toGift(r: GiftRow): Gift {
  return {
    giftId: Number(r.gift_id),
    giftName: r.gift_name,
    price: Number(r.price),
    coverImgUrl: r.cover_img_url,
    svgaUrl: r.svga_url,
    status: Number(r.status),
  };
}

export function publicGift(g: Gift) {
  return { giftId: g.giftId, giftName: g.giftName, price: g.price, coverImgUrl: g.coverImgUrl, svgaUrl: g.svgaUrl };
}

export interface GiftInput {
  giftId?: number;
  giftName: string;
  price: number;
  coverImgUrl?: string;
  svgaUrl?: string;
  status?: number;
}

export function createGiftCatalogue(deps: { store: Store; cacheBus: CacheBus }) {
  const db = deps.store.db;

  async function loadAll(): Promise<Map<number, Gift>> {
    const rows = await giftConfigRepo.all(db);
    return new Map(rows.map((r) => [Number(r.gift_id), toGift(r)]));
  }

  // The whole catalogue is one entry: any change drops it.
  const cache = createCache<typeof WHOLE_CATALOGUE, Map<number, Gift>>({ name: "gifts", ttlMs: CATALOGUE_MAX_AGE_MS, bus: deps.cacheBus, load: loadAll });
  const all = () => cache.get(WHOLE_CATALOGUE);

  return {
    /** A valid gift from the process-local copy, or null. */
    async getValid(giftId: number): Promise<Gift | null> {
      const g = (await all()).get(giftId);
      return g && g.status === GiftStatus.VALID ? g : null;
    },

    async listValid(): Promise<Gift[]> {
      return [...(await all()).values()].filter((g) => g.status === GiftStatus.VALID);
    },

    async create(input: GiftInput): Promise<Gift> {
      const values = {
        price: input.price,
        gift_name: input.giftName,
        status: input.status ?? GiftStatus.VALID,
        cover_img_url: input.coverImgUrl ?? "",
        svga_url: input.svgaUrl ?? "",
        ...(input.giftId ? { gift_id: input.giftId } : {}),
      };
      const giftId = await giftConfigRepo.insert(db, values, Date.now());
      await cache.drop(WHOLE_CATALOGUE);
      return (await this.getAny(giftId))!;
    },

    async getAny(giftId: number): Promise<Gift | null> {
      const r = await giftConfigRepo.byId(db, giftId);
      return r ? toGift(r) : null;
    },

    async update(giftId: number, patch: Partial<Omit<GiftInput, "giftId">>): Promise<Gift> {
      const set: GiftRowPatch = {};
      if (patch.giftName !== undefined) set.gift_name = patch.giftName;
      if (patch.price !== undefined) set.price = patch.price;
      if (patch.coverImgUrl !== undefined) set.cover_img_url = patch.coverImgUrl;
      if (patch.svgaUrl !== undefined) set.svga_url = patch.svgaUrl;
      if (patch.status !== undefined) set.status = patch.status;
      const existing = await this.getAny(giftId);
      if (!existing) throw new AppError("GIFT_NOT_FOUND", `gift ${giftId} does not exist`);
      await giftConfigRepo.update(db, giftId, set, Date.now());
      await cache.drop(WHOLE_CATALOGUE);
      return (await this.getAny(giftId))!;
    },
  };
}

export type GiftCatalogue = ReturnType<typeof createGiftCatalogue>;
