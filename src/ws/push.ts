// Pushing to WebSocket clients from anywhere in the app. A push is published
// on the hot store's bus; every process's hub (src/ws/hub.ts)
// receives it and delivers to the sockets it holds, so a user's messages
// reach each of their sockets whichever process holds it.
//
// One bus message may carry many client messages for one target (a gift
// consumer's batch for one room): one publish per room per batch instead of
// one per gift. The hub sends each to the target's sockets as its own client
// message, so clients see exactly the messages the README lists.
import type { Bus } from "../hot/bus/port.ts";

export interface ServerMessage {
  type: string;
  bizCode?: number;
  data: unknown;
}

export type PushTarget = { room: number } | { user: number };

export interface PushEnvelope {
  target: PushTarget;
  /** Delivered one by one, in this order. */
  messages: ServerMessage[];
}

export const PUSH_CHANNEL = "ws-push";

export interface Push {
  toRoom(roomId: number, message: ServerMessage): Promise<void>;
  /** Several messages to a room's sockets in one bus publish; nothing is published for none. */
  toRoomAll(roomId: number, messages: ServerMessage[]): Promise<void>;
  toUser(userId: number, message: ServerMessage): Promise<void>;
}

export function createPush(bus: Bus): Push {
  const send = (env: PushEnvelope) => bus.publish(PUSH_CHANNEL, JSON.stringify(env));
  return {
    toRoom: (room, message) => send({ target: { room }, messages: [message] }),
    toRoomAll: async (room, messages) => {
      if (messages.length > 0) await send({ target: { room }, messages });
    },
    toUser: (user, message) => send({ target: { user }, messages: [message] }),
  };
}
