/**
 * Where the plan gets the resolved alerting-as-code definitions: deploy/monitoring/index.ts's
 * loader and resolver, the one call site. A definition the loader refuses fails the plan with
 * the loader's error.
 */
import { loadMonitoringDefinitions, resolveMonitoringDefinitions } from '../monitoring/index.js';
import type { MonitoringContext, ResolvedMonitoring } from '../monitoring/types.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { resolveService } from '../spec/resolve.js';
import type { PlanTarget } from './types.js';

export type MonitoringSource =
  | { readonly available: true; readonly resolved: ResolvedMonitoring }
  | { readonly available: false; readonly reason: string };

/**
 * What the definitions are resolved against for `target`: its project, region, environment and
 * service, and the service's MAX_INSTANCES as it resolves for Cloud Run (the instance-count
 * policy's threshold is a share of it).
 */
export function monitoringContext(
  t: PlanTarget,
): MonitoringContext & { readonly maxInstances: number } {
  const { config } = resolveService(DEPLOY_PROFILES[t.environment], t.project);
  return {
    project: t.project,
    region: t.region,
    environment: t.environment,
    serviceName: t.serviceName,
    maxInstances: config.resources.maxInstances,
  };
}

export async function loadMonitoring(context: MonitoringContext): Promise<MonitoringSource> {
  const resolved = resolveMonitoringDefinitions(loadMonitoringDefinitions(), context);
  return { available: true, resolved };
}
