// What the in-process adapters (each concern's local.ts) share: expiry by a
// monotonic timestamp, checked on access and swept periodically by the Hot
// that owns them (index.ts), and refusing calls once closed. Every operation
// runs synchronously inside one call, so it is atomic the way a Lua script is.

// A monotonic clock: wall-clock jumps must not expire or revive entries.
export const now = (): number => performance.now();

export interface Expiring {
  expiresAt: number;
}

/** The entry under `key`, deleting it when it has expired. */
export function live<K, T extends Expiring>(map: Map<K, T>, key: K): T | undefined {
  const entry = map.get(key);
  if (entry && entry.expiresAt <= now()) {
    map.delete(key);
    return undefined;
  }
  return entry;
}

/** Deletes every expired entry of `maps`, so forgotten keys do not pile up. */
export function sweepExpired(maps: Map<unknown, Expiring>[]): void {
  const t = now();
  for (const map of maps) {
    for (const [k, v] of map) if (v.expiresAt <= t) map.delete(k);
  }
}

/** Base of an in-process adapter: one lifetime, closed with its Hot. */
export abstract class InProcessAdapter {
  private closed = false;

  protected open(): void {
    if (this.closed) throw new Error("hot store: closed");
  }

  /** Drops expired entries; the owning Hot calls it periodically. */
  abstract sweep(): void;

  close(): void {
    this.closed = true;
  }
}
