// Joins a live room over WebSocket and prints every message it receives:
//   bun run scripts/ws-listen.ts --token <JWT> --room <roomId> [--url http://127.0.0.1:8080] [--seconds N]
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    token: { type: "string" },
    room: { type: "string" },
    url: { type: "string", default: `http://${process.env.HOST ?? "127.0.0.1"}:${process.env.PORT ?? "8080"}` },
    seconds: { type: "string" },
  },
});
if (!values.token || !values.room) {
  console.error("usage: bun run scripts/ws-listen.ts --token <JWT> --room <roomId> [--url http://127.0.0.1:8080] [--seconds N]");
  process.exit(2);
}
const ws = new WebSocket(`${values.url!.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(values.token)}&roomId=${values.room}`);
ws.onmessage = (e) => console.log(String(e.data));
ws.onclose = (e) => {
  console.error(`closed (${e.code})`);
  process.exit(e.code === 1000 ? 0 : 1);
};
ws.onerror = () => console.error("websocket error (is the server up, and the token valid?)");
const keepAlive = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "ping" })), 25_000);
if (values.seconds) {
  setTimeout(() => {
    clearInterval(keepAlive);
    ws.close(1000);
  }, Number(values.seconds) * 1000);
}
