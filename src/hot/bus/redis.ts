// The bus on Redis pub/sub. Publishes go through publish-1.lua keyed by the
// channel, so a cluster keeps one channel's messages in order. Subscriptions
// use their own connection, opened on the first subscribe (a subscribed
// connection can run nothing else), with one Redis subscription per channel
// fanned out to the local handlers.
import type { Result } from "ioredis";
import { checkNonEmpty, checkString } from "../checks.ts";
import type { RedisClient, RedisConnection } from "../redis/connection.ts";
import { defineScripts } from "../redis/scripts.ts";
import { deliverSafely, type Bus, type Unsubscribe } from "./port.ts";

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotPublish(route: string, channel: string, message: string): Result<number, Context>;
  }
}

const SCRIPTS = { hotPublish: "publish-1.lua" };

export function defineBusScripts(client: RedisClient): void {
  defineScripts(client, new URL("./scripts/", import.meta.url), SCRIPTS);
}

interface Subscription {
  handler: (message: string) => void;
}

interface ChannelEntry {
  subs: Set<Subscription>;
  /** Resolves once Redis confirmed the SUBSCRIBE. */
  ready: Promise<unknown>;
}

/** The bus on an open connection whose script `defineBusScripts` registered. */
export class RedisBus implements Bus {
  private subscriber: RedisClient | null = null;
  private readonly channels = new Map<string, ChannelEntry>();

  constructor(private readonly conn: RedisConnection) {}

  // A channel is not a key (cluster PUBLISH reaches every node); its route key is.
  private channel(name: string): string {
    return `${this.conn.namespace}:ps:${name}`;
  }

  /** A key in the slot that publishes of `name` are routed by (publish-1.lua). */
  private channelRoute(name: string): string {
    return this.conn.key(`ps:${name}`);
  }

  async publish(channel: string, message: string): Promise<void> {
    checkNonEmpty("channel", channel);
    checkString("message", message);
    await this.conn.client.hotPublish(this.channelRoute(channel), this.channel(channel), message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    checkNonEmpty("channel", channel);
    const full = this.channel(channel);
    const sub: Subscription = { handler };
    let entry = this.channels.get(full);
    if (!entry) {
      const created: ChannelEntry = { subs: new Set(), ready: this.subscriberConnection().subscribe(full) };
      this.channels.set(full, created);
      entry = created;
    }
    entry.subs.add(sub);
    try {
      await entry.ready;
    } catch (err) {
      entry.subs.delete(sub);
      if (this.channels.get(full) === entry) this.channels.delete(full);
      throw err;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.channels.get(full);
      if (!current || !current.subs.delete(sub) || current.subs.size > 0) return;
      this.channels.delete(full);
      // A later subscribe to the same channel goes on the same connection
      // after this UNSUBSCRIBE, so Redis ends up subscribed.
      await this.subscriber?.unsubscribe(full);
    };
  }

  private subscriberConnection(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const conn = this.conn.newSubscriber();
    conn.on("error", (err: Error) => this.conn.onConnectionError(err, "subscriber"));
    conn.on("message", (channel: string, message: string) => this.deliver(channel, message));
    this.subscriber = conn;
    return conn;
  }

  private deliver(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const sub of [...entry.subs]) deliverSafely(channel, sub.handler, message);
  }

  /** Ends every subscription and closes the subscriber connection. */
  async close(): Promise<void> {
    this.channels.clear();
    const sub = this.subscriber;
    this.subscriber = null;
    await sub?.quit();
  }
}
