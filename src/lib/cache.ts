// A process-local, read-through cache of values loaded from the store. An
// entry lives at most `ttlMs`; a writer that changes what an entry holds
// calls drop(key), which drops it here at once and, through the cache bus, in
// every other process. Whatever `load` answers is kept, null included, so a
// key that has no row ("negative entry") does not reach the store on every
// read either; the writer that creates the row drops it.
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
}

export interface CacheSpec<K extends string | number, V> {
  /** The bus channel's cache name; every process must use the same one. */
  name: CacheName;
  ttlMs: number;
  bus: CacheBus;
  load: (key: K) => Promise<V>;
  /** The clock (tests move it instead of sleeping). */
  now?: () => number;
}

export function createCache<K extends string | number, V>(spec: CacheSpec<K, V>): Cache<K, V> {
  const now = spec.now ?? Date.now;
  const entries = new Map<string, { value: V; loadedAt: number }>();
  const inFlight = new Map<string, { promise: Promise<V>; dropped: boolean }>();

  // Keys travel the bus as strings, so they are kept as strings here too.
  spec.bus.on(spec.name, (id) => {
    entries.delete(id);
    const load = inFlight.get(id);
    if (load) {
      load.dropped = true;
      inFlight.delete(id);
    }
  });

  function startLoad(key: K, id: string): Promise<V> {
    const startedAt = now();
    const load = { dropped: false } as { promise: Promise<V>; dropped: boolean };
    load.promise = spec
      .load(key)
      .then((value): V => {
        // The entry's age counts from before the read, so it is never served
        // older than the TTL.
        if (!load.dropped) entries.set(id, { value, loadedAt: startedAt });
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
      if (hit && now() - hit.loadedAt < spec.ttlMs) return hit.value;
      return inFlight.get(id)?.promise ?? startLoad(key, id);
    },
    drop(key) {
      return spec.bus.invalidate(spec.name, String(key));
    },
  };
}
