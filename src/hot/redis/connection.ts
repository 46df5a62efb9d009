// The Redis connection every hot-store concern shares: standalone or Redis
// Cluster, one auto-pipelined command connection, and the namespace every key
// and channel starts with so tests and deployments can share one Redis.
//
// Key layout: `<namespace>:{<tag>}<rest>`. The part in {braces} is the Redis
// Cluster hash tag, so every key one script touches hashes to the same slot
// (a user's wallet and admissions all live under {u:<userId>}). The namespace
// itself never holds braces, or it would become the hash tag and put every key
// of a deployment in one slot.
//
// Fail fast (G3: a request answers 503 within ~2 s while Redis is down and is
// never executed later). The command connection has NO offline queue (a
// command while disconnected is refused at once, not queued for a Redis that
// may return after the client gave up), does not re-send commands in flight
// when the connection dropped, gives up on a command after
// COMMAND_TIMEOUT_MS, and reconnects in the background at a bounded pace.
// A script whose caller has given up is refused by Redis itself when it
// finally runs (admitDebit's deadline, see coins/scripts/admitDebit-4.lua).
import { Cluster, Redis, type RedisOptions as IORedisOptions } from "ioredis";

export type RedisClient = Redis | Cluster;
export type ConnectionRole = "commands" | "subscriber";

export interface RedisOptions {
  /** A standalone Redis, e.g. redis://127.0.0.1:6379. */
  url?: string;
  /** Redis Cluster seed nodes as host:port; wins over `url`. */
  clusterNodes?: string[];
  /** Prefix of every key and channel. */
  namespace: string;
  /** Told of connection errors after start-up (ioredis reconnects by itself meanwhile). */
  onConnectionError?: (err: Error, connection: ConnectionRole) => void;
}

export interface RedisConnection {
  readonly client: RedisClient;
  readonly namespace: string;
  /** `<namespace>:{<tag>}<rest>`: a key in the slot of `tag`. */
  key(tag: string, rest?: string): string;
  /** A new connection for SUBSCRIBE (a subscribed connection can run nothing else). */
  newSubscriber(): RedisClient;
  readonly onConnectionError: (err: Error, connection: ConnectionRole) => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

function checkNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) {
    throw new RangeError(`hot store: namespace must be 1-64 letters, digits, _ . or -, got "${namespace}"`);
  }
}

/** `<namespace>:{<tag>}<rest>`: the key builder of a namespace. */
export function namespacedKey(namespace: string): (tag: string, rest?: string) => string {
  checkNamespace(namespace);
  return (tag, rest = "") => `${namespace}:{${tag}}${rest}`;
}

function parseNode(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RangeError(`hot store: cluster node "${hostPort}" is not host:port`);
  }
  return { host: hostPort.slice(0, i), port };
}

/** A command Redis has not answered by then is failed (the request answers 503). */
export const COMMAND_TIMEOUT_MS = 1000;
/** Opening a TCP connection to a node gives up after this. */
const CONNECT_TIMEOUT_MS = 1000;
/** Reconnect attempts back off to at most this (ms), forever: Redis may come back. */
const MAX_RECONNECT_DELAY_MS = 200;

const reconnectDelay = (attempt: number) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS);

/** Per-connection options by role; exported for the connection tests. */
export function connectionOptions(role: ConnectionRole): IORedisOptions {
  const common: IORedisOptions = { connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: reconnectDelay };
  if (role === "subscriber") {
    // Subscriptions are not requests: let SUBSCRIBE wait for the connection
    // and re-subscribe after a reconnect (ioredis's autoResubscribe).
    return common;
  }
  return {
    ...common,
    // Pipelining batches commands; a subscriber connection only (un)subscribes.
    enableAutoPipelining: true,
    // Opened by hand so start-up fails at once when Redis is down.
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
  };
}

function connect(opts: RedisOptions, role: ConnectionRole): RedisClient {
  const options = connectionOptions(role);
  if (opts.clusterNodes && opts.clusterNodes.length > 0) {
    const { enableAutoPipelining, lazyConnect, enableOfflineQueue, ...redisOptions } = options;
    return new Cluster(opts.clusterNodes.map(parseNode), {
      enableAutoPipelining,
      lazyConnect,
      enableOfflineQueue,
      redisOptions,
      clusterRetryStrategy: reconnectDelay,
      maxRedirections: 4,
    });
  }
  if (opts.url) return new Redis(opts.url, options);
  throw new RangeError("hot store: a Redis connection needs url or clusterNodes");
}

/**
 * Connects (failing when Redis is unreachable). `defineScripts` registers the
 * concerns' Lua scripts before the first command, so none is sent unknown.
 */
export async function openRedis(opts: RedisOptions, defineScripts: (client: RedisClient) => void): Promise<RedisConnection> {
  const { namespace } = opts;
  const key = namespacedKey(namespace);
  const client = connect(opts, "commands");
  defineScripts(client);
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
  return {
    client,
    namespace,
    key,
    newSubscriber: () => connect(opts, "subscriber"),
    onConnectionError,
    async ping() {
      await client.ping();
    },
    async close() {
      await client.quit();
    },
  };
}
