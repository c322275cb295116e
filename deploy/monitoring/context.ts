/**
 * What the alerting-as-code definitions are resolved against for one deployment: its project,
 * region, environment and service, and the service's MAX_INSTANCES as it resolves for Cloud Run
 * in that environment (the instance-count policy's threshold is a share of it). The plan and
 * apply both take it from here, so they resolve the same resources.
 */
import type { Environment } from '../../service/config/index.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { resolveService } from '../spec/resolve.js';
import type { MonitoringContext } from './types.js';

export interface DeploymentTarget {
  readonly environment: Environment;
  readonly project: string;
  readonly region: string;
  readonly serviceName: string;
  /** Where the repository is published: runbook links resolve under it (see MonitoringContext). */
  readonly runbookBaseUrl?: string | undefined;
}

export function monitoringContext(t: DeploymentTarget): MonitoringContext {
  const { config } = resolveService(DEPLOY_PROFILES[t.environment], t.project);
  return {
    project: t.project,
    region: t.region,
    environment: t.environment,
    serviceName: t.serviceName,
    maxInstances: config.resources.maxInstances,
    ...(t.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: t.runbookBaseUrl }),
  };
}
