// The cluster hot store: Redis (standalone or Redis Cluster) with one Lua
// script per multi-step operation, so each operation is atomic and one round
// trip. Commands are auto-pipelined. Pub/sub uses its own connection, opened
// on the first subscribe: a subscribed connection can run nothing else.
import { randomUUID } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import type { AdmissionState, Admission, AdmitResult, HotStore, LoadResult, RateLimitResult, Unsubscribe } from "../port.ts";
import { WALLET_MARKER_TTL_SEC, checkAdmit, checkNonEmpty, checkNonNegativeInt, checkPositiveInt, checkString } from "../shared.ts";
import { createKeys, type Keys } from "./keys.ts";
import { HotCode, defineHotScripts, unexpectedReply } from "./scripts.ts";

type Client = Redis | Cluster;

export interface RedisHotStoreOptions {
  /** A standalone Redis, e.g. redis://127.0.0.1:6379. */
  url?: string;
  /** Redis Cluster seed nodes as host:port; wins over `url`. */
  clusterNodes?: string[];
  /** Prefix of every key and channel. */
  namespace: string;
  /** Told of connection errors after start-up (ioredis reconnects by itself meanwhile). */
  onConnectionError?: (err: Error, connection: "commands" | "subscriber") => void;
}

const STATES: readonly AdmissionState[] = ["pending", "settled", "refunded"];

function asState(value: unknown, script: string): AdmissionState {
  if (STATES.includes(value as AdmissionState)) return value as AdmissionState;
  throw unexpectedReply(script, value);
}

function parseNode(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RangeError(`hot store: cluster node "${hostPort}" is not host:port`);
  }
  return { host: hostPort.slice(0, i), port };
}

function connect(opts: RedisHotStoreOptions, role: "commands" | "subscriber"): Client {
  // Pipelining batches commands; a subscriber connection only (un)subscribes.
  const enableAutoPipelining = role === "commands";
  // The command connection is opened by hand so start-up fails at once when
  // Redis is down, instead of queueing commands through every retry.
  const lazyConnect = role === "commands";
  if (opts.clusterNodes && opts.clusterNodes.length > 0) {
    return new Cluster(opts.clusterNodes.map(parseNode), { enableAutoPipelining, lazyConnect });
  }
  if (opts.url) return new Redis(opts.url, { enableAutoPipelining, lazyConnect });
  throw new RangeError("hot store: createRedisHotStore needs url or clusterNodes");
}

interface Subscription {
  handler: (message: string) => void;
}

interface ChannelEntry {
  subs: Set<Subscription>;
  /** Resolves once Redis confirmed the SUBSCRIBE. */
  ready: Promise<unknown>;
}

