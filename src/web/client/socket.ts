// The room's WebSocket: /ws?token=&roomId=. It reconnects on its
// own after any drop, with exponential back-off and jitter so a restarted
// server is not hit by every page at once, and pings to keep idle proxies
// from closing it.
export interface ServerMessage {
  type: string;
  bizCode?: number;
  data: any;
}

export type SocketState = "connecting" | "live" | "reconnecting";

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;
const PING_EVERY_MS = 25_000;

export function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

export function connectRoom(opts: {
  token: string;
  roomId: number;
  onMessage(m: ServerMessage): void;
  onState(state: SocketState, retryInMs?: number): void;
}): { close(): void } {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;

  const open = () => {
    opts.onState("connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(opts.token)}&roomId=${opts.roomId}`);
    ws = socket;
    socket.onmessage = (ev) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (m.type === "welcome") {
        attempt = 0;
        opts.onState("live");
      }
      opts.onMessage(m);
    };
    socket.onopen = () => {
      pingTimer = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ type: "ping" })), PING_EVERY_MS);
    };
    // A refused upgrade (401, server down) arrives as a close too.
    socket.onclose = () => {
      clearInterval(pingTimer);
      if (closed || ws !== socket) return;
      const wait = backoffMs(attempt++);
      opts.onState("reconnecting", wait);
      retryTimer = setTimeout(open, wait);
    };
  };

  open();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      ws?.close(1000, "page closed");
    },
  };
}

/** Remembers the last `limit` ids, so an effect that arrives twice is shown once. */
export function createSeen(limit = 5000) {
  const ids = new Set<string>();
  return {
    /** True the first time an id is seen. */
    first(id: string): boolean {
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > limit) ids.delete(ids.values().next().value!);
      return true;
    },
  };
}
