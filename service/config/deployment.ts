/**
 * Where the service runs and how big: the preset (ENVIRONMENT, which every other default may
 * depend on), what the platform says about the instance, the Cloud Run resources it is deployed
 * with, and the SAMO-DL API's variables that no platform reads any more.
 */
import { anyText, defineFormat, Expected, integer, oneOf, text } from '../../lib/config/formats.js';
import {
  type HostFacts,
  mayDefaultToDevelopment,
  type Platform,
} from '../../lib/config/platform.js';
import { byEnvironment, ENVIRONMENTS, type Environment } from '../../lib/config/presets.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import type { OperatorEnv } from '../../lib/config/read.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';

// K_REVISION goes into a response header on every request: a character Node refuses there would
// fail every request instead of the start.
/** Where an unset ENVIRONMENT is refused (lib/config/platform.ts, mayDefaultToDevelopment). */
const ENVIRONMENT_REQUIRED = 'on Cloud Run, on Kubernetes and in a container without a terminal';

const revisionName = defineFormat<string>({
  name: 'revision-name',
  validate: (value) => {
    if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(value)) {
      throw new Expected('a revision name: 1 to 100 letters, digits, dots, hyphens or underscores');
    }
  },
});

export const deploymentSettings = {
  environment: setting({
    env: 'ENVIRONMENT',
    doc: `Preset: production, staging or development. Anything else is an error. Required ${ENVIRONMENT_REQUIRED}; development elsewhere.`,
    format: oneOf(ENVIRONMENTS),
    default: 'development',
    defaultDoc:
      'development (required on Cloud Run, Kubernetes and in a container without a terminal)',
  }),
  serviceName: setting({
    env: 'K_SERVICE',
    doc: 'Set by Cloud Run: the service name. Its presence selects the Cloud Run platform.',
    format: text,
    default: null,
    defaultDoc: '(platform)',
  }),
  revision: setting({
    env: 'K_REVISION',
    doc: 'Set by Cloud Run: the revision name, reported in /health and logs, and the first part of the X-Instance-Id header and the metrics instance label.',
    format: revisionName,
    default: null,
    defaultDoc: '(platform)',
  }),
  kubernetesHost: setting({
    env: 'KUBERNETES_SERVICE_HOST',
    doc: 'Set by Kubernetes; its presence selects the Kubernetes platform.',
    format: anyText,
    default: null,
    defaultDoc: '(platform)',
  }),
  resources: {
    memoryLimitMb: setting({
      env: 'MEMORY_LIMIT_MB',
      doc: "Instance memory in MB (Cloud Run --memory); the RSS check's 100 %.",
      format: integer(512, 8192),
      default: byEnvironment(2048, 1024, 512),
    }),
    cpuLimit: setting({
      env: 'CPU_LIMIT',
      doc: "Instance CPUs (Cloud Run --cpu); the CPU check's 100 %.",
      format: integer(1, 8),
      default: byEnvironment(2, 1, 1),
    }),
    minInstances: setting({
      env: 'MIN_INSTANCES',
      doc: 'Minimum instances (Cloud Run --min-instances); at most MAX_INSTANCES.',
      format: integer(0, 100),
      default: byEnvironment(1, 0, 0),
    }),
    maxInstances: setting({
      env: 'MAX_INSTANCES',
      doc: 'Maximum instances (Cloud Run --max-instances).',
      format: integer(1, 100),
      default: byEnvironment(10, 5, 2),
    }),
    concurrency: setting({
      env: 'CONCURRENCY',
      doc: 'Requests per instance (Cloud Run --concurrency).',
      format: integer(1, 1000),
      default: byEnvironment(80, 40, 20),
    }),
    timeoutSeconds: setting({
      env: 'TIMEOUT_SECONDS',
      doc: "Request timeout in seconds (Cloud Run --timeout; 3600 is Cloud Run's maximum).",
      format: integer(10, 3600),
      default: byEnvironment(300, 180, 120),
    }),
  },
};

type DeploymentValues = ValuesOf<typeof deploymentSettings>;

export interface DeploymentConfig {
  readonly environment: Environment;
  readonly platform: Platform;
  readonly serviceName: DeploymentValues['serviceName'];
  readonly revision: DeploymentValues['revision'];
  readonly resources: DeploymentValues['resources'];
}

export function deploymentConfig(values: DeploymentValues, platform: Platform): DeploymentConfig {
  return {
    environment: values.environment,
    platform,
    serviceName: values.serviceName,
    revision: values.revision,
    resources: values.resources,
  };
}

export function checkDeployment(
  config: DeploymentConfig,
  report: ConfigReport,
  operator: OperatorEnv,
  host: HostFacts,
): void {
  if (!operator.has('ENVIRONMENT') && !mayDefaultToDevelopment(config.platform, host)) {
    report.refuse(
      'ENVIRONMENT',
      undefined,
      `one of ${ENVIRONMENTS.join(', ')} (${ENVIRONMENT_REQUIRED}: development's defaults need no API key and serve /metrics to anyone)`,
    );
  }
  const { minInstances, maxInstances } = config.resources;
  if (minInstances > maxInstances) {
    // Blame the variable the operator set; a preset value is not theirs to fix.
    if (operator.has('MIN_INSTANCES')) {
      report.refuse(
        'MIN_INSTANCES',
        operator.text('MIN_INSTANCES'),
        `at most MAX_INSTANCES (${maxInstances})`,
      );
    } else {
      report.refuse(
        'MAX_INSTANCES',
        operator.text('MAX_INSTANCES'),
        `at least MIN_INSTANCES (${minInstances})`,
      );
    }
  }
}

/**
 * SAMO-DL API variables that no platform reads. Setting one is not an error (old deploy scripts
 * still pass them) but logs a warning that names what replaced it.
 */
export const RETIRED_VARIABLES: Readonly<Record<string, string>> = {
  TARGET_CPU_UTILIZATION:
    'Cloud Run scales on CONCURRENCY and CPU by itself; tune CONCURRENCY and MAX_INSTANCES',
  TARGET_MEMORY_UTILIZATION:
    'Cloud Run has no memory scaling target; tune MEMORY_LIMIT_MB and MEMORY_DEGRADED_RATIO',
  SCALE_UP_COOLDOWN_SECONDS: 'Cloud Run has no cooldowns; keep warm instances with MIN_INSTANCES',
  SCALE_DOWN_COOLDOWN_SECONDS: 'Cloud Run has no cooldowns; keep warm instances with MIN_INSTANCES',
  GRACEFUL_SHUTDOWN_TIMEOUT:
    'DRAIN_TIMEOUT_MS (with DRAIN_PRE_CLOSE_DELAY_MS and SHUTDOWN_HANDLERS_TIMEOUT_MS), in milliseconds',
  HEALTH_CHECK_INTERVAL: 'HEALTH_CHECK_INTERVAL_MS, in milliseconds',
};

export function warnRetired(report: ConfigReport, operator: OperatorEnv): void {
  for (const [variable, replacement] of Object.entries(RETIRED_VARIABLES)) {
    if (operator.has(variable)) report.warn(`${variable} is no longer read; use ${replacement}`);
  }
}
