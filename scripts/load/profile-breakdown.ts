// Where a server's CPU went during a gift burst, from the .cpuprofile a spawned
// server writes under OVATION_LOAD_CPU_PROF=<dir> (scripts/load/deployment.ts):
// share of samples by category (a sample counts for every category on its
// stack) and by the innermost frame in our own src/. Only the burst window is
// read: from the first sample in the gift send path after the setup grants
// (wallet ensureAccounts/addBalances/findTrade) to the last one.
//   bun run scripts/load/profile-breakdown.ts <file.cpuprofile> [top=30]
export {};
const p = JSON.parse(await Bun.file(process.argv[2]!).text());
const byId = new Map<number, any>(); const parent = new Map<number, number>();
for (const n of p.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id); }
const cats: [string, RegExp][] = [
  ["auth (jwt)", /src\/lib\/auth|jwt/],
  ["metrics", /src\/lib\/metrics/],
  ["logging", /src\/lib\/log/],
  ["validation/openapi (zod, route.ts)", /zod|src\/lib\/route|openapi/],
  ["SQL compile (kysely, not waiting on the driver)", /kysely/],
  ["SQLite execution (bun:sqlite run/all/get)", /^ (run|all|get|values)$/],
  ["sqlite driver", /src\/store\/sqlite/],
  ["redis client", /ioredis|redis/],
  ["kafka client", /kafkajs/],
  ["hono framework", /hono\/dist/],
  ["gift send path", /src\/gifts\/send|src\/gifts\/catalogue|src\/rooms/],
  ["event log / outbox / consumer", /src\/(outbox|events|eventlog|log\/|consumer)|src\/gifts\/consum/],
  ["gc", /\(garbage collector\)/],
  ["idle", /\(idle\)|\(program\)/],
];
const counts = new Map<string, number>(); let total = 0;
let samples: number[] = p.samples;
// Window: the burst = first..last sample whose stack is in the gift send path.
const times: number[] = []; { let t = p.startTime; for (const d of p.timeDeltas) { t += d; times.push(t); } }
const inSend = (id: number) => { let cur: number | undefined = id; while (cur !== undefined) { const u = byId.get(cur).callFrame.url; if (/src\/gifts\/(send|routes)/.test(u)) return true; cur = parent.get(cur); } return false; };
const inSetup = (id: number) => { let cur: number | undefined = id; while (cur !== undefined) { const cf = byId.get(cur).callFrame; if (/src\/wallet\/repo/.test(cf.url) && /ensureAccount|findTrade|addBalances/.test(cf.functionName)) return true; cur = parent.get(cur); } return false; };
let lo = -1, hi = -1, lastSetup = -1; samples.forEach((s, i) => { if (inSetup(s)) lastSetup = i; if (inSend(s)) { if (lo < 0) lo = i; hi = i; } });
// The setup grants (ensureAccounts/addBalances/findTrade) end before the burst: start after the last one.
lo = Math.max(lo, lastSetup + 1);
console.log(`burst window ${((times[hi]! - times[lo]!) / 1e6).toFixed(2)} s, ${hi - lo + 1} samples of ${((p.endTime - p.startTime) / 1e6).toFixed(2)} s`);
samples = samples.slice(lo, hi + 1);
const memo = new Map<number, string[]>();
function catsOf(id: number): string[] {
  if (memo.has(id)) return memo.get(id)!;
  const set = new Set<string>(); let cur: number | undefined = id;
  while (cur !== undefined) { const cf = byId.get(cur).callFrame; const s = `${cf.url} ${cf.functionName}`;
    for (const [name, re] of cats) if (re.test(s)) set.add(name); cur = parent.get(cur); }
  const r = [...set]; memo.set(id, r); return r;
}
for (const s of samples) { total++; let cs = catsOf(s); if (cs.includes("SQLite execution (bun:sqlite run/all/get)") || cs.includes("sqlite driver")) cs = cs.filter((c) => !c.startsWith("SQL compile")); for (const c of cs) counts.set(c, (counts.get(c) ?? 0) + 1); }
const dt = (p.endTime - p.startTime) / 1e6;
console.log(`duration ${dt.toFixed(2)} s, samples ${total}`);
for (const [c, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${(100 * n / total).toFixed(1).padStart(5)}%  ${c}`);
// Owner: the innermost frame in our own src/ (file:function), or the innermost library.
const own = new Map<string, number>();
for (const s of samples) {
  let cur: number | undefined = s; let owner = "";
  while (cur !== undefined) { const cf = byId.get(cur).callFrame; const m = /\/(src\/.*)$/.exec(cf.url);
    if (m) { owner = `${m[1]}:${cf.functionName || "(anon)"}`; break; } cur = parent.get(cur); }
  if (!owner) { const cf = byId.get(s).callFrame; const m = /node_modules\/([^/]+)/.exec(cf.url); owner = m ? `lib ${m[1]} (no src frame)` : `native ${cf.functionName} (no src frame)`; }
  own.set(owner, (own.get(owner) ?? 0) + 1);
}
console.log("\nby innermost own frame:");
for (const [c, n] of [...own].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 30))) console.log(`${(100 * n / total).toFixed(1).padStart(5)}%  ${c}`);