class RedisHotStore implements HotStore {
  readonly kind = "redis" as const;
  private subscriber: Client | null = null;
  private readonly channels = new Map<string, ChannelEntry>();

  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
    private readonly newSubscriber: () => Client,
    private readonly onConnectionError: (err: Error, connection: "commands" | "subscriber") => void,
  ) {}

  // ---- coins ----

  async admitDebit(input: { userId: number; admissionId: string; amount: number; fingerprint: string; ttlSec: number }): Promise<AdmitResult> {
    checkAdmit(input);
    const reply = await this.client.hotAdmitDebit(
      this.keys.wallet(input.userId),
      this.keys.admission(input.userId, input.admissionId),
      String(input.amount),
      input.fingerprint,
      String(input.ttlSec),
    );
    const [code, value, known] = reply;
    switch (code) {
      case HotCode.Ok:
        return { kind: "admitted", available: Number(value) };
      case HotCode.Insufficient:
        return { kind: "insufficient", available: Number(value), knownVersion: Number(known) };
      case HotCode.Duplicate:
        return { kind: "duplicate", state: asState(value, "admitDebit") };
      case HotCode.Conflict:
        return { kind: "conflict" };
      case HotCode.Unloaded:
        return { kind: "unloaded" };
      default:
        throw unexpectedReply("admitDebit", reply);
    }
  }

  async settleDebit(userId: number, admissionId: string): Promise<boolean> {
    checkPositiveInt("userId", userId);
    checkNonEmpty("admissionId", admissionId);
    const code = await this.client.hotSettleDebit(this.keys.admission(userId, admissionId));
    if (code === HotCode.Ok) return true;
    if (code === HotCode.NotPending) return false;
    throw unexpectedReply("settleDebit", code);
  }

  async refundDebit(userId: number, admissionId: string): Promise<boolean> {
    checkPositiveInt("userId", userId);
    checkNonEmpty("admissionId", admissionId);
    const code = await this.client.hotRefundDebit(this.keys.wallet(userId), this.keys.admission(userId, admissionId));
    if (code === HotCode.Ok || code === HotCode.RefundAbsorbed) return true;
    if (code === HotCode.NotPending) return false;
    throw unexpectedReply("refundDebit", code);
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    checkPositiveInt("userId", userId);
    checkNonEmpty("admissionId", admissionId);
    const [state, amount, fingerprint] = await this.client.hmget(this.keys.admission(userId, admissionId), "s", "m", "f");
    if (state == null) return null;
    return { state: asState(state, "getAdmission"), amount: Number(amount), fingerprint: fingerprint ?? "" };
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    checkPositiveInt("userId", userId);
    checkNonNegativeInt("balance", balance);
    checkNonNegativeInt("version", version);
    const code = await this.client.hotLoadAvailable(this.keys.wallet(userId), String(balance), String(version), randomUUID());
    switch (code) {
      case HotCode.Ok:
        return "loaded";
      case HotCode.Present:
        return "present";
      case HotCode.Stale:
        return "stale";
      default:
        throw unexpectedReply("loadAvailable", code);
    }
  }

  async creditAvailable(userId: number, amount: number, version: number): Promise<void> {
    checkPositiveInt("userId", userId);
    checkPositiveInt("amount", amount);
    checkNonNegativeInt("version", version);
    const code = await this.client.hotCreditAvailable(this.keys.wallet(userId), String(amount), String(version), String(WALLET_MARKER_TTL_SEC));
    if (code !== HotCode.Ok && code !== HotCode.AlreadyCounted && code !== HotCode.Unloaded) {
      throw unexpectedReply("creditAvailable", code);
    }
  }

  async getAvailable(userId: number): Promise<number | null> {
    checkPositiveInt("userId", userId);
    const a = await this.client.hget(this.keys.wallet(userId), "a");
    return a == null ? null : Number(a);
  }

  async dropWallet(userId: number): Promise<void> {
    checkPositiveInt("userId", userId);
    const code = await this.client.hotDropWallet(this.keys.wallet(userId), String(WALLET_MARKER_TTL_SEC));
    if (code !== HotCode.Ok && code !== 0) throw unexpectedReply("dropWallet", code);
  }

  // ---- locks ----

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    checkNonEmpty("lock name", name);
    checkPositiveInt("ttlMs", ttlMs);
    const token = randomUUID();
    const ok = await this.client.set(this.keys.lock(name), token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : null;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    checkNonEmpty("lock name", name);
    checkString("token", token);
    const code = await this.client.hotReleaseLock(this.keys.lock(name), token);
    if (code === HotCode.Ok) return true;
    if (code === HotCode.NotOwner) return false;
    throw unexpectedReply("releaseLock", code);
  }

  // ---- rate limits ----

  async hitRateLimit(key: string, limit: number, windowSec: number): Promise<RateLimitResult> {
    checkNonEmpty("rate limit key", key);
    checkNonNegativeInt("limit", limit);
    checkPositiveInt("windowSec", windowSec);
    const reply = await this.client.hotHitRateLimit(this.keys.rateLimit(key), String(windowSec * 1000));
    const [count, pttl] = reply;
    if (count === HotCode.BadArgument || pttl === undefined) throw unexpectedReply("hitRateLimit", reply);
    return { allowed: count <= limit, count, retryAfterSec: Math.max(1, Math.ceil(pttl / 1000)) };
  }

  // ---- publish/subscribe ----

  async publish(channel: string, message: string): Promise<void> {
    checkNonEmpty("channel", channel);
    checkString("message", message);
    // Through a script keyed by the channel, so a cluster keeps its messages in order.
    await this.client.hotPublish(this.keys.channelRoute(channel), this.keys.channel(channel), message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    checkNonEmpty("channel", channel);
    const full = this.keys.channel(channel);
    const sub: Subscription = { handler };
    let entry = this.channels.get(full);
    if (!entry) {
      // One Redis subscription per channel, fanned out to the local handlers.
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

  private subscriberConnection(): Client {
    if (this.subscriber) return this.subscriber;
    const conn = this.newSubscriber();
    conn.on("error", (err: Error) => this.onConnectionError(err, "subscriber"));
    conn.on("message", (channel: string, message: string) => this.deliver(channel, message));
    this.subscriber = conn;
    return conn;
  }

  private deliver(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const sub of [...entry.subs]) {
      // One failing handler must not keep the message from the others.
      try {
        sub.handler(message);
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "hot store subscriber threw", channel, err: String(err) }));
      }
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.channels.clear();
    const sub = this.subscriber;
    this.subscriber = null;
    await Promise.all([this.client.quit(), sub?.quit()]);
  }
}

/** Connects (failing when Redis is unreachable) and registers the scripts. */
export async function createRedisHotStore(opts: RedisHotStoreOptions): Promise<HotStore> {
  const keys = createKeys(opts.namespace);
  const client = connect(opts, "commands");
  defineHotScripts(client);
  // Keep the reason a connection failed (ioredis rejects connect() with a bare
  // "Connection is closed"); also keeps ioredis from printing it as unhandled.
  let reason: Error | undefined;
  const onError = (err: Error) => (reason = err);
  client.on("error", onError);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    // The host only: a URL may carry a password.
    const where = opts.clusterNodes?.length ? opts.clusterNodes.join(",") : new URL(opts.url!).host;
    throw new Error(`hot store: cannot reach Redis at ${where}: ${(reason ?? (err as Error)).message}`, { cause: err });
  } finally {
    client.off("error", onError);
  }
  const onConnectionError = opts.onConnectionError ?? (() => undefined);
  client.on("error", (err: Error) => onConnectionError(err, "commands"));
  return new RedisHotStore(client, keys, () => connect(opts, "subscriber"), onConnectionError);
}
