/**
 * The functions' configuration, read from the environment here and nowhere else, with the same
 * kit as the service (lib/config/). Each function runs alone with only `STORE_URL` (and
 * `SWEEP_TARGETS`); everything else has a default.
 */
import { readFileSync } from 'node:fs';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import { DEFAULT_STORE_URL } from '../../alerts/store/open.js';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from '../../alerts/store/retention.js';
import type { SecretRef } from '../../alerts/sweep/targets.js';
import {
  anyText,
  defineFormat,
  Expected,
  integer,
  oneOf,
  text,
  trueOrFalse,
} from '../../lib/config/formats.js';
import { detectPlatform, type Platform } from '../../lib/config/platform.js';
import { type Env, readSettings } from '../../lib/config/read.js';
import { setting } from '../../lib/config/settings.js';
import { LOG_LEVELS, type LogLevel } from '../../lib/logger.js';

export const DEFAULT_PUBLISH_TIMEOUT_MS = 2000;
export const DEFAULT_PRUNE_BATCH = 5000;

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const emails = defineFormat<readonly string[]>({
  name: 'emails',
  coerce: (text) => {
    const list = text
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e !== '');
    return list.length > 0 && list.every((e) => EMAIL.test(e)) ? list : text;
  },
  validate: (value) => {
    if (!Array.isArray(value) || value.length === 0 || !value.every((e) => EMAIL.test(e))) {
      throw new Expected('one or more service-account emails, comma-separated');
    }
  },
});

const HOST_PORT = /^[^\s/:]+:\d{1,5}$/;

const hostPort = defineFormat<string>({
  name: 'host-port',
  coerce: (text) => (HOST_PORT.test(text.trim()) ? text.trim() : text),
  validate: (value) => {
    if (typeof value !== 'string' || !HOST_PORT.test(value)) throw new Expected('host:port');
  },
});

