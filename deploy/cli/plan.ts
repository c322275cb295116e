/**
 * `npm run deploy:plan -- --env ENV [options]` prints every step of one environment's deploy and
 * runs nothing (deploy/plan/). Options, each with its default:
 *
 *   --project P (my-project)  --project-number N (PROJECT_NUMBER)  --region R (us-central1)
 *   --service NAME (the profile's, runwatch)  --repository NAME (runwatch)  --image-tag TAG (TAG)
 *   --runbook-base-url URL (none): the policies' runbook links resolve under it, passed to apply
 *   --service-account / --functions-service-account / --invoker-service-account EMAIL
 *       (runwatch-service@P…, runwatch-functions@P…, runwatch-invoker@P…)
 *   --invoker MEMBER (repeatable): may call the service under AUTH_MODE=iam
 *   --only SECTION[,SECTION]  --format text|sh|json (text; --json is --format json)  --out FILE
 *
 * Exits 0 with the plan, 1 when the service or a function refuses its deployed configuration
 * (the error's code and message on stderr), 2 on a usage error.
 */
import { RunwatchError } from '../../lib/errors.js';
import { ENVIRONMENTS } from '../../service/config/index.js';
import { PLAN_EXIT_FAILED, PLAN_EXIT_USAGE, PlanError } from '../plan/errors.js';
import { loadMonitoring, monitoringContext } from '../plan/monitoring-source.js';
import { buildPlan } from '../plan/plan.js';
import { onlySections, renderPlanJson, renderPlanScript, renderPlanText } from '../plan/render.js';
import { planTarget, TARGET_DEFAULTS } from '../plan/target.js';
import { SECTIONS, type Section } from '../plan/types.js';
import { environmentOf, parseCommandLine, runCommand, writeOutput } from './args.js';

const USAGE = `usage: npm run deploy:plan -- --env ${ENVIRONMENTS.join('|')} [--project P] [--project-number N]
  [--region R] [--service NAME] [--repository NAME] [--image-tag TAG] [--runbook-base-url URL] [--service-account EMAIL]
  [--functions-service-account EMAIL] [--invoker-service-account EMAIL] [--invoker MEMBER ...]
  [--only ${SECTIONS.join(',')}] [--format text|sh|json | --json] [--out FILE]`;

const usage = (what: string): PlanError => new PlanError('PLAN_ERR_USAGE', `${what}\n${USAGE}`);

const OPTIONS = {
  env: { type: 'string' },
  project: { type: 'string' },
  'project-number': { type: 'string' },
  region: { type: 'string' },
  service: { type: 'string' },
  repository: { type: 'string' },
  'image-tag': { type: 'string' },
  'runbook-base-url': { type: 'string' },
  'service-account': { type: 'string' },
  'functions-service-account': { type: 'string' },
  'invoker-service-account': { type: 'string' },
  invoker: { type: 'string', multiple: true },
  only: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
} as const;

const PATTERNS = {
  project: [/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id (6 to 30 of a-z, 0-9, -)'],
  'project-number': [/^[0-9]{1,20}$/, 'a project number (digits)'],
  region: [/^[a-z]+-[a-z]+[0-9]+$/, 'a region such as us-central1'],
  service: [
    /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/,
    'a Cloud Run service name (a-z, 0-9, -; at most 49)',
  ],
  repository: [/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'an Artifact Registry repository name'],
  'image-tag': [/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an image tag'],
  'runbook-base-url': [
    /^https:\/\/[^\s?#]+\/$/,
    "an https URL ending in '/', where the repository is published (e.g. https://github.com/OWNER/runwatch/blob/main/)",
  ],
  'service-account': [/^[^\s@]+@[^\s@]+\.iam\.gserviceaccount\.com$/, 'a service-account email'],
  'functions-service-account': [
    /^[^\s@]+@[^\s@]+\.iam\.gserviceaccount\.com$/,
    'a service-account email',
  ],
  'invoker-service-account': [
    /^[^\s@]+@[^\s@]+\.iam\.gserviceaccount\.com$/,
    'a service-account email',
  ],
} as const satisfies Record<string, readonly [RegExp, string]>;

const PLACEHOLDER_OK = new Set<string>([TARGET_DEFAULTS.projectNumber]);

function checked(name: keyof typeof PATTERNS, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const [pattern, expected] = PATTERNS[name];
  if (!pattern.test(value) && !PLACEHOLDER_OK.has(value)) {
    throw usage(`--${name}=${JSON.stringify(value)}: expected ${expected}`);
  }
  return value;
}

async function main(argv: readonly string[]): Promise<string> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, usage);
  if (positionals.length > 0) throw usage(`unexpected arguments: ${positionals.join(' ')}`);
  const env = environmentOf(values.env, usage);
  const invokers = values.invoker ?? [];
  for (const m of invokers) {
    if (!/^(user|group|serviceAccount|domain):\S+$/.test(m)) {
      throw usage(
        `--invoker=${JSON.stringify(m)}: expected user:, group:, serviceAccount: or domain: and a name`,
      );
    }
  }
  const only = values.only?.split(',').map((s) => s.trim());
  for (const s of only ?? []) {
    if (!(SECTIONS as readonly string[]).includes(s)) {
      throw usage(`--only: ${JSON.stringify(s)} is not a section; expected ${SECTIONS.join(', ')}`);
    }
  }
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!['text', 'sh', 'json'].includes(format)) {
    throw usage(`--format=${JSON.stringify(format)}: expected text, sh or json`);
  }
  const accounts = {
    ...(values['service-account'] === undefined
      ? {}
      : { service: checked('service-account', values['service-account']) as string }),
    ...(values['functions-service-account'] === undefined
      ? {}
      : {
          functions: checked(
            'functions-service-account',
            values['functions-service-account'],
          ) as string,
        }),
    ...(values['invoker-service-account'] === undefined
      ? {}
      : {
          invoker: checked('invoker-service-account', values['invoker-service-account']) as string,
        }),
  };
  const opt = (name: keyof typeof PATTERNS, value: string | undefined) => checked(name, value);
  const target = planTarget(env, {
    ...defined('project', opt('project', values.project)),
    ...defined('projectNumber', opt('project-number', values['project-number'])),
    ...defined('region', opt('region', values.region)),
    ...defined('serviceName', opt('service', values.service)),
    ...defined('repository', opt('repository', values.repository)),
    ...defined('imageTag', opt('image-tag', values['image-tag'])),
    ...defined('runbookBaseUrl', opt('runbook-base-url', values['runbook-base-url'])),
    accounts,
    invokers,
  });
  const monitoring = await loadMonitoring(monitoringContext(target));
  if (!monitoring.available) process.stderr.write(`note: ${monitoring.reason}\n`);
  const full = buildPlan(target, monitoring);
  const plan = only === undefined ? full : onlySections(full, only as Section[]);
  const text =
    format === 'json'
      ? renderPlanJson(plan)
      : format === 'sh'
        ? renderPlanScript(plan)
        : renderPlanText(plan);
  if (values.out !== undefined) {
    writeOutput(values.out, text);
    return `wrote ${values.out}\n`;
  }
  return text;
}

function defined<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

await runCommand(
  () => main(process.argv.slice(2)),
  (e): e is RunwatchError => e instanceof RunwatchError,
  (code) =>
    code === 'PLAN_ERR_USAGE' || code === 'SPEC_ERR_USAGE' ? PLAN_EXIT_USAGE : PLAN_EXIT_FAILED,
);
