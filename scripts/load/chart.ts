// Renders throughput and p99 latency against concurrency from the JSON results
// under bench-results/ into one SVG (two panels, log scales): a line per
// ceiling (ceilings.ts) and per gift-burst profile (gift-burst.ts), per label
// ("before", "after", …). Several runs of one point: their median.
//
//   bun run scripts/load/chart.ts [--out docs/benchmarks.svg] [--label before] [files...]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RESULTS_DIR } from "./report.ts";

const { values, positionals } = parseArgs({
  options: { out: { type: "string", default: "docs/benchmarks.svg" }, label: { type: "string", multiple: true } },
  allowPositionals: true,
});
const files = positionals.length > 0 ? positionals : readdirSync(RESULTS_DIR).filter((f) => f.endsWith(".json")).map((f) => join(RESULTS_DIR, f));

interface Point {
  x: number;
  rps: number;
  p99Ms: number;
}
const series = new Map<string, Map<number, Point[]>>();
const add = (name: string, p: Point) => {
  const s = series.get(name) ?? new Map<number, Point[]>();
  s.set(p.x, [...(s.get(p.x) ?? []), p]);
  series.set(name, s);
};

for (const file of files) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  if (values.label && !values.label.includes(r.label)) continue;
  const tag = r.label ? `${r.label}: ` : "";
  if (r.params?.smoke) continue;
  if (r.script === "ceilings") {
    for (const h of r.http) add(`${tag}${h.target}`, { x: h.connections, rps: h.rps, p99Ms: h.p99Ms });
  } else if (r.script === "gift-burst" && r.correctness?.ok) {
    add(`${tag}gift send, ${r.profile}`, { x: r.params.connections, rps: r.admission.rps, p99Ms: r.admission.p99Ms });
  }
}
if (series.size === 0) {
  console.error("no ceilings or gift-burst results to chart");
  process.exit(1);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines = [...series.entries()].map(([name, pts]) => ({
  name,
  points: [...pts.entries()].sort((a, b) => a[0] - b[0]).map(([x, ps]) => ({ x, rps: median(ps.map((p) => p.rps)), p99Ms: median(ps.map((p) => p.p99Ms)) })),
}));

const W = 460;
const H = 300;
const M = { l: 60, r: 15, t: 30, b: 40 };
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const log = Math.log10;
const allX = lines.flatMap((l) => l.points.map((p) => p.x));
const [x0, x1] = [Math.min(...allX), Math.max(...allX)];

function panel(ox: number, title: string, unit: string, pick: (p: Point) => number): string {
  const ys = lines.flatMap((l) => l.points.map(pick)).filter((v) => v > 0);
  const y0 = 10 ** Math.floor(log(Math.min(...ys)));
  const y1 = 10 ** Math.ceil(log(Math.max(...ys)));
  const sx = (x: number) => ox + M.l + (x1 === x0 ? 0.5 : (log(x) - log(x0)) / (log(x1) - log(x0))) * (W - M.l - M.r);
  const sy = (y: number) => M.t + (1 - (log(Math.max(y, y0)) - log(y0)) / (log(y1) - log(y0))) * (H - M.t - M.b);
  const out = [`<text x="${ox + W / 2}" y="18" text-anchor="middle" font-weight="bold">${title}</text>`];
  for (let e = log(y0); e <= log(y1); e++) {
    const y = sy(10 ** e).toFixed(1);
    out.push(`<line x1="${ox + M.l}" x2="${ox + W - M.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.l - 5}" y="${Number(y) + 4}" text-anchor="end">${(10 ** e).toLocaleString("en")}</text>`);
  }
  for (const x of [...new Set(allX)]) {
    out.push(`<text x="${sx(x).toFixed(1)}" y="${H - M.b + 15}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<text x="${ox + (W + M.l) / 2}" y="${H - 5}" text-anchor="middle">connections</text>`);
  out.push(`<text x="${ox + 12}" y="${H / 2}" transform="rotate(-90 ${ox + 12} ${H / 2})" text-anchor="middle">${unit}</text>`);
  lines.forEach((l, i) => {
    const pts = l.points.map((p) => `${sx(p.x).toFixed(1)},${sy(pick(p)).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${COLORS[i % COLORS.length]}"/>`);
  });
  return out.join("\n");
}

const legend = lines.map((l, i) => `<rect x="${M.l + (i % 3) * 300}" y="${H + 10 + Math.floor(i / 3) * 18}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${M.l + (i % 3) * 300 + 18}" y="${H + 20 + Math.floor(i / 3) * 18}">${l.name}</text>`);
const height = H + 20 + Math.ceil(lines.length / 3) * 18;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panel(0, "Throughput (req/s, log)", "req/s", (p) => p.rps)}
${panel(W, "p99 latency (ms, log)", "ms", (p) => p.p99Ms)}
${legend.join("\n")}
</svg>
`;
writeFileSync(values.out!, svg);
console.log(`${lines.length} series → ${values.out}`);
