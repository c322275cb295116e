/**
 * Where apply's Logging and Monitoring resources come from: the committed alerting-as-code
 * definitions (alerts/definitions/monitoring/), loaded and resolved for one environment by
 * deploy/monitoring, or a resolved set given as a JSON file (`--definitions`).
 */
import { readFileSync } from 'node:fs';
import { loadMonitoringDefinitions, resolveMonitoringDefinitions } from '../monitoring/index.js';
import {
  MONITORING_KINDS,
  type MonitoringContext,
  type ResolvedMonitoring,
} from '../monitoring/types.js';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID, DeployApplyError } from './errors.js';

/** The committed definitions, resolved for `context`. */
export function resolvedMonitoringFor(context: MonitoringContext): ResolvedMonitoring {
  return resolveMonitoringDefinitions(loadMonitoringDefinitions(), context);
}

function invalid(file: string, problem: string): DeployApplyError {
  return new DeployApplyError(DEPLOY_APPLY_ERR_DEFINITIONS_INVALID, 400, `${file}: ${problem}`);
}

/** A resolved set written as JSON (the shape of ResolvedMonitoring), checked for that shape. */
export function readResolvedMonitoring(file: string): ResolvedMonitoring {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(file, `cannot be read as JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalid(file, `expected an object with the keys ${MONITORING_KINDS.join(', ')}`);
  }
  const set = doc as Record<string, unknown>;
  for (const key of Object.keys(set)) {
    if (!(MONITORING_KINDS as readonly string[]).includes(key)) {
      throw invalid(file, `key /${key} is not a kind; expected ${MONITORING_KINDS.join(', ')}`);
    }
  }
  for (const kind of MONITORING_KINDS) {
    const list = set[kind] ?? [];
    if (!Array.isArray(list)) throw invalid(file, `/${kind} is not a list`);
    list.forEach((r: unknown, i) => {
      const at = `/${kind}/${i}`;
      const o = (r ?? {}) as Record<string, unknown>;
      if (typeof o.id !== 'string' || o.id === '') throw invalid(file, `${at}/id is not a string`);
      if (typeof o.file !== 'string') throw invalid(file, `${at}/file is not a string`);
      if (o.resource === null || typeof o.resource !== 'object' || Array.isArray(o.resource)) {
        throw invalid(file, `${at}/resource is not an object`);
      }
      const refs = o.channelRefs ?? [];
      if (!Array.isArray(refs) || refs.some((x) => typeof x !== 'string')) {
        throw invalid(file, `${at}/channelRefs is not a list of channel ids`);
      }
    });
  }
  const pick = (kind: (typeof MONITORING_KINDS)[number]) =>
    ((set[kind] ?? []) as Record<string, unknown>[]).map((r) => ({
      kind,
      id: r.id as string,
      file: r.file as string,
      resource: r.resource as Record<string, unknown>,
      channelRefs: (r.channelRefs ?? []) as string[],
    }));
  return {
    channels: pick('channels'),
    logMetrics: pick('logMetrics'),
    sinks: pick('sinks'),
    policies: pick('policies'),
  };
}
