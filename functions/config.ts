/**
 * The functions' configuration, read from the environment here and nowhere else. Each function
 * runs alone with only `STORE_URL` (and `SWEEP_TARGETS`); everything else has a default.
 */

import { DEFAULT_RETENTION_DAYS, DEFAULT_STORE_URL } from '../alerts/store/open.js';
import { ConfigError, intRange, nonEmptyString, ProblemList } from '../lib/config-kit.js';

export interface FunctionsConfig {
  readonly storeUrl: string;
  readonly retentionDays: number;
  /** `cloud-run` when K_SERVICE is set (Cloud Run functions run on Cloud Run). */
  readonly platform: 'cloud-run' | 'local';
  readonly targetsFile: string;
  /** SWEEP_TARGETS as given (a JSON array), or undefined to use `targetsFile`. */
  readonly sweepTargets: string | undefined;
  readonly rulesDir: string;
  readonly sweepConcurrency: number;
  readonly logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadFunctionsConfig(env: Env = process.env): FunctionsConfig {
  const problems = new ProblemList();
  const config: FunctionsConfig = {
    storeUrl: problems.read(env, 'STORE_URL', nonEmptyString, true) ?? DEFAULT_STORE_URL,
    retentionDays:
      problems.read(env, 'STORE_RETENTION_DAYS', intRange(1, 3650)) ?? DEFAULT_RETENTION_DAYS,
    platform: env.K_SERVICE ? 'cloud-run' : 'local',
    targetsFile: problems.read(env, 'SWEEP_TARGETS_FILE', nonEmptyString) ?? 'alerts/targets.yaml',
    sweepTargets: env.SWEEP_TARGETS,
    rulesDir: problems.read(env, 'SWEEP_RULES_DIR', nonEmptyString) ?? 'alerts/rules',
    sweepConcurrency: problems.read(env, 'SWEEP_CONCURRENCY', intRange(1, 256)) ?? 8,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
  problems.throwIfAny();
  return config;
}

export { ConfigError };
