// A process-local, read-through cache of values loaded from the store. An
// entry lives at most its TTL (one for all, or chosen per value, so that
// "nothing here" can be kept more briefly); a writer that changes what an
// entry holds calls drop(key), or dropAll(), which drops here at once and,
// through the cache bus, in every other process. Whatever `load` answers is
// kept, null and empty included, so a key that has no row ("negative entry")
// does not reach the store on every read either; the writer that creates the
// row drops it.
//
// One load per key at a time: concurrent misses share it. A drop that arrives
// while a load is in flight wins: what that load read may predate the change,
// so it is answered to its callers but not kept.
import type { CacheBus, CacheName } from "./cache-bus.ts";

export interface Cache<K extends string | number, V> {
  /** The cached value, or what `load` answers when there is none younger than the TTL. */
  get(key: K): Promise<V>;
  /** Drops the key here and in every process. */
  drop(key: K): Promise<void>;
  /** Drops every key here and in every process. */
  dropAll(): Promise<void>;
}

/** The bus key that means "every key" (so no cache may use it as a key). */
const ALL_KEYS = "*";

export interface CacheSpec<K extends string | number, V> {
  /** The bus channel's cache name; every process must use the same one. */
  name: CacheName;
  ttlMs: number | ((value: V) => number);
  bus: CacheBus;
  load: (key: K) => Promise<V>;
  /** The clock (tests move it instead of sleeping). */
  now?: () => number;
}

export function createCache<K extends string | number, V>(spec: CacheSpec<K, V>): Cache<K, V> {
  const now = spec.now ?? Date.now;
  const ttlOf = typeof spec.ttlMs === "number" ? () => spec.ttlMs as number : spec.ttlMs;
  const entries = new Map<string, { value: V; expiresAt: number }>();
  const inFlight = new Map<string, { promise: Promise<V>; dropped: boolean }>();

  function dropLocal(id: string): void {
    entries.delete(id);
    const load = inFlight.get(id);
    if (load) {
      load.dropped = true;
      inFlight.delete(id);
    }
  }

  // Keys travel the bus as strings, so they are kept as strings here too.
  spec.bus.on(spec.name, (id) => {
    if (id !== ALL_KEYS) return dropLocal(id);
    for (const key of [...entries.keys(), ...inFlight.keys()]) dropLocal(key);
  });

  function startLoad(key: K, id: string): Promise<V> {
    const startedAt = now();
    const load = { dropped: false } as { promise: Promise<V>; dropped: boolean };
    load.promise = spec
      .load(key)
      .then((value): V => {
        // The entry's age counts from before the read, so it is never served
        // older than the TTL.
        if (!load.dropped) entries.set(id, { value, expiresAt: startedAt + ttlOf(value) });
        return value;
      })
      .finally(() => {
        if (inFlight.get(id) === load) inFlight.delete(id);
      });
    inFlight.set(id, load);
    return load.promise;
  }

  return {
    async get(key) {
      const id = String(key);
      const hit = entries.get(id);
      if (hit && now() < hit.expiresAt) return hit.value;
      return inFlight.get(id)?.promise ?? startLoad(key, id);
    },
    drop(key) {
      return spec.bus.invalidate(spec.name, String(key));
    },
    dropAll() {
      return spec.bus.invalidate(spec.name, ALL_KEYS);
    },
  };
}
