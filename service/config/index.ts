/**
 * The inference service's configuration: environment variables read by convict through the
 * settings of each area (deployment, observability, http, limits, model, drain, health, shedding,
 * auth), with defaults per environment preset and per platform, and the rules that span keys.
 *
 * `loadServiceConfig(env)` takes the environment as an argument, so tests never touch
 * `process.env`; the config modules are the only place in the service that may read it.
 */
import { type SettingRow, settingRows } from '../../lib/config/docs.js';
import {
  DEVELOPER_HOST,
  detectHost,
  detectPlatform,
  type HostFacts,
} from '../../lib/config/platform.js';
import { type Env, readSettings } from '../../lib/config/read.js';
import { type AuthConfig, authConfig, authSettings, checkAuth } from './auth.js';
import {
  checkDeployment,
  type DeploymentConfig,
  deploymentConfig,
  deploymentSettings,
  warnRetired,
} from './deployment.js';
import { checkDrain, type DrainConfig, drainSettings } from './drain.js';
import { checkHealth, type HealthConfig, healthSettings } from './health.js';
import { checkHttp, type HttpConfig, httpSettings } from './http.js';
import { checkLimits, type LimitsConfig, limitsConfig, limitsSettings } from './limits.js';
import { checkModel, type ModelConfig, modelSettings } from './model.js';
import { type ObservabilityConfig, observabilitySettings } from './observability.js';
import {
  checkShedding,
  type SheddingConfig,
  sheddingConfig,
  sheddingSettings,
} from './shedding.js';

export {
  DEVELOPER_HOST,
  detectHost,
  detectPlatform,
  type HostFacts,
  PLATFORMS,
  type Platform,
} from '../../lib/config/platform.js';
export { ENVIRONMENTS, type Environment } from '../../lib/config/presets.js';
export type { ConfigProblem } from '../../lib/config/problems.js';
export { AUTH_MODES, type AuthMode } from './auth.js';
export { RETIRED_VARIABLES } from './deployment.js';
export { PLATFORM_DRAIN_LIMIT_MS } from './drain.js';
export { parseOrigins } from './http.js';

/** Every setting of the service by area, in the order the docs list them. */
export const SERVICE_SETTINGS = {
  deployment: deploymentSettings,
  http: httpSettings,
  auth: authSettings,
  limits: limitsSettings,
  model: modelSettings,
  shedding: sheddingSettings,
  drain: drainSettings,
  health: healthSettings,
  observability: observabilitySettings,
};

/** The service's configuration: each area's part. */
export type ServiceConfig = DeploymentConfig &
  ObservabilityConfig &
  HttpConfig &
  LimitsConfig &
  ModelConfig &
  DrainConfig &
  HealthConfig &
  SheddingConfig &
  AuthConfig;

export interface LoadedConfig {
  readonly config: ServiceConfig;
  /** Non-fatal findings (retired or deprecated variables), one sentence each. */
  readonly warnings: readonly string[];
}

/**
 * Loads and validates the service configuration from `env`. Throws `ConfigError` listing every
 * problem (variable, value, expected) when anything is wrong; the caller exits 78. `host` says
 * whether this is a container nobody watches (detectHost), where ENVIRONMENT must be set; the
 * default is a developer's shell.
 */
export function loadServiceConfig(
  env: Env = process.env,
  host: HostFacts = DEVELOPER_HOST,
): LoadedConfig {
  const platform = detectPlatform(env);
  // Every other default may depend on the preset, so ENVIRONMENT is read first, alone. A bad
  // value reads as development here and is reported with the rest below.
  const { environment } = readSettings({ environment: deploymentSettings.environment }, env, {
    platform,
  }).values;
  const { values, report, operator } = readSettings(SERVICE_SETTINGS, env, {
    environment,
    platform,
  });

  const deployment = deploymentConfig(values.deployment, platform);
  const http = values.http;
  const limits = limitsConfig(values.limits, report, operator);
  const model = values.model;
  const observability = values.observability;
  const auth = authConfig(values.auth, report, operator);
  // Keys in the order `npm run config` has always printed them.
  const config: ServiceConfig = {
    environment: deployment.environment,
    platform: deployment.platform,
    logLevel: observability.logLevel,
    prettyLogs: observability.prettyLogs,
    port: http.port,
    host: http.host,
    project: observability.project,
    serviceName: deployment.serviceName,
    revision: deployment.revision,
    modelPath: model.modelPath,
    resources: deployment.resources,
    rateLimitPerMinute: limits.rateLimitPerMinute,
    rateLimit: limits.rateLimit,
    drain: values.drain.drain,
    http: http.http,
    input: limits.input,
    inference: model.inference,
    health: values.health.health,
    shedding: sheddingConfig(values.shedding, model).shedding,
    auth: auth.auth,
    faultInjection: model.faultInjection,
    metricsEnabled: observability.metricsEnabled,
    metricsPublic: observability.metricsPublic,
  };

  checkHttp(config, report);
  checkLimits(config, report);
  checkModel(config, report, operator);
  checkDrain(config, report);
  checkHealth(config, report);
  checkShedding(config, report, operator);
  checkAuth(config, report, operator);
  checkDeployment(config, report, operator, host);
  warnRetired(report, operator);
  report.throwIfAny();
  return { config, warnings: report.warnings };
}

/** `loadServiceConfig` for the process it runs in: the host's container and terminal detected. */
export function loadServiceConfigOnHost(env: Env = process.env): LoadedConfig {
  return loadServiceConfig(env, detectHost(env));
}

/** One row per service setting, for the configuration docs. */
export function configurationTable(): SettingRow[] {
  return settingRows(SERVICE_SETTINGS);
}
