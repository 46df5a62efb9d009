// CI smoke of the fault suite (docs/faults.md): every scenario about the gift
// path and the database, with small counts, each a real run of
// scripts/faults/run.ts with its own redis-server, broker and server on ports
// the system picks. Each run's counts are printed. `stop-server` (the clean
// SIGTERM control for kill-server) stays out to keep the smoke short.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { clusterAvailable } from "../../test/services.ts";

const SHORT = ["--sends", "300", "--users", "10"];

const SMOKES: { scenario: string; args: string[]; needs: string[] }[] = [
  { scenario: "kill-server", args: [...SHORT, "--settle-sec", "100"], needs: ["redis-server"] },
  { scenario: "replace-broker", args: [...SHORT, "--settle-sec", "100"], needs: ["redis-server"] },
  { scenario: "flush-redis", args: [...SHORT, "--settle-sec", "60"], needs: ["redis-server"] },
  { scenario: "stop-redis", args: [...SHORT, "--settle-sec", "60", "--outage-sec", "5"], needs: ["redis-server"] },
  {
    scenario: "crash-database",
    args: [...SHORT, "--settle-sec", "60", "--outage-sec", "5"],
    needs: ["redis-server", "mariadb-install-db", "mariadbd"],
  },
];

const RUN_TIMEOUT_MS = 150_000;

describe.skipIf(!clusterAvailable())("fault suite smoke (cluster profile)", () => {
  for (const { scenario, args, needs } of SMOKES) {
    test.skipIf(!needs.every((bin) => Bun.which(bin)))(
      `${scenario}: every accepted send ends once, no coins held, invariants hold`,
      async () => {
        const p = Bun.spawn([process.execPath, "run", join(import.meta.dir, "run.ts"), scenario, ...args, "--slot", "free"], {
          cwd: join(import.meta.dir, "..", ".."),
          env: { ...process.env, OVATION_LOG: "warn" },
          stdout: "pipe",
          stderr: "pipe",
        });
        const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
        const code = await p.exited;
        if (code !== 0) console.error(out + err);
        // The counts block (two-space indented lines) and the verdict.
        else console.info(out.split("\n").filter((l) => l.startsWith("  ") || l.startsWith("PASS")).join("\n"));
        expect(out).toContain(`PASS ${scenario}`);
        expect(out).toMatch(/acceptedUnfinished\s+0\n/);
        expect(out).toMatch(/coinsHeld\s+0\n/);
        expect(code).toBe(0);
      },
      RUN_TIMEOUT_MS,
    );
  }
});
