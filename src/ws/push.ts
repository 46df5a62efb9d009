// Pushing to WebSocket clients from anywhere in the app. A push is published
// on the hot store's bus; every process's hub (src/ws/hub.ts)
// receives it and delivers to the sockets it holds, so a user's messages
// reach each of their sockets whichever process holds it.
import type { Bus } from "../hot/bus/port.ts";

export interface ServerMessage {
  type: string;
  bizCode?: number;
  data: unknown;
}

export type PushTarget = { room: number } | { user: number };

export interface PushEnvelope {
  target: PushTarget;
  message: ServerMessage;
}

export const PUSH_CHANNEL = "ws-push";

export interface Push {
  toRoom(roomId: number, message: ServerMessage): Promise<void>;
  toUser(userId: number, message: ServerMessage): Promise<void>;
}

export function createPush(bus: Bus): Push {
  const send = (env: PushEnvelope) => bus.publish(PUSH_CHANNEL, JSON.stringify(env));
  return {
    toRoom: (room, message) => send({ target: { room }, message }),
    toUser: (user, message) => send({ target: { user }, message }),
  };
}
