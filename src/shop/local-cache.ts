// A process-local cache for the catalogue's read paths: entries expire after
// a TTL chosen per value (so "nothing here" can be kept briefly), concurrent
// misses of one key share one load, and a drop that arrives while a load is
// in flight keeps that load's (possibly stale) answer out of the cache.
export interface LocalCache<K, V> {
  get(key: K, load: () => Promise<V>): Promise<V>;
  drop(key: K): void;
  clear(): void;
}

export function createLocalCache<K, V>(ttlMs: (value: V) => number): LocalCache<K, V> {
  const entries = new Map<K, { value: V; expires: number }>();
  const loading = new Map<K, Promise<V>>();
  let generation = 0;

  return {
    async get(key, load) {
      const hit = entries.get(key);
      if (hit && Date.now() < hit.expires) return hit.value;
      const inFlight = loading.get(key);
      if (inFlight) return inFlight;
      const gen = generation;
      const p = load()
        .then((value) => {
          if (gen === generation) entries.set(key, { value, expires: Date.now() + ttlMs(value) });
          return value;
        })
        .finally(() => {
          if (loading.get(key) === p) loading.delete(key);
        });
      loading.set(key, p);
      return p;
    },
    drop(key) {
      generation++;
      entries.delete(key);
      loading.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
      loading.clear();
    },
  };
}
