/**
 * `npm run deploy:apply`'s configuration: the command line, parsed strictly (anything else is
 * DEPLOY_APPLY_ERR_USAGE naming the option), and the environment, read here and nowhere else
 * with the config kit (a refused value is CFG_ERR_INVALID, exit 78). The variables are
 * PUBSUB_EMULATOR_HOST, with `npm run pubsub:ensure`'s name and format, and
 * DEPLOY_APPLY_METRIC_WAIT_MS, the wait for Monitoring to see new log metrics, which
 * `--metric-wait-ms` overrides, and DEPLOY_APPLY_RUNBOOK_BASE_URL, which `--runbook-base-url`
 * overrides; the Logging and Monitoring stand-ins are named on the command
 * line, since nothing but a test points at them.
 */
import { parseArgs } from 'node:util';
import { anyText, integer } from '../../lib/config/formats.js';
import { ENVIRONMENTS, type Environment } from '../../lib/config/presets.js';
import { type Env, readSettings } from '../../lib/config/read.js';
import { setting } from '../../lib/config/settings.js';
import { PUBSUB_ENSURE_SETTINGS } from '../../tools/pubsub-config.js';
import type { HostPort } from './clients.js';
import { DEPLOY_APPLY_ERR_USAGE, DeployApplyError } from './errors.js';

export const DEFAULT_REGION = 'us-central1';
export const DEFAULT_SERVICE_NAME = 'runwatch';
export const DEFAULT_TIMEOUT_MS = 10_000;
const TIMEOUT_BOUNDS = { min: 100, max: 120_000 } as const;
/** Monitoring sees a new log metric up to 10 minutes after its create. */
export const DEFAULT_METRIC_WAIT_MS = 600_000;
const METRIC_WAIT_BOUNDS = { min: 0, max: 3_600_000 } as const;

export interface ApplyArgs {
  readonly environment: Environment;
  readonly projectId: string;
  readonly region: string;
  /** The Cloud Run service the definitions watch (their `serviceName` placeholder). */
  readonly serviceName: string;
  readonly dryRun: boolean;
  readonly adopt: boolean;
  readonly json: boolean;
  /** A resolved set as JSON to apply instead of the committed definitions; null: those. */
  readonly definitionsFile: string | null;
  readonly loggingEndpoint: HostPort | null;
  readonly monitoringEndpoint: HostPort | null;
  readonly timeoutMs: number;
  /** `--metric-wait-ms`; null: DEPLOY_APPLY_METRIC_WAIT_MS or its default. */
  readonly metricWaitMs: number | null;
  /** The published repository root the committed runbook links resolve under; null: none. */
  readonly runbookBaseUrl: string | null;
}

export type ApplyCommand = ApplyArgs | { readonly help: true };

export const APPLY_USAGE = [
  'usage: npm run deploy:apply -- --env production|staging|development --project PROJECT_ID',
  '         [--region REGION] [--service-name NAME] [--dry-run] [--adopt] [--json]',
  '         [--definitions FILE | --runbook-base-url URL] [--timeout-ms MS] [--metric-wait-ms MS]',
  '         [--logging-endpoint HOST:PORT] [--monitoring-endpoint HOST:PORT]',
  `  --region: default ${DEFAULT_REGION}; --service-name: default ${DEFAULT_SERVICE_NAME}; --timeout-ms: each call's deadline, ${TIMEOUT_BOUNDS.min}–${TIMEOUT_BOUNDS.max}, default ${DEFAULT_TIMEOUT_MS}`,
  `  --metric-wait-ms: how long the run may wait in all for Monitoring to see new log metrics, ${METRIC_WAIT_BOUNDS.min}–${METRIC_WAIT_BOUNDS.max}, default DEPLOY_APPLY_METRIC_WAIT_MS or ${DEFAULT_METRIC_WAIT_MS}`,
  "  --runbook-base-url: the published repository root (an https URL ending in '/', e.g. https://github.com/OWNER/runwatch/blob/main/) the policies' runbook links docs/runbooks/<alertname>.md resolve under; without it they stay repository paths",
  '  --dry-run: describe only and print what would change; --adopt: take over a channel or policy of the same displayName that lacks the managed-by: runwatch label',
  '  --definitions: a resolved set (deploy/monitoring/types.ts ResolvedMonitoring) as JSON, instead of alerts/definitions/monitoring/',
  '  --logging-endpoint, --monitoring-endpoint: plaintext, credential-less stand-ins (tests); PUBSUB_EMULATOR_HOST: the Pub/Sub emulator',
].join('\n');

