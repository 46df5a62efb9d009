// Prints an access token signed with the configured secret:
//   bun run token --user 42 --role admin [--ttl 3600]
// Reads the same environment as the server (in the embedded profile the
// secret kept beside the SQLite file).
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config.ts";
import { ROLES, signToken, type Role } from "../src/lib/auth.ts";
import { parseDecimalId } from "../src/lib/schemas.ts";

const { values } = parseArgs({
  options: { user: { type: "string" }, role: { type: "string", default: "viewer" }, ttl: { type: "string", default: String(7 * 24 * 3600) } },
});
const userId = parseDecimalId(values.user ?? "");
if (userId === null) {
  console.error("usage: bun run token --user <positive id> --role viewer|anchor|admin [--ttl seconds]");
  process.exit(2);
}
if (!ROLES.includes(values.role as Role)) {
  console.error(`--role must be one of ${ROLES.join(", ")}`);
  process.exit(2);
}
try {
  const config = loadConfig();
  console.log(await signToken(config.jwtSecret, { userId, role: values.role as Role }, Number(values.ttl)));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`ovation: configuration error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
