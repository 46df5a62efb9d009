// What the composed Hot (index.ts) answers itself, on every backend; each
// concern's operations have their own contract suite in its folder.
import { expect, test } from "bun:test";
import { describeHotContract } from "../../test/hot-backends.ts";

describeHotContract("Hot", (ctx) => {
  test("reports its kind and answers ping", async () => {
    const hot = ctx.hot();
    expect(hot.kind).toBe(ctx.backend.name === "local" ? "local" : "redis");
    await hot.ping();
  });
});