export const FUNCTIONS_SETTINGS = {
  storeUrl: setting({
    env: 'STORE_URL',
    doc: 'The trend store: sqlite:PATH or postgres://… (the only kind accepted on Cloud Run). Sensitive (may hold a password).',
    format: text,
    default: DEFAULT_STORE_URL,
    sensitive: true,
  }),
  retentionDays: setting({
    env: 'STORE_RETENTION_DAYS',
    doc: 'Samples, findings and sweeps older than this many days are pruned.',
    format: integer(1, MAX_RETENTION_DAYS),
    default: DEFAULT_RETENTION_DAYS,
  }),
  pruneBatch: setting({
    env: 'SWEEP_PRUNE_BATCH',
    doc: 'Expired rows deleted after each sweep, at most; 0 turns pruning off.',
    format: integer(0, 1_000_000),
    default: DEFAULT_PRUNE_BATCH,
  }),
  sweepTargets: setting({
    env: 'SWEEP_TARGETS',
    doc: 'A JSON array of {name, url} to probe instead of the targets file.',
    format: anyText,
    default: null,
    defaultDoc: '(none: the targets file)',
  }),
  targetsFile: setting({
    env: 'SWEEP_TARGETS_FILE',
    doc: 'The targets to probe, with their probes, timeouts, iam flag and SLOs (YAML).',
    format: text,
    default: 'alerts/definitions/targets.yaml',
  }),
  rulesDir: setting({
    env: 'SWEEP_RULES_DIR',
    doc: 'Directory of the trend rules evaluated after each sweep.',
    format: text,
    default: 'alerts/definitions/trend-rules',
  }),
  alertingFile: setting({
    env: 'ALERTING_FILE',
    doc: "The alert engine's definitions: routing tree, receivers, inhibition rules, silences and flap control (YAML; docs/alerting-definitions.md).",
    format: text,
    default: 'alerts/definitions/alerting.yaml',
  }),
  deliveryMaxAgeMs: setting({
    env: 'ALERT_DELIVERY_MAX_AGE_MS',
    doc: 'How long a notification that fails with a retryable error keeps being retried (on every delivery run, with exponential backoff from 10 s to 10 min) before its delivery is failed for good (NOTIFY_ERR_EXPIRED).',
    format: integer(60_000, 7 * 86_400_000),
    default: 3_600_000,
  }),
  heartbeatJob: setting({
    env: 'HEARTBEAT_JOB',
    doc: "alertTick: the health-sweep job whose sweeps it watches (the Cloud Scheduler job name, the finding's target); SweeperAbsent fires when none was recorded for HEARTBEAT_MAX_SILENCE_MS. Unset: no heartbeat check.",
    format: text,
    default: null,
  }),
  heartbeatMaxSilenceMs: setting({
    env: 'HEARTBEAT_MAX_SILENCE_MS',
    doc: 'alertTick: the longest time without a recorded sweep before SweeperAbsent fires, 100 ms to 24 h (the local stack passes its SWEEPER_MAX_SILENCE, which may be seconds). A cold-started alertTick waits this long before it pages about an old last sweep.',
    format: integer(100, 86_400_000),
    default: 300_000,
  }),
  sweepConcurrency: setting({
    env: 'SWEEP_CONCURRENCY',
    doc: 'Targets probed at once.',
    format: integer(1, 256),
    default: 8,
  }),
  sweepAudience: setting({
    env: 'SWEEP_AUDIENCE',
    doc: "When set, healthSweep accepts only a Google-signed OIDC ID token for this audience (the Scheduler job's oidcToken.audience, by default the function's URL) whose verified email is one of SWEEP_INVOKER. Unset: no token is checked (Cloud Run IAM may still guard the function).",
    format: text,
    default: null,
  }),
  sweepInvokers: setting({
    env: 'SWEEP_INVOKER',
    doc: 'The service-account emails allowed to call healthSweep, comma-separated. Required with SWEEP_AUDIENCE (any Google account can mint a token for any audience, so the audience alone proves nothing) and refused without it.',
    format: emails,
    default: null,
  }),
  iamGuarded: setting({
    env: 'SWEEP_IAM_GUARDED',
    doc: "true when the platform's IAM lets only allowed invokers reach the functions (deployed with --no-allow-unauthenticated), so healthSweep may run without SWEEP_AUDIENCE. On Cloud Run one of the two is required: the functions refuse to start open by accident.",
    format: trueOrFalse,
    default: false,
  }),
  alertsPubSub: setting({
    env: 'ALERTS_PUBSUB',
    doc: 'Whether the alert flow uses Pub/Sub: on, off, or auto (on when on Cloud Run, or when PUBSUB_EMULATOR_HOST or SWEEP_FINDINGS_TOPIC is set). On: sweep findings are published to the alert-ingest topic and alertIngest dead-letters poison to its dead-letter topic (names in alerts/definitions/pubsub.yaml). Off: the sweep hands findings to the ingest core in-process, and poison is kept in the store only.',
    format: oneOf(['auto', 'on', 'off'] as const),
    default: 'auto',
  }),
  findingsTopic: setting({
    env: 'SWEEP_FINDINGS_TOPIC',
    doc: 'Pub/Sub topic (a topic id or projects/P/topics/T) each finding is published to, when Pub/Sub is on.',
    format: text,
    default: null,
    defaultDoc: '(alert-ingest, from alerts/definitions/pubsub.yaml)',
  }),
  ingestMaxDataBytes: setting({
    env: 'INGEST_MAX_DATA_BYTES',
    doc: "The largest message payload alertIngest decodes; a larger one is poison (INGEST_ERR_TOO_LARGE), acknowledged and dead-lettered. Pub/Sub's own limit is 10 MB.",
    format: integer(1024, 10 * 1024 * 1024),
    default: 1024 * 1024,
  }),
  ingestLeaseMs: setting({
    env: 'INGEST_HANDOFF_LEASE_MS',
    doc: 'How long one delivery holds the hand-off of an alert it admitted; a redelivery after a crash takes it over once the lease has passed. Must outlast a hand-off.',
    format: integer(1000, 600_000),
    default: 10_000,
  }),
  ingestPublishTimeoutMs: setting({
    env: 'INGEST_PUBLISH_TIMEOUT_MS',
    doc: "The most alertIngest's publish of one dead letter may take, in ms; past it the delivery fails and Pub/Sub retries it.",
    format: integer(50, 60_000),
    default: DEFAULT_PUBLISH_TIMEOUT_MS,
  }),
  publishTimeoutMs: setting({
    env: 'SWEEP_PUBLISH_TIMEOUT_MS',
    doc: "The most one sweep's publishing may take, in ms.",
    format: integer(50, 60_000),
    default: DEFAULT_PUBLISH_TIMEOUT_MS,
  }),
  projectId: setting({
    env: 'GOOGLE_CLOUD_PROJECT',
    doc: 'The Pub/Sub project of a short topic id.',
    format: text,
    default: null,
    defaultDoc: '(detected by the client library)',
  }),
  pubsubEmulatorHost: setting({
    env: 'PUBSUB_EMULATOR_HOST',
    doc: 'host:port of a Pub/Sub emulator to publish to, in plaintext, instead of Google.',
    format: hostPort,
    default: null,
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: 'Minimum log level written to stdout.',
    format: oneOf(LOG_LEVELS),
    default: 'info',
  }),
};

