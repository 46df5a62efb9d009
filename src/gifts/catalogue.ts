// The gift catalogue. Sends read gifts from a process-local copy of the whole
// catalogue (at most 90 s old); an admin change drops the copy in every
// process at once through the cache bus, so the change is served within the
// bus's delivery time (well under 1 s).
import type { CacheBus } from "../lib/cache-bus.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/store.ts";

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

type GiftRow = { gift_id: number; gift_name: string; price: number; cover_img_url: string; svga_url: string; status: number };

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
  let snapshot: { byId: Map<number, Gift>; at: number } | null = null;
  let loading: Promise<Map<number, Gift>> | null = null;
  let generation = 0;
  deps.cacheBus.on("gifts", () => {
    snapshot = null;
    generation++;
  });

  async function loadAll(): Promise<Map<number, Gift>> {
    const gen = generation;
    const rows = await db.selectFrom("gift_config").selectAll().orderBy("gift_id").execute();
    const byId = new Map(rows.map((r) => [Number(r.gift_id), toGift(r)]));
    // An invalidation that arrived while we read must not be overwritten by
    // what we read before it.
    if (gen === generation) snapshot = { byId, at: Date.now() };
    return byId;
  }

  async function all(): Promise<Map<number, Gift>> {
    if (snapshot && Date.now() - snapshot.at < CATALOGUE_MAX_AGE_MS) return snapshot.byId;
    loading ??= loadAll().finally(() => (loading = null));
    return loading;
  }

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
      const now = Date.now();
      const values = {
        price: input.price,
        gift_name: input.giftName,
        status: input.status ?? GiftStatus.VALID,
        cover_img_url: input.coverImgUrl ?? "",
        svga_url: input.svgaUrl ?? "",
        create_time: now,
        update_time: now,
        ...(input.giftId ? { gift_id: input.giftId } : {}),
      };
      const res = await db.insertInto("gift_config").values(values).executeTakeFirstOrThrow();
      const giftId = input.giftId ?? Number(res.insertId);
      await deps.cacheBus.invalidate("gifts", String(giftId));
      return (await this.getAny(giftId))!;
    },

    async getAny(giftId: number): Promise<Gift | null> {
      const r = await db.selectFrom("gift_config").selectAll().where("gift_id", "=", giftId).executeTakeFirst();
      return r ? toGift(r) : null;
    },

    async update(giftId: number, patch: Partial<Omit<GiftInput, "giftId">>): Promise<Gift> {
      const set: Record<string, unknown> = { update_time: Date.now() };
      if (patch.giftName !== undefined) set.gift_name = patch.giftName;
      if (patch.price !== undefined) set.price = patch.price;
      if (patch.coverImgUrl !== undefined) set.cover_img_url = patch.coverImgUrl;
      if (patch.svgaUrl !== undefined) set.svga_url = patch.svgaUrl;
      if (patch.status !== undefined) set.status = patch.status;
      const existing = await this.getAny(giftId);
      if (!existing) throw new AppError("GIFT_NOT_FOUND", `gift ${giftId} does not exist`);
      await db.updateTable("gift_config").set(set).where("gift_id", "=", giftId).execute();
      await deps.cacheBus.invalidate("gifts", String(giftId));
      return (await this.getAny(giftId))!;
    },
  };
}

export type GiftCatalogue = ReturnType<typeof createGiftCatalogue>;
