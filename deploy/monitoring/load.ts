/**
 * The entry points the deploy tools call: load the committed definitions (validated), validate
 * them for a report, and resolve them for one environment.
 */

import { checkMonitoringDefinitions, VALIDATION_CONTEXT } from './check.js';
import { type MonitoringDefinitionError, MonitoringDefinitionsError } from './errors.js';
import { checkMonitoringContext } from './placeholders.js';
import { DEFAULT_MONITORING_ROOT, readMonitoringDefinitions } from './read.js';
import type { MonitoringContext, MonitoringDefinitions, ResolvedMonitoring } from './types.js';

export interface ValidationReport {
  /** Every definition that could be read. */
  readonly definitions: MonitoringDefinitions;
  /** Every problem of every file, in file order; empty when all is well. */
  readonly problems: readonly MonitoringDefinitionError[];
}

/**
 * Reads and checks every definition under `root` (default: alerts/definitions/monitoring/),
 * against `VALIDATION_CONTEXT`, and reports every problem without throwing for them.
 */
export function validateMonitoringDefinitions(
  root: string = DEFAULT_MONITORING_ROOT,
): ValidationReport {
  const read = readMonitoringDefinitions(root);
  const checked = checkMonitoringDefinitions(read.definitions, VALIDATION_CONTEXT);
  // Stable: a file's problems keep the order they were found in.
  const problems = [...read.problems, ...checked.problems].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
  );
  return { definitions: read.definitions, problems };
}

/**
 * The definitions under `root`, every one of them valid; else a MonitoringDefinitionsError
 * (MONITORING_DEFS_ERR_INVALID) listing every problem.
 */
export function loadMonitoringDefinitions(
  root: string = DEFAULT_MONITORING_ROOT,
): MonitoringDefinitions {
  const report = validateMonitoringDefinitions(root);
  if (report.problems.length > 0) {
    throw new MonitoringDefinitionsError(report.problems, 'monitoring definitions');
  }
  return report.definitions;
}

/**
 * The definitions resolved for one environment: placeholders filled, policies' channels as
 * `channelRefs`, every resource checked again with the environment's values. A bad context or
 * any problem is a MonitoringDefinitionsError listing them all.
 */
export function resolveMonitoringDefinitions(
  defs: MonitoringDefinitions,
  ctx: MonitoringContext,
): ResolvedMonitoring {
  const bad = checkMonitoringContext(ctx);
  if (bad.length > 0) throw new MonitoringDefinitionsError(bad, 'monitoring context');
  const { resolved, problems } = checkMonitoringDefinitions(defs, ctx);
  if (problems.length > 0) {
    throw new MonitoringDefinitionsError(
      problems,
      `monitoring definitions resolved for ${ctx.project} (${ctx.environment})`,
    );
  }
  return resolved;
}
