// What the load scripts ask of Ovation, through its public and admin HTTP API
// only (the server's internals are free to change under them): tokens, the
// gift and its price, a living room, coins, balances, send status, a room's
// WebSocket, and the invariant checker run as a child process.
import { join } from "node:path";
import { signToken, type Role } from "../../src/lib/auth.ts";
import type { Target } from "./deployment.ts";

export interface Envelope<T> {
  status: number;
  code: number;
  msg: string;
  data: T;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createOvationClient(target: Target) {
  const base = target.baseUrl;
  async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<Envelope<T>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as { code: number; msg: string; data: T };
    return { status: res.status, ...json };
  }
  async function must<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const r = await call<T>(method, path, token, body);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status} ${r.code} ${r.msg}`);
    return r.data;
  }

  return {
    call,
    /** call, or throw when the server answered anything but success. */
    must,
    /** A token signed here with the deployment's secret, or minted by POST /api/dev/token. */
    async token(userId: number, role: Role): Promise<string> {
      if (target.jwtSecret) return signToken(target.jwtSecret, { userId, role });
      return (await must<{ token: string }>("POST", "/api/dev/token", undefined, { userId, role })).token;
    },
    /** The gift's price; creates it (as admin) when the deployment has no such gift. */
    async giftPrice(giftId: number, adminToken: string): Promise<number> {
      const r = await call<{ price: number }>("GET", `/api/gifts/${giftId}`);
      if (r.status === 200) return r.data.price;
      const created = await must<{ price: number }>("POST", "/api/admin/gifts", adminToken, { giftId, giftName: `load gift ${giftId}`, price: 1 });
      // The catalogue is cached per process; wait until the send path sees it.
      for (let i = 0; i < 100 && (await call("GET", `/api/gifts/${giftId}`)).status !== 200; i++) await Bun.sleep(50);
      return created.price;
    },
    async startRoom(anchorToken: string, title: string): Promise<number> {
      return (await must<{ roomId: number }>("POST", "/api/rooms", anchorToken, { title, type: 0 })).roomId;
    },
    async closeRoom(anchorToken: string, roomId: number): Promise<void> {
      await call("POST", `/api/rooms/${roomId}/close`, anchorToken);
    },
    async grant(adminToken: string, userId: number, amount: number, requestId: string): Promise<void> {
      await must("POST", "/api/admin/wallet/grant", adminToken, { userId, amount, requestId });
    },
    async balance(token: string): Promise<number> {
      return (await must<{ balance: number }>("GET", "/api/wallet", token)).balance;
    },
    /** "accepted" | "success" | "failed", or "not_found" when the server has no such send. */
    async sendStatus(token: string, requestId: string): Promise<string> {
      const r = await call<{ status: string }>("GET", `/api/gifts/sends/${encodeURIComponent(requestId)}`, token);
      if (r.status === 404) return "not_found";
      if (r.status !== 200) throw new Error(`send status ${requestId}: ${r.status} ${r.msg}`);
      return r.data.status;
    },
    /** Opens a socket in the room; resolves once the server's welcome arrived. */
    async joinRoom(token: string, roomId: number, onMessage: (raw: string) => void): Promise<WebSocket> {
      const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}&roomId=${roomId}`);
      await new Promise<void>((resolve, reject) => {
        ws.onmessage = (e) => {
          const raw = String(e.data);
          if (raw.startsWith('{"type":"welcome"')) return resolve();
          onMessage(raw);
        };
        ws.onerror = () => reject(new Error("websocket failed"));
        ws.onclose = (e) => reject(new Error(`websocket closed (${e.code}) before its welcome`));
      });
      ws.onclose = null;
      return ws;
    },
  };
}

export type OvationClient = ReturnType<typeof createOvationClient>;

/** The requestId inside a pushed gift message, read without parsing the whole JSON. */
export function giftRequestId(raw: string): string | undefined {
  if (!raw.startsWith('{"type":"gift"')) return undefined;
  const at = raw.indexOf('"requestId":"');
  if (at < 0) return undefined;
  const from = at + 13;
  return raw.slice(from, raw.indexOf('"', from));
}

/** Runs scripts/check-invariants.ts --quiescent with the deployment's environment. */
export async function runInvariantChecker(target: Target): Promise<{ ok: boolean; output: string }> {
  const p = Bun.spawn([process.execPath, "run", join(import.meta.dir, "..", "check-invariants.ts"), "--quiescent"], {
    env: { ...target.env, OVATION_LOG: "silent" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await p.exited;
  const output = ((await new Response(p.stdout).text()) + (await new Response(p.stderr).text())).trim();
  return { ok: code === 0, output };
}

/** User ids no earlier run used: a run starts at least a second after the previous one began. */
export function freshUserBase(): number {
  return (Date.now() % 1e10) * 100;
}
