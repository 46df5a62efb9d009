// The ceilings' hello-world servers: what Bun alone, and Bun with Hono (the
// router Ovation uses), answer on this machine. Started by ceilings.ts:
//   bun run scripts/load/hello.ts --kind bun|hono --port 18251
import { parseArgs } from "node:util";
import { Hono } from "hono";

const { values } = parseArgs({ options: { kind: { type: "string" }, port: { type: "string" } } });
const port = Number(values.port);
if (values.kind === "bun") {
  Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("hello") });
} else if (values.kind === "hono") {
  const app = new Hono();
  app.get("/", (c) => c.text("hello"));
  Bun.serve({ hostname: "127.0.0.1", port, fetch: app.fetch });
} else {
  console.error("usage: bun run scripts/load/hello.ts --kind bun|hono --port <port>");
  process.exit(2);
}