const OPTIONS = {
  env: { type: 'string' },
  project: { type: 'string' },
  region: { type: 'string' },
  'service-name': { type: 'string' },
  'dry-run': { type: 'boolean' },
  adopt: { type: 'boolean' },
  json: { type: 'boolean' },
  definitions: { type: 'string' },
  'logging-endpoint': { type: 'string' },
  'monitoring-endpoint': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'metric-wait-ms': { type: 'string' },
  'runbook-base-url': { type: 'string' },
  help: { type: 'boolean' },
} as const;

// Google's rule for project ids: 6–30 characters, lowercase letters, digits and hyphens,
// starting with a letter, not ending with a hyphen.
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const HOST_PORT = /^([^\s/:]+):(\d{1,5})$/;

function usage(message: string, option: string): DeployApplyError {
  return new DeployApplyError(DEPLOY_APPLY_ERR_USAGE, 400, message, { field: option });
}

function matching(option: string, raw: string | undefined, pattern: RegExp, expected: string) {
  if (raw !== undefined && !pattern.test(raw)) {
    throw usage(`--${option} is ${JSON.stringify(raw)}; expected ${expected}`, `--${option}`);
  }
  return raw;
}

function endpoint(option: string, raw: string | undefined): HostPort | null {
  if (raw === undefined) return null;
  const m = HOST_PORT.exec(raw);
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65_535) {
    throw usage(
      `--${option} is ${JSON.stringify(raw)}; expected host:port (a plaintext test endpoint)`,
      `--${option}`,
    );
  }
  return { host: m[1] as string, port };
}

function integerIn(
  option: string,
  raw: string | undefined,
  bounds: { readonly min: number; readonly max: number },
): number | null {
  if (raw === undefined) return null;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw usage(
      `--${option} is ${JSON.stringify(raw)}; expected an integer from ${bounds.min} to ${bounds.max}`,
      `--${option}`,
    );
  }
  return n;
}

/**
 * An absolute https URL ending in `/`, without query or fragment: what a repository path
 * `docs/runbooks/X.md` resolves under to the published file.
 */
