// librdkafka's mock Kafka cluster, started through `kcat`: the broker of the
// test preload (test/setup.ts) and of the fault suite (scripts/faults). It
// keeps everything in memory and listens on ports it picks itself.
import type { Subprocess } from "bun";

export interface MockKafka {
  /** host:port of each mock broker. */
  bootstrap: string[];
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Starts a mock cluster of `brokers` nodes; undefined when kcat did not report its address within `timeoutMs`. */
export async function startMockKafka(brokers: number, timeoutMs = 5000): Promise<MockKafka | undefined> {
  const proc: Subprocess<"ignore", "ignore", "pipe"> = Bun.spawn(
    ["kcat", "-X", `test.mock.num.brokers=${brokers}`, "-b", "mock:1", "-C", "-t", "__ovation_probe", "-d", "mock", "-q"],
    { stdout: "ignore", stderr: "pipe", stdin: "ignore" },
  );
  const kill = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  };
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    const m = /bootstrap\.servers=([0-9.:,]+)/.exec(text);
    if (m) {
      // Keep draining kcat's debug output so its pipe never fills up.
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return { bootstrap: m[1]!.split(","), kill };
    }
  }
  await kill();
  return undefined;
}
