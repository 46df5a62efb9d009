// One measurement against one deployment: opens the target (--url or
// --spawn), gives the script a client, a progress line, fresh users and a
// living room with the gift's price, and always removes what it started.
import { openTarget, type Target } from "./deployment.ts";
import { createOvationClient, freshUserBase, type OvationClient } from "./ovation.ts";
import { intOption, progress, round, type COMMON_OPTIONS } from "./report.ts";

/** The gift every load script sends (爱心气泡, 1 coin, in the demo data). */
export const GIFT_ID = 24;

type CommonValues = { [K in keyof typeof COMMON_OPTIONS]?: string | boolean };

export interface Session {
  target: Target;
  api: OvationClient;
  line: ReturnType<typeof progress>;
  /** Prefix of every requestId of this run. */
  runId: string;
  anchorId: number;
  anchorToken: string;
  adminToken: string;
  roomId: number;
  price: number;
  /** `n` user ids nobody used before. */
  freshUsers(n: number): number[];
  /** POST /api/gifts/send of gift GIFT_ID to the anchor, as `token`. */
  send(token: string, requestId: string): ReturnType<OvationClient["call"]>;
  /** One send end to end before the clock starts (consumers may still be joining). */
  warmUp(token: string, arrived: () => boolean, describe: () => string): Promise<void>;
}

/** Runs `measure` in a session and exits with its code (1 when it threw). */
export async function runSession(opts: CommonValues, runPrefix: string, measure: (s: Session) => Promise<number>): Promise<never> {
  const target = await openTarget({
    url: String(opts.url),
    spawn: opts.spawn as string | undefined,
    port: intOption("port", opts.port, 1),
    mysqlUrl: String(opts["mysql-url"]),
    redisUrl: String(opts["redis-url"]),
  });
  const line = progress();
  let exitCode = 1;
  try {
    const api = createOvationClient(target);
    const runId = `${runPrefix}${Date.now().toString(36)}`;
    let next = freshUserBase();
    const freshUsers = (n: number) => Array.from({ length: n }, () => next++);
    const [anchorId, adminId] = freshUsers(2) as [number, number];
    const adminToken = await api.token(adminId, "admin");
    const anchorToken = await api.token(anchorId, "anchor");
    const price = await api.giftPrice(GIFT_ID, adminToken);
    const roomId = await api.startRoom(anchorToken, `${runPrefix} ${runId}`);
    const send = (token: string, requestId: string) => api.call("POST", "/api/gifts/send", token, { giftId: GIFT_ID, roomId, receiverId: anchorId, requestId });
    const session: Session = {
      target, api, line, runId, anchorId, anchorToken, adminToken, roomId, price, freshUsers, send,
      async warmUp(token, arrived, describe) {
        const r = await send(token, `${runId}-warm`);
        if (r.status !== 202) throw new Error(`warm-up send answered ${r.status} ${r.msg}`);
        const start = performance.now();
        while (!arrived()) {
          const s = (performance.now() - start) / 1000;
          if (s > 120) throw new Error(`warm-up: ${describe()} after 120 s`);
          line.update(`warm-up: ${describe()} (${round(s)} s)`);
          await Bun.sleep(50);
        }
      },
    };
    try {
      exitCode = await measure(session);
    } finally {
      await api.closeRoom(anchorToken, roomId).catch(() => undefined);
    }
  } finally {
    line.end();
    await target.stop();
  }
  process.exit(exitCode);
}
