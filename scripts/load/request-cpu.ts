// CPU per request on the HTTP path, in process: a deployment built here
// (consumers and background workers off), its Hono app called directly with
// prepared Requests — no sockets, no load generator — and process.cpuUsage()
// read around N requests, C in flight at a time. What it isolates is what
// every request pays before and after the domain's own work: token check,
// routing, body parsing and validation, metrics, logging, the envelope.
//   bun run scripts/load/request-cpu.ts --profile embedded|cluster --kind send|wallet|order|gift|refused|hello [--n 20000] [--concurrency 16] [--fresh-tokens]
// --fresh-tokens signs a new token for every request (the token cache never hits).
// send: POST /api/gifts/send (202); wallet: GET /api/wallet (200);
// order: POST /api/shop/rooms/:roomId/orders, one buyer per request, stock n/10
// (the rest answer OUT_OF_STOCK, as in a flash sale);
// gift: GET /api/gifts/:giftId (200, public, from the catalogue cache) and
// refused: POST /api/gifts/send with a string receiverId (400 PARAM_ERROR) —
// requests that are almost nothing but the plumbing; hello: GET / of a
// Hono hello-world app (the ceilings' hello.ts) called the same way, for scale.
import { Hono } from "hono";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createDeps } from "../../src/deps.ts";
import { signToken } from "../../src/lib/auth.ts";
import { deploymentEnv, runCleanups } from "./deployment.ts";
import { freshUserBase, mapConcurrent } from "./ovation.ts";
import { intOption, parseCli, profileOption } from "./report.ts";

const USAGE = "bun run scripts/load/request-cpu.ts --profile embedded|cluster --kind send|wallet|order|gift|refused|hello [--n 20000] [--concurrency 16] [--fresh-tokens] [--mysql-url URL] [--redis-url URL]";
const opts = parseCli(USAGE, {
  profile: { type: "string", default: "embedded" },
  kind: { type: "string", default: "send" },
  n: { type: "string" },
  concurrency: { type: "string" },
  "fresh-tokens": { type: "boolean", default: false },
});
const profile = profileOption("profile", opts.profile, USAGE);
if (!["send", "wallet", "order", "gift", "refused", "hello"].includes(opts.kind)) {
  console.error(`--kind must be send, wallet, order, gift, refused or hello\n${USAGE}`);
  process.exit(2);
}
const n = intOption("n", opts.n ?? 20_000, 1);
const concurrency = intOption("concurrency", opts.concurrency ?? 16, 1);
const SECRET = "cpu-secret-0123456789abcdef";
const BASE = "http://ovation.local";
const ADDRESS = { name: "cpu buyer", phone: "13800000000", detail: "cpu street 1" };

const { env, cleanups } = await deploymentEnv(profile, { name: "cpu", mysqlUrl: opts["mysql-url"], redisUrl: opts["redis-url"] });
env.OVATION_JWT_SECRET = SECRET;
env.OVATION_PAY_SECRET = SECRET;
env.PORT = "0";
const deps = await createDeps(loadConfig(env), { outboxRelay: false, sandboxWorker: false, shopWorkers: false, giftRedrive: false });
await deps.start({ consumers: false });
cleanups.push(() => deps.close());
const app = createApp(deps);

