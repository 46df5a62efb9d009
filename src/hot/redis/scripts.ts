// Loading the Lua scripts of the Redis adapters: each concern keeps one file
// per script in its own `scripts/` folder, named `<name>-<numberOfKeys>.lua`
// (BullMQ style), each with a header stating its KEYS, ARGV and replies. They
// are registered with ioredis `defineCommand` (EVALSHA, falling back to EVAL
// on NOSCRIPT, routed by the first key's slot in a cluster); each concern's
// redis.ts types its commands through `declare module "ioredis"`.
import { readFileSync } from "node:fs";
import type { RedisClient } from "./connection.ts";

/** Reply codes every script shares; each concern adds its own "no" answers (negative). */
export const ReplyCode = {
  /** The operation did what was asked. */
  Ok: 1,
  /** A numeric argument was malformed (the adapter checks first, so this is a bug). */
  BadArgument: -99,
} as const;

/**
 * Registers `scripts` ({ commandName: "file-<numberOfKeys>.lua" }) found in
 * the folder `dir` (a file URL ending in "/").
 */
export function defineScripts(client: RedisClient, dir: URL, scripts: Record<string, string>): void {
  for (const [command, file] of Object.entries(scripts)) {
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    const lua = readFileSync(new URL(file, dir), "utf8");
    client.defineCommand(command, { lua, numberOfKeys });
  }
}

/** A reply the script header does not allow: a bug, never a business answer. */
export function unexpectedReply(script: string, reply: unknown): Error {
  return new Error(`hot store: ${script} answered ${JSON.stringify(reply)}`);
}
