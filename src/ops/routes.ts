// Operations: liveness, readiness, metrics, API docs, and the dev token.
import { z } from "zod";
import { signToken, ROLES } from "../lib/auth.ts";
import { AppError } from "../lib/errors.ts";
import { defineRoute, idParam } from "../lib/route.ts";

export const devRoutes = [
  defineRoute({
    method: "post",
    path: "/api/dev/token",
    summary: "Mint a token (only when OVATION_DEV_LOGIN=1)",
    tag: "dev",
    auth: "public",
    body: z.object({ userId: idParam, role: z.enum(ROLES) }),
    handler: async ({ deps, body }) => {
      if (!deps.config.devLogin) throw new AppError("NOT_FOUND", "dev login is disabled (OVATION_DEV_LOGIN=0)");
      return { token: await signToken(deps.config.jwtSecret, { userId: body.userId, role: body.role }) };
    },
  }),
];
