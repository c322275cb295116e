/**
 * Where the plan gets the resolved alerting-as-code definitions: deploy/monitoring/index.ts's
 * loader and resolver, the one call site. A definition the loader refuses fails the plan with
 * the loader's error.
 */
import { loadMonitoringDefinitions, resolveMonitoringDefinitions } from '../monitoring/index.js';
import type { MonitoringContext, ResolvedMonitoring } from '../monitoring/types.js';

export type MonitoringSource =
  | { readonly available: true; readonly resolved: ResolvedMonitoring }
  | { readonly available: false; readonly reason: string };

export { monitoringContext } from '../monitoring/context.js';

export async function loadMonitoring(context: MonitoringContext): Promise<MonitoringSource> {
  const resolved = resolveMonitoringDefinitions(loadMonitoringDefinitions(), context);
  return { available: true, resolved };
}