export interface FunctionsConfig {
  readonly storeUrl: string;
  readonly retentionDays: number;
  readonly platform: Platform;
  readonly targetsFile: string;
  /** SWEEP_TARGETS as given (a JSON array), or undefined to use `targetsFile`. */
  readonly sweepTargets: string | undefined;
  readonly rulesDir: string;
  /** The alert engine's definitions file. */
  readonly alertingFile: string;
  readonly deliveryMaxAgeMs: number;
  /** alertTick's heartbeat: the sweep job watched, or undefined for none. */
  readonly heartbeatJob: string | undefined;
  readonly heartbeatMaxSilenceMs: number;
  readonly sweepConcurrency: number;
  readonly logLevel: LogLevel;
  /** Set: healthSweep checks an OIDC ID token for this audience from one of `sweepInvokers`. */
  readonly sweepAudience: string | undefined;
  /** Lower-cased; empty exactly when `sweepAudience` is undefined. */
  readonly sweepInvokers: readonly string[];
  /** SWEEP_IAM_GUARDED: the platform's IAM admits only allowed invokers. */
  readonly iamGuarded: boolean;
  /** ALERTS_PUBSUB resolved: true when the alert flow goes through Pub/Sub. */
  readonly pubsub: boolean;
  /** The topic findings are published to when `pubsub`. */
  readonly findingsTopic: string;
  readonly publishTimeoutMs: number;
  readonly ingest: {
    readonly maxDataBytes: number;
    readonly leaseMs: number;
    readonly publishTimeoutMs: number;
  };
  /** Undefined lets the Pub/Sub client library detect the project. */
  readonly projectId: string | undefined;
  readonly pubsubEmulatorHost: string | undefined;
  /** 0: no pruning. */
  readonly pruneBatch: number;
}

/**
 * What a function checks at start: `sweep` (healthSweep, healthSweepEvent) also refuses to run
 * open on Cloud Run, which is about who may trigger sweeps; `ingest` (alertIngest, behind Eventarc
 * and Cloud Run IAM) does not.
 */
export type FunctionRole = 'sweep' | 'ingest';

