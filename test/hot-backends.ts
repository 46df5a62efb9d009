// Every hot-store backend a contract suite runs on: the in-process adapters, a
// standalone Redis and a Redis Cluster (OVATION_TEST_REDIS_CLUSTER). Each
// concern's suite (src/hot/<concern>/<concern>.contract.test.ts) calls
// describeHotContract once and writes its cases against `ctx.hot()`, so every
// case runs on every backend with the same assertions. A backend that cannot
// run here shows as one skipped line with its reason; with
// OVATION_REQUIRE_SERVICES=1 it fails instead.
import { afterAll, beforeAll, describe, test } from "bun:test";
import { Cluster, Redis } from "ioredis";
import { createLocalHot, createRedisHot, type Hot, type HotOptions } from "../src/hot/index.ts";
import { deleteKeys, services, uniqueName } from "./services.ts";

export type BackendName = "local" | "redis" | "redis-cluster";

export interface HotBackend {
  name: BackendName;
  /** Why this backend cannot run here, or null. */
  skip: string | null;
  /** A new Hot on this backend under `namespace` (the in-process one ignores it: it is its own namespace). */
  make(namespace: string, options?: HotOptions): Promise<Hot>;
  /** A plain client on the same Redis, to look at keys and clean up. */
  raw?(): Redis | Cluster;
}

const hostPort = (hp: string) => ({ host: hp.slice(0, hp.lastIndexOf(":")), port: Number(hp.slice(hp.lastIndexOf(":") + 1)) });

export function hotBackends(): HotBackend[] {
  const redisUrl = services().redisUrl;
  const clusterNodes = process.env.OVATION_TEST_REDIS_CLUSTER?.split(",").map((s) => s.trim()).filter(Boolean);
  return [
    { name: "local", skip: null, make: async (_namespace, options) => createLocalHot(options) },
    {
      name: "redis",
      skip: redisUrl ? null : `no Redis for this run (${services().missing.join("; ") || "OVATION_TEST_REDIS_URL unset"})`,
      make: (namespace, options) => createRedisHot({ url: redisUrl, namespace, ...options }),
      raw: () => new Redis(redisUrl!),
    },
    {
      name: "redis-cluster",
      skip: clusterNodes?.length ? null : "OVATION_TEST_REDIS_CLUSTER is not set (start one with scripts/redis-cluster.sh start)",
      make: (namespace, options) => createRedisHot({ clusterNodes, namespace, ...options }),
      raw: () => new Cluster(clusterNodes!.map(hostPort)),
    },
  ];
}

export interface HotContractContext {
  backend: HotBackend;
  /** This suite's key namespace on this backend. */
  namespace: string;
  /** The Hot under test (opened before the first case, closed after the last). */
  hot(): Hot;
  /** Another Hot on the same backend and namespace with other options; the case closes it. */
  open(options: HotOptions): Promise<Hot>;
  /** The plain Redis client (Redis backends only). */
  raw(): Redis | Cluster | undefined;
  /** A user id no other case of this suite uses, so cases never see each other's state. */
  newUser(): number;
}

/** Registers `title: <backend>` for every backend, running `cases` in each. */
export function describeHotContract(title: string, cases: (ctx: HotContractContext) => void): void {
  describe.each(hotBackends())(`${title}: $name`, (backend) => {
    if (backend.skip !== null && process.env.OVATION_REQUIRE_SERVICES === "1") {
      test("the contract suite", () => {
        throw new Error(`OVATION_REQUIRE_SERVICES=1 but ${backend.skip}`);
      });
      return;
    }
    describe.skipIf(backend.skip !== null)(backend.skip ? `skipped: ${backend.skip}` : "operations", () => {
      // A skipped backend shows as one line with its reason, not one per test.
      if (backend.skip !== null) {
        test("the contract suite", () => undefined);
        return;
      }
      const namespace = uniqueName("hot");
      let hot: Hot | undefined;
      let raw: Redis | Cluster | undefined;
      let lastUser = 0;

      beforeAll(async () => {
        hot = await backend.make(namespace);
        raw = backend.raw?.();
      });

      afterAll(async () => {
        await hot?.close();
        if (raw) {
          await deleteKeys(raw, `${namespace}:*`);
          await raw.quit();
        }
      });

      cases({
        backend,
        namespace,
        hot: () => hot!,
        open: (options) => backend.make(namespace, options),
        raw: () => raw,
        newUser: () => ++lastUser,
      });
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Waits until `check` holds (a synchronous look at what handlers collected). */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}
