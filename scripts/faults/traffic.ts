// The client side of a fault scenario: gift sends through the public API,
// every answer recorded by requestId, so the quiescent check can hold each one
// to its outcome. Bursts run with a fixed number of sends in flight; a fault
// fires when a given share of the burst has been answered, while the rest is
// still in flight, and the burst holds new sends until the fault's step ends.
import { signToken, type Role } from "../../src/lib/auth.ts";
import { ErrorCodes } from "../../src/lib/errors.ts";
import { DEMO } from "../../src/ops/seed.ts";

/** The demo gift that costs 1 coin, so the sends never run a wallet dry. */
const GIFT_ID = 24;
const COINS_PER_USER = 1_000_000;
const FIRST_USER_ID = 3001;
const ADMIN_ID = 1;

/** What the client saw: an HTTP status, or no answer at all. */
export type Answer = number | "network" | "timeout";

export interface SendRecord {
  requestId: string;
  userId: number;
  /** The last answer (after a retry, the retry's). */
  answer: Answer;
  /** ms from request to answer (or to giving up). */
  ms: number;
  /** Every answer this send got, first one first. */
  history: Answer[];
}

export interface Fault {
  /** Share of the burst answered when the fault fires, 0 < at < 1. */
  at: number;
  name: string;
  run(): Promise<void>;
}

export class Traffic {
  readonly sends = new Map<string, SendRecord>();
  readonly users: number[];
  roomId = 0;
  private seq = 0;
  private tokens = new Map<number, string>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly jwtSecret: string,
    private readonly runId: string,
    userCount: number,
  ) {
    this.users = Array.from({ length: userCount }, (_, i) => FIRST_USER_ID + i);
  }

  private async token(userId: number, role: Role): Promise<string> {
    const key = role === "admin" ? -userId : userId;
    let t = this.tokens.get(key);
    if (!t) {
      t = await signToken(this.jwtSecret, { userId, role });
      this.tokens.set(key, t);
    }
    return t;
  }

  private async call(method: string, path: string, userId: number, role: Role, body?: unknown): Promise<{ status: number; json: { code: number; msg: string; data: any } }> {
    const res = await fetch(this.baseUrl() + path, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${await this.token(userId, role)}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, json: (await res.json()) as { code: number; msg: string; data: any } };
  }

  /** Finds the demo room and gives every user its coins (an admin grant, once per run). */
  async setUp(): Promise<void> {
    const rooms = await this.call("GET", "/api/rooms", DEMO.viewerId, "viewer");
    const room = (rooms.json.data.items as { roomId: number; anchorId: number }[]).find((r) => r.anchorId === DEMO.anchorId);
    if (!room) throw new Error(`no living demo room (answer: ${JSON.stringify(rooms.json)})`);
    this.roomId = room.roomId;
    for (const userId of this.users) {
      const r = await this.call("POST", "/api/admin/wallet/grant", ADMIN_ID, "admin", { userId, amount: COINS_PER_USER, requestId: `${this.runId}-grant-${userId}` });
      if (r.status !== 200) throw new Error(`grant to ${userId} answered ${r.status} ${JSON.stringify(r.json)}`);
    }
  }

  /** One send; `requestId` given = a client retry of that send. */
  async send(timeoutMs: number, retryOf?: SendRecord): Promise<SendRecord> {
    const rec: SendRecord = retryOf ?? {
      requestId: `${this.runId}-${++this.seq}`,
      userId: this.users[this.seq % this.users.length]!,
      answer: "network",
      ms: 0,
      history: [],
    };
    this.sends.set(rec.requestId, rec);
    const began = performance.now();
    let answer: Answer;
    try {
      const res = await fetch(`${this.baseUrl()}/api/gifts/send`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await this.token(rec.userId, "viewer")}` },
        body: JSON.stringify({ giftId: GIFT_ID, roomId: this.roomId, receiverId: DEMO.anchorId, requestId: rec.requestId }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      answer = res.status;
    } catch (e) {
      answer = (e as Error).name === "TimeoutError" ? "timeout" : "network";
    }
    rec.ms = performance.now() - began;
    rec.answer = answer;
    rec.history.push(answer);
    return rec;
  }

  /** `count` sends, `concurrency` in flight; each fault fires once at its share of answers. */
  async burst(opts: { count: number; concurrency: number; timeoutMs: number; faults?: Fault[] }): Promise<SendRecord[]> {
    const pending = [...(opts.faults ?? [])].sort((a, b) => a.at - b.at);
    const done: SendRecord[] = [];
    let started = 0;
    let gate: Promise<void> | undefined;
    const worker = async () => {
      for (;;) {
        while (gate) await gate;
        if (started >= opts.count) return;
        started += 1;
        done.push(await this.send(opts.timeoutMs));
        const next = pending[0];
        if (next && !gate && done.length >= next.at * opts.count) {
          pending.shift();
          log(`fault "${next.name}" at ${done.length}/${opts.count} answered, ${started - done.length} in flight`);
          gate = next.run().finally(() => (gate = undefined));
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    return done;
  }

  /** `perSec` new sends every second for `seconds` (while a store is down), then waits for their answers. */
  async trickle(seconds: number, perSec: number, timeoutMs: number): Promise<SendRecord[]> {
    const sent: Promise<SendRecord>[] = [];
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      for (let i = 0; i < perSec; i++) sent.push(this.send(timeoutMs));
      await Bun.sleep(1000);
    }
    return Promise.all(sent);
  }

  /** A client retry, same requestId, of every send that got no answer at all. */
  async retryUnanswered(timeoutMs: number, which: Answer[] = ["network"]): Promise<number> {
    const again = [...this.sends.values()].filter((s) => which.includes(s.answer));
    for (const s of again) await this.send(timeoutMs, s);
    return again.length;
  }

  /** What GET /api/gifts/sends/:requestId answers for a send: its status, or the HTTP status when not 200. */
  async statusOf(rec: SendRecord): Promise<string> {
    const r = await this.call("GET", `/api/gifts/sends/${rec.requestId}`, rec.userId, "viewer");
    if (r.status === 200) return String(r.json.data.status);
    return r.json.code === ErrorCodes.NOT_FOUND[0] ? "not_found" : `http_${r.status}`;
  }
}

export function countAnswers(records: Iterable<SendRecord>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[String(r.answer)] = (counts[String(r.answer)] ?? 0) + 1;
  return counts;
}

export function log(line: string): void {
  console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
}
