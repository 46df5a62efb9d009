// The stock in process: the same operations as redis.ts on maps, each
// synchronous inside one call so it is atomic the way a Lua script is.
import { checkPositiveInt } from "../checks.ts";
import { InProcessAdapter, live, now, sweepExpired } from "../in-process.ts";
import { checkLoad, checkOrderRef, checkReserve } from "./checks.ts";
import { TOMBSTONE_TTL_SEC, type HotStock, type ReleaseResult, type ReserveInput, type ReserveResult, type StockLoad, type StockLoadResult } from "./port.ts";

/** Fields as in the Redis hashes (see scripts/*.lua). */
interface Reservation {
  state: "held" | "released" | "paid";
  count: number;
  userId: number;
  /** generation of the stock the units were taken from */
  g: number;
  /** Infinity while held; a tombstone's expiry otherwise */
  expiresAt: number;
}

interface UserHeld {
  n: number;
  g: number;
}

const ref = (skuId: number, orderId: string) => `${skuId}:${orderId}`;
const userRef = (skuId: number, userId: number) => `${skuId}:${userId}`;

export class LocalStock extends InProcessAdapter implements HotStock {
  private readonly stock = new Map<number, { a: number; g: number }>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly users = new Map<string, UserHeld>();
  /** skuId → (orderId → reserve time) */
  private readonly unlandedBySku = new Map<number, Map<string, number>>();
  private generation = 0;

  sweep(): void {
    sweepExpired([this.reservations]);
  }

  private heldBy(skuId: number, userId: number, g: number): number {
    const u = this.users.get(userRef(skuId, userId));
    return u && u.g === g ? u.n : 0;
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    this.open();
    checkReserve(input);
    const key = ref(input.skuId, input.orderId);
    if (live(this.reservations, key)) return { kind: "duplicate" };
    const s = this.stock.get(input.skuId);
    if (!s) return { kind: "unloaded" };
    const held = this.heldBy(input.skuId, input.userId, s.g);
    if (input.limitPerUser > 0 && held + input.count > input.limitPerUser) return { kind: "limit", held };
    if (s.a < input.count) return { kind: "short", available: s.a };
    s.a -= input.count;
    this.users.set(userRef(input.skuId, input.userId), { n: held + input.count, g: s.g });
    this.reservations.set(key, { state: "held", count: input.count, userId: input.userId, g: s.g, expiresAt: Infinity });
    let unlanded = this.unlandedBySku.get(input.skuId);
    if (!unlanded) this.unlandedBySku.set(input.skuId, (unlanded = new Map()));
    unlanded.set(input.orderId, input.nowMs);
    return { kind: "reserved", available: s.a };
  }

  async release(skuId: number, orderId: string): Promise<ReleaseResult> {
    this.open();
    checkOrderRef(skuId, orderId);
    this.unlandedBySku.get(skuId)?.delete(orderId);
    const key = ref(skuId, orderId);
    const r = live(this.reservations, key);
    const tombstoneUntil = now() + TOMBSTONE_TTL_SEC * 1000;
    if (!r) {
      // Unknown (lost with the hot store, or never taken): remember the
      // release, so a late reserve or a load listing this order knows.
      this.reservations.set(key, { state: "released", count: 0, userId: 0, g: 0, expiresAt: tombstoneUntil });
      return { kind: "absorbed" };
    }
    if (r.state !== "held") return { kind: "not_held" };
    r.state = "released";
    r.expiresAt = tombstoneUntil;
    const s = this.stock.get(skuId);
    if (!s || s.g !== r.g) return { kind: "absorbed" };
    s.a += r.count;
    const u = this.users.get(userRef(skuId, r.userId));
    if (u && u.g === r.g) u.n -= r.count;
    return { kind: "released", available: s.a };
  }

  async settle(skuId: number, orderId: string): Promise<boolean> {
    this.open();
    checkOrderRef(skuId, orderId);
    this.unlandedBySku.get(skuId)?.delete(orderId);
    const r = live(this.reservations, ref(skuId, orderId));
    if (r?.state !== "held") return false;
    r.state = "paid";
    r.expiresAt = now() + TOMBSTONE_TTL_SEC * 1000;
    return true;
  }

  async landed(skuId: number, orderIds: string[]): Promise<void> {
    this.open();
    checkPositiveInt("skuId", skuId);
    for (const id of orderIds) this.unlandedBySku.get(skuId)?.delete(id);
  }

  async unlanded(skuId: number, beforeMs: number, limit: number): Promise<string[]> {
    this.open();
    checkPositiveInt("skuId", skuId);
    const entries = [...(this.unlandedBySku.get(skuId) ?? new Map<string, number>())].filter(([, at]) => at < beforeMs);
    return entries
      .sort((x, y) => x[1] - y[1])
      .slice(0, limit)
      .map(([id]) => id);
  }

  async load(input: StockLoad): Promise<StockLoadResult> {
    this.open();
    checkLoad(input);
    if (this.stock.has(input.skuId)) return "present";
    const g = ++this.generation;
    let available = input.available;
    const releasedByUser = new Map<number, number>();
    for (const p of input.pending) {
      const key = ref(input.skuId, p.orderId);
      const r = live(this.reservations, key);
      if (r?.state === "released") {
        // Cancelled after the database read and released already: hand back.
        available += p.count;
        releasedByUser.set(p.userId, (releasedByUser.get(p.userId) ?? 0) + p.count);
      } else if (r?.state !== "paid") {
        this.reservations.set(key, { state: "held", count: p.count, userId: p.userId, g, expiresAt: Infinity });
      }
    }
    for (const u of input.userHeld) {
      this.users.set(userRef(input.skuId, u.userId), { n: u.units - (releasedByUser.get(u.userId) ?? 0), g });
    }
    this.stock.set(input.skuId, { a: available, g });
    return "loaded";
  }

  async adjust(skuId: number, delta: number): Promise<number | null> {
    this.open();
    checkPositiveInt("skuId", skuId);
    if (!Number.isSafeInteger(delta)) throw new RangeError(`hot store: delta must be an integer, got ${delta}`);
    const s = this.stock.get(skuId);
    if (!s) return null;
    if (s.a + delta < 0) {
      this.stock.delete(skuId);
      return null;
    }
    s.a += delta;
    return s.a;
  }

  async available(skuId: number): Promise<number | null> {
    this.open();
    checkPositiveInt("skuId", skuId);
    return this.stock.get(skuId)?.a ?? null;
  }

  async userHeld(skuId: number, userId: number): Promise<number> {
    this.open();
    checkPositiveInt("skuId", skuId);
    checkPositiveInt("userId", userId);
    const s = this.stock.get(skuId);
    return s ? this.heldBy(skuId, userId, s.g) : 0;
  }

  async drop(skuId: number): Promise<void> {
    this.open();
    checkPositiveInt("skuId", skuId);
    this.stock.delete(skuId);
  }
}
