/**
 * Defaults that depend on where a deployable runs: per environment (the preset ENVIRONMENT
 * picks) or per platform. convict holds one default per key, so the schema handed to it is built
 * for one context; the docs list every context's value.
 */
import type { Platform } from './platform.js';

export const ENVIRONMENTS = ['production', 'staging', 'development'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** What a default may depend on. A deployable without environments leaves `environment` out. */
export interface PresetContext {
  readonly environment?: Environment;
  readonly platform: Platform;
}

/** A default that differs by context, and how the docs show it. */
export class Preset<T> {
  constructor(
    readonly valueFor: (ctx: PresetContext) => T,
    readonly doc: string,
  ) {}
}

/** A default per environment; development's where there is no environment. */
export function byEnvironment<T>(
  production: T,
  staging: T,
  development: T,
  doc = `${String(production)} / ${String(staging)} / ${String(development)} (prod / staging / dev)`,
): Preset<T> {
  const table: Readonly<Record<Environment, T>> = { production, staging, development };
  return new Preset((ctx) => table[ctx.environment ?? 'development'], doc);
}

export function byPlatform<T>(
  cloudRun: T,
  kubernetes: T,
  local: T,
  doc = `${String(cloudRun)} / ${String(kubernetes)} / ${String(local)} (Cloud Run / Kubernetes / elsewhere)`,
): Preset<T> {
  const table: Readonly<Record<Platform, T>> = { 'cloud-run': cloudRun, kubernetes, local };
  return new Preset((ctx) => table[ctx.platform], doc);
}
