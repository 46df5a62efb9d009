// What a fault scenario is: a step that breaks the rig while traffic runs and
// reports what it saw; the runner (run.ts) then does the quiescent check.
import { countAnswers, type Answer, type Fault } from "./traffic.ts";
import type { Rig } from "./rig.ts";

export interface ScenarioOptions {
  /** Gift sends in the burst. */
  sends: number;
  users: number;
  /** Sends in flight at once. */
  concurrency: number;
  /** Bound on the wait for quiescence after the traffic stops. */
  settleSec: number;
  /** How long a stopped store stays down. */
  outageSec: number;
}

export interface ScenarioResult {
  /** Scenario-specific counts, printed with the quiescent ones. */
  counts: Record<string, unknown>;
  /** Scenario-specific violations (the quiescent check adds its own). */
  violations: string[];
  /** Answers that promise the client its send was not executed; default: any answer but 202. */
  notExecutedAnswers?: (a: Answer) => boolean;
}

export interface Scenario {
  name: string;
  summary: string;
  /** Run on a private mariadbd the scenario may crash (never on the shared one). */
  privateDatabase?: boolean;
  run(rig: Rig, opts: ScenarioOptions): Promise<ScenarioResult>;
}

/** A client's patience for one send in a burst. */
export const CLIENT_TIMEOUT_MS = 20_000;

/**
 * A burst of `opts.sends` with `faults`, then every client that got no answer
 * at all retries once with the same requestId; returns the answer counts
 * before and after the retries.
 */
export async function burstThenRetry(rig: Rig, opts: ScenarioOptions, faults: Fault[]): Promise<Record<string, unknown>> {
  await rig.traffic.burst({ count: opts.sends, concurrency: opts.concurrency, timeoutMs: CLIENT_TIMEOUT_MS, faults });
  const firstAnswers = countAnswers(rig.traffic.sends.values());
  const retried = await rig.traffic.retryUnanswered(CLIENT_TIMEOUT_MS);
  return { firstAnswers, retried, afterRetry: countAnswers(rig.traffic.sends.values()) };
}
