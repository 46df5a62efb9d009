// Gift catalogue persistence: the gift_config table. The catalogue
// (catalogue.ts) caches what this reads; every write goes through here.
import type { Db } from "../store/store.ts";

export type GiftRow = { gift_id: number; gift_name: string; price: number; cover_img_url: string; svga_url: string; status: number };

export interface GiftRowValues {
  gift_id?: number;
  gift_name: string;
  price: number;
  cover_img_url: string;
  svga_url: string;
  status: number;
}

export type GiftRowPatch = Partial<Omit<GiftRowValues, "gift_id">>;

export const giftConfigRepo = {
  async all(db: Db): Promise<GiftRow[]> {
    return db.selectFrom("gift_config").selectAll().orderBy("gift_id").execute();
  },

  async byId(db: Db, giftId: number): Promise<GiftRow | undefined> {
    return db.selectFrom("gift_config").selectAll().where("gift_id", "=", giftId).executeTakeFirst();
  },

  /** Inserts a gift; returns its id (the given one, or the one the database chose). */
  async insert(db: Db, values: GiftRowValues, now: number): Promise<number> {
    const res = await db.insertInto("gift_config").values({ ...values, create_time: now, update_time: now }).executeTakeFirstOrThrow();
    return values.gift_id ?? Number(res.insertId);
  },

  async update(db: Db, giftId: number, patch: GiftRowPatch, now: number): Promise<void> {
    await db.updateTable("gift_config").set({ ...patch, update_time: now }).where("gift_id", "=", giftId).execute();
  },
};
