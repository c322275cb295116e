/**
 * Where the plan gets the resolved alerting-as-code definitions: deploy/monitoring/index.ts's
 * loader and resolver. This is the one call site; until that module is part of the build it is
 * imported by a computed specifier, so the plan still builds and runs, and says the monitoring
 * resources are not listed and why. Any other failure of the loader (a definition it refuses) is
 * the loader's error and fails the plan.
 */
import { fileURLToPath } from 'node:url';
import type { MonitoringContext, ResolvedMonitoring } from '../monitoring/types.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { resolveService } from '../spec/resolve.js';
import type { PlanTarget } from './types.js';

export type MonitoringSource =
  | { readonly available: true; readonly resolved: ResolvedMonitoring }
  | { readonly available: false; readonly reason: string };

interface MonitoringModule {
  loadMonitoringDefinitions(): unknown;
  resolveMonitoringDefinitions(definitions: unknown, context: MonitoringContext): unknown;
}

const MONITORING_MODULE = '../monitoring/index.js';

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
  let mod: MonitoringModule;
  try {
    mod = (await import(MONITORING_MODULE)) as MonitoringModule;
  } catch (e) {
    // Only the module itself missing; a module it imports that is missing is its own failure.
    const missing = fileURLToPath(new URL(MONITORING_MODULE, import.meta.url));
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String((e as Error).message).includes(`'${missing}'`)) {
      throw e;
    }
    return {
      available: false,
      reason:
        'deploy/monitoring/index.ts (loadMonitoringDefinitions, resolveMonitoringDefinitions) is not in this build, so the notification channel, log metrics, sinks and alert policies are not listed',
    };
  }
  const definitions = await mod.loadMonitoringDefinitions();
  const resolved = (await mod.resolveMonitoringDefinitions(
    definitions,
    context,
  )) as ResolvedMonitoring;
  return { available: true, resolved };
}
