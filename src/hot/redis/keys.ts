// Key and channel names of the Redis adapter. Every key starts with the
// namespace so tests and deployments can share one Redis; the part in {braces}
// is the Redis Cluster hash tag, so every key one script touches hashes to the
// same slot: a user's wallet and admissions all live under {u:<userId>}.
// The namespace itself never holds braces, or it would become the hash tag and
// put every key of a deployment in one slot.

const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface Keys {
  readonly namespace: string;
  wallet(userId: number): string;
  admission(userId: number, admissionId: string): string;
  lock(name: string): string;
  rateLimit(key: string): string;
  channel(name: string): string;
  /** A key in the slot that publishes of `name` are routed by (publish-1.lua). */
  channelRoute(name: string): string;
}

export function createKeys(namespace: string): Keys {
  if (!NAMESPACE.test(namespace)) {
    throw new RangeError(`hot store: namespace must be 1-64 letters, digits, _ . or -, got "${namespace}"`);
  }
  return {
    namespace,
    wallet: (userId) => `${namespace}:{u:${userId}}:wallet`,
    admission: (userId, admissionId) => `${namespace}:{u:${userId}}:adm:${admissionId}`,
    lock: (name) => `${namespace}:{lock:${name}}`,
    rateLimit: (key) => `${namespace}:{rl:${key}}`,
    // A channel is not a key (cluster PUBLISH reaches every node); its route key is.
    channel: (name) => `${namespace}:ps:${name}`,
    channelRoute: (name) => `${namespace}:{ps:${name}}`,
  };
}
