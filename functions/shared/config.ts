/**
 * The functions' configuration, read from the environment here and nowhere else. Each function
 * runs alone with only `STORE_URL` (and `SWEEP_TARGETS`); everything else has a default.
 */

import { DEFAULT_STORE_URL } from '../../alerts/store/open.js';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from '../../alerts/store/retention.js';
import {
  Expected,
  intRange,
  nonEmptyString,
  type Parser,
  ProblemList,
} from '../../lib/config-kit.js';

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
  /**
   * SWEEP_AUDIENCE: when set, healthSweep accepts only a Google-signed OIDC ID token for this
   * audience (Cloud Scheduler's `oidcToken.audience`, by default the function's URL) whose
   * verified `email` is one of `sweepInvokers`. Unset: no token is checked (Cloud Run IAM may
   * still guard the function).
   */
  readonly sweepAudience: string | undefined;
  /**
   * SWEEP_INVOKER: the service-account email(s) allowed to call healthSweep, comma-separated,
   * lower-cased. Required with SWEEP_AUDIENCE (any Google account can mint a token for any
   * audience, so the audience alone proves nothing) and refused without it.
   */
  readonly sweepInvokers: readonly string[];
  /** SWEEP_FINDINGS_TOPIC: publish each finding there (a topic id or projects/P/topics/T); off when unset. */
  readonly findingsTopic: string | undefined;
  /** SWEEP_PUBLISH_TIMEOUT_MS: the most one sweep's publishing may take. */
  readonly publishTimeoutMs: number;
  /** GOOGLE_CLOUD_PROJECT: the Pub/Sub project; unset lets the client library detect it. */
  readonly projectId: string | undefined;
  /** PUBSUB_EMULATOR_HOST (host:port): publish there in plaintext instead of to Google. */
  readonly pubsubEmulatorHost: string | undefined;
  /** SWEEP_PRUNE_BATCH: expired rows deleted after each sweep, at most; 0 turns pruning off. */
  readonly pruneBatch: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_PUBLISH_TIMEOUT_MS = 2000;
export const DEFAULT_PRUNE_BATCH = 5000;

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const emailList: Parser<string[]> = (raw) => {
  const emails = raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (emails.length === 0 || !emails.every((e) => EMAIL.test(e))) {
    throw new Expected('one or more service-account emails, comma-separated');
  }
  return emails;
};

const hostPort: Parser<string> = (raw) => {
  if (!/^[^\s/:]+:\d{1,5}$/.test(raw.trim())) throw new Expected('host:port');
  return raw.trim();
};

export function loadFunctionsConfig(env: Env = process.env): FunctionsConfig {
  const problems = new ProblemList();
  const sweepAudience = problems.read(env, 'SWEEP_AUDIENCE', nonEmptyString);
  const sweepInvokers = problems.read(env, 'SWEEP_INVOKER', emailList) ?? [];
  if (sweepAudience === undefined && sweepInvokers.length > 0) {
    problems.add(
      'SWEEP_INVOKER',
      env.SWEEP_INVOKER,
      'SWEEP_AUDIENCE to be set as well (the invoker is only checked inside a verified ID token)',
    );
  }
  if (sweepAudience !== undefined && sweepInvokers.length === 0 && !env.SWEEP_INVOKER) {
    problems.add(
      'SWEEP_INVOKER',
      env.SWEEP_INVOKER,
      'the service-account email(s) allowed to call healthSweep when SWEEP_AUDIENCE is set (any Google account can mint a token for any audience)',
    );
  }
  const config: FunctionsConfig = {
    storeUrl: problems.read(env, 'STORE_URL', nonEmptyString, true) ?? DEFAULT_STORE_URL,
    retentionDays:
      problems.read(env, 'STORE_RETENTION_DAYS', intRange(1, MAX_RETENTION_DAYS)) ??
      DEFAULT_RETENTION_DAYS,
    platform: env.K_SERVICE ? 'cloud-run' : 'local',
    targetsFile:
      problems.read(env, 'SWEEP_TARGETS_FILE', nonEmptyString) ?? 'alerts/definitions/targets.yaml',
    sweepTargets: env.SWEEP_TARGETS,
    rulesDir:
      problems.read(env, 'SWEEP_RULES_DIR', nonEmptyString) ?? 'alerts/definitions/trend-rules',
    sweepConcurrency: problems.read(env, 'SWEEP_CONCURRENCY', intRange(1, 256)) ?? 8,
    logLevel: env.LOG_LEVEL ?? 'info',
    sweepAudience,
    sweepInvokers,
    findingsTopic: problems.read(env, 'SWEEP_FINDINGS_TOPIC', nonEmptyString),
    publishTimeoutMs:
      problems.read(env, 'SWEEP_PUBLISH_TIMEOUT_MS', intRange(50, 60_000)) ??
      DEFAULT_PUBLISH_TIMEOUT_MS,
    projectId: problems.read(env, 'GOOGLE_CLOUD_PROJECT', nonEmptyString),
    pubsubEmulatorHost: problems.read(env, 'PUBSUB_EMULATOR_HOST', hostPort),
    pruneBatch:
      problems.read(env, 'SWEEP_PRUNE_BATCH', intRange(0, 1_000_000)) ?? DEFAULT_PRUNE_BATCH,
  };
  problems.throwIfAny();
  return config;
}
