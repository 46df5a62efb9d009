// A small Prometheus registry: counters and histograms with labels, rendered
// as the text exposition format on GET /metrics. Process-local: in a pool each
// process is scraped on its own (Prometheus sums across instances).
type Labels = Record<string, string | number>;

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",");
}

/**
 * The rendered label set, memoised by its raw names and values: every request
 * observes two metrics, and sorting and escaping their labels each time cost
 * more than the observation. Label values are few (routes, methods, statuses,
 * outcomes); the memo is emptied should it ever grow past MAX_LABEL_SETS.
 */
const rendered = new Map<string, string>();
const MAX_LABEL_SETS = 10_000;
function labelKey(labels: Labels): string {
  let raw = "";
  for (const k in labels) raw += `${k}\u0000${labels[k]}\u0001`;
  let key = rendered.get(raw);
  if (key === undefined) {
    if (rendered.size >= MAX_LABEL_SETS) rendered.clear();
    rendered.set(raw, (key = renderLabels(labels)));
  }
  return key;
}

export class Counter {
  private values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

export class Gauge {
  private values = new Map<string, () => number>();
  constructor(readonly name: string, readonly help: string) {}
  /** Registers a function read at scrape time. */
  track(labels: Labels, read: () => number): void {
    this.values.set(labelKey(labels), read);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [k, read] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${read()}`);
    return lines.join("\n");
  }
}

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Histogram {
  private series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets = DEFAULT_BUCKETS) {}
  observe(labels: Labels, seconds: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) s.counts[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export function createMetrics() {
  return {
    httpRequests: new Counter("ovation_http_requests_total", "HTTP requests by route, method and status"),
    httpDuration: new Histogram("ovation_http_request_duration_seconds", "HTTP request latency by route and method"),
    giftSends: new Counter("ovation_gift_sends_total", "Gift sends by outcome (accepted, rejected reasons, success, failed)"),
    orders: new Counter("ovation_orders_total", "Orders by kind and outcome"),
    consumerLag: new Gauge("ovation_consumer_lag", "Messages published but not yet committed, by topic and group"),
    wsConnections: new Gauge("ovation_ws_connections", "Open WebSocket connections in this process"),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function renderMetrics(m: Metrics): string {
  return Object.values(m).map((x) => x.render()).join("\n") + "\n";
}
