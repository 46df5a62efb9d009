// bun test preload: find the services the cluster-profile suites need.
process.env.OVATION_LOG ??= "silent";
import { startMockKafka } from "./mock-kafka.ts";
import { reachable, setServices, type Services } from "./services.ts";

async function discover(): Promise<Services> {
  const missing: string[] = [];
  let mysqlUrl = process.env.OVATION_TEST_MYSQL_URL;
  if (!mysqlUrl && (await reachable("127.0.0.1", 3306))) mysqlUrl = "mysql://root@127.0.0.1:3306/";
  if (!mysqlUrl) missing.push("MySQL/MariaDB (none on 127.0.0.1:3306; set OVATION_TEST_MYSQL_URL)");

  let redisUrl = process.env.OVATION_TEST_REDIS_URL;
  if (!redisUrl && (await reachable("127.0.0.1", 6379))) redisUrl = "redis://127.0.0.1:6379";
  if (!redisUrl) missing.push("Redis (none on 127.0.0.1:6379; set OVATION_TEST_REDIS_URL)");

  let kafkaBrokers = process.env.OVATION_TEST_KAFKA_BROKERS?.split(",").filter(Boolean);
  if (!kafkaBrokers?.length && Bun.which("kcat")) {
    const mock = await startMockKafka(3);
    if (mock) process.on("exit", () => void mock.kill());
    kafkaBrokers = mock?.bootstrap;
  }
  if (!kafkaBrokers?.length) missing.push("Kafka (set OVATION_TEST_KAFKA_BROKERS, or install kcat for librdkafka's mock cluster)");

  return { mysqlUrl, redisUrl, kafkaBrokers, missing };
}

const found = await discover();
setServices(found);
if (found.missing.length > 0) {
  const line = `cluster-profile suites skip: missing ${found.missing.join("; ")}`;
  if (process.env.OVATION_REQUIRE_SERVICES === "1") {
    throw new Error(`OVATION_REQUIRE_SERVICES=1 but ${line}`);
  }
  console.warn(line);
}