export function runbookBase(
  raw: string | undefined,
  definitionsFile: string | undefined,
  name = '--runbook-base-url',
): string | null {
  if (raw === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (
    url === null ||
    url.protocol !== 'https:' ||
    !raw.endsWith('/') ||
    url.search !== '' ||
    url.hash !== '' ||
    /\s/.test(raw)
  ) {
    throw usage(
      `${name} is ${JSON.stringify(raw)}; expected an absolute https URL ending in '/', the published repository root (e.g. https://github.com/OWNER/runwatch/blob/main/)`,
      name,
    );
  }
  if (definitionsFile !== undefined) {
    throw usage(
      `${name} resolves the committed definitions; a --definitions set is resolved already (${definitionsFile}), so its runbook links are as written there`,
      name,
    );
  }
  return raw;
}

/** Parses `argv` (after the script's name); throws DEPLOY_APPLY_ERR_USAGE. */
export function parseApplyArgs(argv: readonly string[]): ApplyCommand {
  let values: Partial<Record<keyof typeof OPTIONS, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true }));
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e), 'argv');
  }
  if (values.help === true) return { help: true };
  const text = (k: keyof typeof OPTIONS) => values[k] as string | undefined;
  const env = text('env');
  if (env === undefined || !(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw usage(
      `--env is ${env === undefined ? 'missing' : JSON.stringify(env)}; expected ${ENVIRONMENTS.join(', ')}`,
      '--env',
    );
  }
  const project = matching(
    'project',
    text('project'),
    PROJECT_ID,
    'a project id: 6–30 lowercase letters, digits and hyphens, starting with a letter',
  );
  if (project === undefined)
    throw usage('--project is missing; expected a project id', '--project');
  const rawTimeout = text('timeout-ms');
  const timeoutMs = rawTimeout === undefined ? DEFAULT_TIMEOUT_MS : Number(rawTimeout);
  if (
    !Number.isSafeInteger(timeoutMs) ||
    timeoutMs < TIMEOUT_BOUNDS.min ||
    timeoutMs > TIMEOUT_BOUNDS.max
  ) {
    throw usage(
      `--timeout-ms is ${JSON.stringify(rawTimeout)}; expected an integer from ${TIMEOUT_BOUNDS.min} to ${TIMEOUT_BOUNDS.max}`,
      '--timeout-ms',
    );
  }
  return {
    environment: env as Environment,
    projectId: project,
    region:
      matching('region', text('region'), REGION, 'a region such as us-central1') ?? DEFAULT_REGION,
    serviceName:
      matching('service-name', text('service-name'), SERVICE_NAME, 'a Cloud Run service name') ??
      DEFAULT_SERVICE_NAME,
    dryRun: values['dry-run'] === true,
    adopt: values.adopt === true,
    json: values.json === true,
    definitionsFile: text('definitions') ?? null,
    loggingEndpoint: endpoint('logging-endpoint', text('logging-endpoint')),
    monitoringEndpoint: endpoint('monitoring-endpoint', text('monitoring-endpoint')),
    timeoutMs,
    metricWaitMs: integerIn('metric-wait-ms', text('metric-wait-ms'), METRIC_WAIT_BOUNDS),
    runbookBaseUrl: runbookBase(text('runbook-base-url'), text('definitions')),
  };
}

export const DEPLOY_APPLY_SETTINGS = {
  pubsubEmulatorHost: PUBSUB_ENSURE_SETTINGS.emulatorHost,
  metricWaitMs: setting({
    env: 'DEPLOY_APPLY_METRIC_WAIT_MS',
    doc: 'How long one `deploy:apply` run may wait in all, in ms, for Cloud Monitoring to see the log metrics its alert policies name (Monitoring sees a new one up to 10 minutes after its create); `--metric-wait-ms` wins over it. 0: do not wait.',
    format: integer(METRIC_WAIT_BOUNDS.min, METRIC_WAIT_BOUNDS.max),
    default: DEFAULT_METRIC_WAIT_MS,
  }),
  runbookBaseUrl: setting({
    env: 'DEPLOY_APPLY_RUNBOOK_BASE_URL',
    doc: "The published repository root (an https URL ending in '/') the policies' runbook links resolve under, as `--runbook-base-url`, which wins over it; empty or unset: none. Cloud Build passes its `_RUNBOOK_BASE_URL` substitution here, so an empty one means no flag.",
    format: anyText,
    default: '',
  }),
};

export interface ApplyEnv {
  /** Undefined: Google. */
  readonly pubsubEmulatorHost: string | undefined;
  readonly metricWaitMs: number;
  /** DEPLOY_APPLY_RUNBOOK_BASE_URL as set, unchecked; undefined when unset or empty. */
  readonly runbookBaseUrl: string | undefined;
}

/** Throws ConfigError (CFG_ERR_INVALID) naming each refused variable. */
// biome-ignore lint/style/noProcessEnv: deploy:apply's one configuration module reads the environment.
export function loadApplyEnv(env: Env = process.env): ApplyEnv {
  const { values, report } = readSettings(DEPLOY_APPLY_SETTINGS, env, { platform: 'local' });
  report.throwIfAny();
  return {
    pubsubEmulatorHost: values.pubsubEmulatorHost ?? undefined,
    metricWaitMs: values.metricWaitMs,
    runbookBaseUrl: values.runbookBaseUrl === '' ? undefined : values.runbookBaseUrl,
  };
}
