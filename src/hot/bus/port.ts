// The bus: publish/subscribe across the processes of a deployment (pushes to
// WebSocket clients, cache invalidation). At most once (a subscriber that is
// disconnected misses messages); one process's messages on a channel arrive in
// publish order. Handlers run asynchronously, never inside publish(). Two
// adapters — Redis (redis.ts, scripts/publish-1.lua) and in-process (local.ts)
// — and bus.contract.test.ts runs on both and on a Redis Cluster.

export type Unsubscribe = () => Promise<void>;

export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is live; the returned function ends it (a second call is harmless). */
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
}

/** Runs a handler so one that throws does not keep the message from the others. */
export function deliverSafely(channel: string, handler: (message: string) => void, message: string): void {
  try {
    handler(message);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "hot store subscriber threw", channel, err: String(err) }));
  }
}
