// The WebSocket hub on both profiles: token before upgrade, ping/pong, room
// moves, and delivery to every socket of a user whichever process holds it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Deps } from "../deps.ts";
import { GIFT_PUSH } from "../gifts/consumer.ts";
import { createDeployment, eventually, serve, token, wsClient, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";

type Received = { type: string; data: any }[];

/**
 * Waits until every publisher's fence reached every socket. Pushes travel one
 * pub/sub channel in publish order per publisher, so once a socket holds the
 * fences, whatever the publishers sent it before has arrived too; what is
 * still missing was never sent to it.
 */
async function fence(publishers: Deps[], rooms: number[], sockets: Received[]): Promise<void> {
  const id = crypto.randomUUID();
  for (const [i, p] of publishers.entries()) {
    for (const room of rooms) await p.push.toRoom(room, { type: "fence", data: { id, from: i } });
  }
  const fenced = (got: Received) => publishers.every((_, i) => got.some((m) => m.type === "fence" && m.data.id === id && m.data.from === i));
  await eventually(() => sockets.every(fenced));
}

describe.each(profilesUnderTest())("the WebSocket hub on the %s profile", (profile) => {
  let deployment: Deployment;
  let a: Deps;
  let b: Deps;
  let urlA: string;
  let urlB: string;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    a = await deployment.spawn({ consumers: false });
    b = await deployment.spawn({ consumers: false });
    const sa = await serve(a);
    const sb = await serve(b);
    urlA = sa.client.url;
    urlB = sb.client.url;
    stops.push(sa.server.stop, sb.server.stop);
  });
  afterAll(async () => {
    for (const s of stops) await s();
    await deployment.destroy();
  });

  test("no or bad token: 401 before the upgrade", async () => {
    expect((await fetch(`${urlA}/ws?roomId=1`)).status).toBe(401);
    expect((await fetch(`${urlA}/ws?roomId=1&token=abc.def.ghi`)).status).toBe(401);
    expect((await fetch(`${urlA}/ws?roomId=x&token=${await token(5, "viewer")}`)).status).toBe(400);
  });

  test("welcome, ping → pong, join moves the socket to another room", async () => {
    const c = await wsClient(urlA, 5, 10);
    expect(c.messages[0]).toEqual({ type: "welcome", data: { userId: 5, roomId: 10 } });
    const raw = new WebSocket(`${urlA.replace("http", "ws")}/ws?token=${await token(6, "viewer")}&roomId=10`);
    const got: any[] = [];
    raw.onmessage = (e) => got.push(JSON.parse(String(e.data)));
    await eventually(() => got.some((m) => m.type === "welcome"));
    raw.send(JSON.stringify({ type: "ping" }));
    await eventually(() => got.some((m) => m.type === "pong"));
    raw.send(JSON.stringify({ type: "join", roomId: 11 }));
    await eventually(() => got.some((m) => m.type === "joined"));
    await a.push.toRoom(10, { type: "note", data: { n: 1 } });
    await a.push.toRoom(11, { type: "note", data: { n: 2 } });
    await eventually(() => c.messages.some((m) => m.type === "note"));
    await eventually(() => got.some((m) => m.type === "note"));
    await fence([a], [10, 11], [got, c.messages]);
    expect(got.filter((m) => m.type === "note").map((m) => m.data.n)).toEqual([2]);
    expect(c.messages.filter((m) => m.type === "note").map((m) => m.data.n)).toEqual([1]);
    raw.send("not json");
    await eventually(() => got.some((m) => m.type === "error"));
    raw.close();
    c.close();
  });

  test("a user's messages reach every socket of that user, in every process; room pushes cross processes too", async () => {
    const onA = await wsClient(urlA, 21, 30);
    const onB = await wsClient(urlB, 21, 31);
    const stranger = await wsClient(urlB, 22, 30);
    await a.push.toUser(21, { type: "gift_fail", bizCode: GIFT_PUSH.FAIL, data: { requestId: "r1", reason: "x" } });
    await b.push.toRoom(30, { type: "gift", bizCode: GIFT_PUSH.SUCCESS, data: { requestId: "r2" } });
    await eventually(() => onA.messages.some((m) => m.type === "gift_fail") && onB.messages.some((m) => m.type === "gift_fail"));
    await eventually(() => onA.messages.some((m) => m.type === "gift") && stranger.messages.some((m) => m.type === "gift"));
    await fence([a, b], [30, 31], [onA.messages, onB.messages, stranger.messages]);
    expect(stranger.messages.some((m) => m.type === "gift_fail")).toBe(false);
    expect(onB.messages.some((m) => m.type === "gift")).toBe(false);
    onA.close();
    onB.close();
    stranger.close();
  });

  test("stopping a server closes its sockets with 1001 and drains", async () => {
    const c = await deployment.spawn({ consumers: false });
    const sc = await serve(c);
    const ws = new WebSocket(`${sc.client.url.replace("http", "ws")}/ws?token=${await token(40, "viewer")}&roomId=1`);
    const closed = new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
    await new Promise<void>((resolve) => (ws.onmessage = () => resolve()));
    await sc.server.stop();
    expect(await closed).toBe(1001);
  });
});