function request(method: string, path: string, token?: string, body?: string): Request {
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    // As a client on the wire sends it (the body limit reads Content-Length).
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return new Request(BASE + path, { method, headers, body });
}
async function must<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await app.fetch(request(method, path, token, body === undefined ? undefined : JSON.stringify(body)));
  const json = (await res.json()) as { code: number; msg: string; data: T };
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status} ${json.code} ${json.msg}`);
  return json.data;
}

let nextUser = freshUserBase();
const freshUsers = (k: number) => Array.from({ length: k }, () => nextUser++);
const [adminId, anchorId] = freshUsers(2) as [number, number];
const adminToken = signToken(SECRET, { userId: adminId, role: "admin" });
const anchorToken = signToken(SECRET, { userId: anchorId, role: "anchor" });
const { roomId } = await must<{ roomId: number }>("POST", "/api/rooms", anchorToken, { title: "cpu room", type: 0 });

// Up to 1,000 users take turns (the send rate limit is per user and second).
const users = freshUsers(opts.kind === "order" ? n : Math.min(n, 1000));
let ttl = 3600;
/** A token for user `i`: the same one each time, or a new one (another exp) with --fresh-tokens. */
const tokenOf = (() => {
  const cached = new Map<number, string>();
  return (i: number): string => {
    if (opts["fresh-tokens"]) return signToken(SECRET, { userId: users[i]!, role: "viewer" }, ttl++);
    let t = cached.get(i);
    if (t === undefined) cached.set(i, (t = signToken(SECRET, { userId: users[i]!, role: "viewer" })));
    return t;
  };
})();

/** The k-th request of the run and the status it must answer. */
let make: (k: number) => { req: Request; expect: number[] };
/** What the measured requests are sent to. */
let target: { fetch(req: Request): Response | Promise<Response> } = app;
const GIFT_ID = 910_001;
if (["send", "gift", "refused"].includes(opts.kind!)) await must("POST", "/api/admin/gifts", adminToken, { giftId: GIFT_ID, giftName: "cpu gift", price: 1 });
if (opts.kind === "hello") {
  const hello = new Hono();
  hello.get("/", (c) => c.text("hello"));
  target = hello;
  make = () => ({ req: request("GET", "/"), expect: [200] });
} else if (opts.kind === "gift") {
  make = () => ({ req: request("GET", `/api/gifts/${GIFT_ID}`), expect: [200] });
} else if (opts.kind === "refused") {
  const body = JSON.stringify({ giftId: GIFT_ID, roomId, receiverId: String(anchorId) });
  make = (k) => ({ req: request("POST", "/api/gifts/send", tokenOf(k % users.length), body), expect: [400] });
} else if (opts.kind === "send") {
  await mapConcurrent(users, 32, (userId, i) => must("POST", "/api/admin/wallet/grant", adminToken, { userId, amount: n, requestId: `cpu-grant-${i}` }));
  const runId = `cpu${Date.now().toString(36)}`;
  make = (k) => ({
    req: request("POST", "/api/gifts/send", tokenOf(k % users.length), `{"giftId":${GIFT_ID},"roomId":${roomId},"receiverId":${anchorId},"requestId":"${runId}-${k}"}`),
    expect: [202],
  });
} else if (opts.kind === "wallet") {
  make = (k) => ({ req: request("GET", "/api/wallet", tokenOf(k % users.length)), expect: [200] });
} else {
  let parentId: number | null = null;
  for (const level of [1, 2, 3]) parentId = (await must<{ categoryId: number }>("POST", "/api/admin/categories", adminToken, { categoryName: `cpu ${level}`, level, parentId })).categoryId;
  const { skuId } = await must<{ skuId: number }>("POST", "/api/admin/skus", adminToken, { skuCode: `cpu-${Date.now()}`, name: "cpu sale", skuPrice: 100, categoryId: parentId, limitPerUser: 1 });
  await must("PUT", `/api/admin/skus/${skuId}/stock`, adminToken, { stockNum: Math.ceil(n / 10) });
  await must("PUT", `/api/admin/anchors/${anchorId}/skus`, adminToken, { skuIds: [skuId] });
  await must("POST", `/api/shop/anchors/${anchorId}/stock/preheat`, anchorToken);
  await mapConcurrent(users, 32, async (_, i) => must("POST", `/api/shop/rooms/${roomId}/cart/items`, tokenOf(i), { skuId, count: 1 }));
  const body = JSON.stringify({ address: ADDRESS });
  make = (k) => ({ req: request("POST", `/api/shop/rooms/${roomId}/orders`, tokenOf(k), body), expect: [201, 409] });
}

// Requests are built before the clock starts (signing fresh tokens is the client's work).
const warm = opts.kind === "order" ? 0 : Math.min(2000, n);
const prepared = Array.from({ length: warm + n }, (_, k) => make(k));
const statuses: Record<number, number> = {};
const run = async (from: number, to: number) => {
  let next = from;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const { req, expect } = prepared[next++]!;
        const res = await target.fetch(req);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (!expect.includes(res.status)) throw new Error(`${req.method} ${new URL(req.url).pathname} answered ${res.status}`);
      }
    }),
  );
};
await run(0, warm);
for (const s in statuses) delete statuses[s];
Bun.gc(true);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(warm, warm + n);
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
const usPerReq = (cpu.user + cpu.system) / n;
console.log(
  `${opts.profile} ${opts.kind}${opts["fresh-tokens"] ? " (fresh tokens)" : ""}: ${n} requests, ${concurrency} in flight: ` +
    `${usPerReq.toFixed(1)} µs CPU per request (user ${(cpu.user / n).toFixed(1)}, system ${(cpu.system / n).toFixed(1)}), ` +
    `${Math.round(n / (wallMs / 1000))} req/s in process, statuses ${JSON.stringify(statuses)}`,
);
await runCleanups(cleanups);
process.exit(0);