export function loadFunctionsConfig(
  env: Env = process.env,
  role: FunctionRole = 'sweep',
): FunctionsConfig {
  const platform = detectPlatform(env);
  const { values, report, operator } = readSettings(FUNCTIONS_SETTINGS, env, { platform });
  const sweepAudience = values.sweepAudience ?? undefined;
  const sweepInvokers = values.sweepInvokers ?? [];
  if (sweepAudience === undefined && sweepInvokers.length > 0) {
    report.refuse(
      'SWEEP_INVOKER',
      operator.text('SWEEP_INVOKER'),
      'SWEEP_AUDIENCE to be set as well (the invoker is only checked inside a verified ID token)',
    );
  }
  if (
    sweepAudience !== undefined &&
    sweepInvokers.length === 0 &&
    !operator.text('SWEEP_INVOKER')
  ) {
    report.refuse(
      'SWEEP_INVOKER',
      operator.text('SWEEP_INVOKER'),
      'the service-account email(s) allowed to call healthSweep when SWEEP_AUDIENCE is set (any Google account can mint a token for any audience)',
    );
  }
  if (
    role === 'sweep' &&
    platform === 'cloud-run' &&
    sweepAudience === undefined &&
    !values.iamGuarded
  ) {
    // Without either, anyone on the internet could run sweeps and forge their schedule.
    report.refuse(
      'SWEEP_AUDIENCE',
      undefined,
      "an OIDC audience (with SWEEP_INVOKER) on Cloud Run, or SWEEP_IAM_GUARDED=true when the platform's IAM (--no-allow-unauthenticated) guards the functions",
    );
  }
  report.throwIfAny();
  return {
    storeUrl: values.storeUrl,
    iamGuarded: values.iamGuarded,
    retentionDays: values.retentionDays,
    platform,
    targetsFile: values.targetsFile,
    sweepTargets: values.sweepTargets ?? undefined,
    rulesDir: values.rulesDir,
    alertingFile: values.alertingFile,
    deliveryMaxAgeMs: values.deliveryMaxAgeMs,
    heartbeatJob: values.heartbeatJob ?? undefined,
    heartbeatMaxSilenceMs: values.heartbeatMaxSilenceMs,
    sweepConcurrency: values.sweepConcurrency,
    logLevel: values.logLevel,
    sweepAudience,
    sweepInvokers,
    pubsub:
      values.alertsPubSub === 'on' ||
      (values.alertsPubSub === 'auto' &&
        (platform === 'cloud-run' ||
          values.pubsubEmulatorHost !== null ||
          values.findingsTopic !== null)),
    findingsTopic: values.findingsTopic ?? TOPICS.ingest,
    publishTimeoutMs: values.publishTimeoutMs,
    ingest: {
      maxDataBytes: values.ingestMaxDataBytes,
      leaseMs: values.ingestLeaseMs,
      publishTimeoutMs: values.ingestPublishTimeoutMs,
    },
    projectId: values.projectId ?? undefined,
    pubsubEmulatorHost: values.pubsubEmulatorHost ?? undefined,
    pruneBatch: values.pruneBatch,
  };
}

/** The most bytes read of a key file: an admin key is tens of bytes. */
const KEY_FILE_LIMIT = 4096;

/**
 * The admin key a target's `admin_key` reference names: the variable's value, or the file's first
 * key (a Secret Manager mount may hold several, comma- or line-separated, as ADMIN_API_KEYS_FILE
 * does). Read at every call, so a rotated secret is picked up by the next sweep. Throws an Error
 * naming the reference, never a value, when it does not resolve.
 */
export function resolveSecretRef(ref: SecretRef, env: Env = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env]?.trim();
    if (!value) throw new Error(`admin_key {env: ${ref.env}}: the variable is unset or empty`);
    return value;
  }
  let text: string;
  try {
    const bytes = readFileSync(ref.file);
    if (bytes.length > KEY_FILE_LIMIT) {
      throw new Error(`${bytes.length} bytes, over ${KEY_FILE_LIMIT}`);
    }
    text = bytes.toString('utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`admin_key {file: ${ref.file}}: the file cannot be read (${reason})`);
  }
  const first = text
    .split(/[,\n]/)
    .map((k) => k.trim())
    .find((k) => k !== '');
  if (first === undefined) throw new Error(`admin_key {file: ${ref.file}}: the file holds no key`);
  return first;
}

/**
 * The environment secret references such as a webhook's `{env: NAME}` URL are read from when
 * they are used: `env` when given, else the process's (read here, with the rest of the
 * functions' configuration).
 */
export function secretsEnv(env: Env = process.env): Env {
  return env;
}

/**
 * The function target this process serves, as the Functions Framework reads it (`--target`,
 * else FUNCTION_TARGET, which Cloud Run functions set), or undefined when neither says (a test
 * importing the source).
 */
export function servedTarget(
  env: Env = process.env,
  argv: readonly string[] = process.argv,
): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--target=')) return arg.slice('--target='.length);
    if (arg === '--target' && argv[i + 1] !== undefined) return argv[i + 1];
  }
  return env.FUNCTION_TARGET || undefined;
}
