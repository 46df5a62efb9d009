// How a domain plugs into the composition root (deps.ts). Each domain module
// (src/<domain>/index.ts) exports a factory returning its services together
// with these parts; deps.ts keeps a list of domains and starts and stops
// their consumers and workers without knowing what they do.
import type { Hono } from "hono";
import type { ConsumeOptions } from "../eventlog/port.ts";
import type { AnyRoute, AppEnv } from "./route.ts";
import type { Worker } from "./worker.ts";

export interface DomainParts {
  /** Names the domain in logs. */
  readonly name: string;
  /** Its HTTP API (route declarations, mounted by app.ts). */
  readonly routes: AnyRoute[];
  /** Event-log consumers: deps.start() runs each, with a lag gauge by topic and group. */
  readonly consumers?: ConsumeOptions[];
  /** Background workers: deps.start() starts them, deps.close() stops them. */
  readonly workers?: Worker[];
  /** Finishes what the domain queued itself (its group commits) once HTTP, workers and consumers stopped, before the store closes. */
  readonly close?: () => Promise<void>;
  /** Mounts pages outside /api (HTML for a person). */
  readonly pages?: (app: Hono<AppEnv>) => void;
}
