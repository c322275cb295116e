/**
 * Checks a set of definitions and resolves them for one environment, in one pass per definition:
 *
 * 1. a policy's `notificationChannels` are channel definition ids (MONITORING_DEFS_ERR_REFERENCE
 *    for any other), taken out of the resource into `channelRefs`: deploy/apply puts the names
 *    Monitoring gave those channels back into `notificationChannels` when it calls the API;
 * 2. the placeholders are filled from the context (placeholders.ts);
 * 3. a policy's runbook link becomes absolute under `ctx.runbookBaseUrl`, when one is given;
 * 4. the result is walked against its proto (proto-json.ts);
 * 5. and held to the rules the proto cannot express (rules.ts).
 *
 * A definition that fails a step is not taken to the next (its later problems would only echo
 * the first). Across definitions: no two policies or channels share a display name, and log
 * metrics and channels referred to exist. Problems come in definition order (kind, then file).
 */
import { absoluteRunbookUrl, RUNBOOK_DIR } from '../../alerts/runbooks.js';
import { describeValue } from '../../lib/errors.js';
import { MONITORING_DEFS_ERR_REFERENCE, MonitoringDefinitionError } from './errors.js';
import { isRecord, itemPath } from './paths.js';
import { substitutePlaceholders } from './placeholders.js';
import { checkProto3Json } from './proto-json.js';
import { resourceTypes } from './proto-types.js';
import { checkRules, type DefinitionIndex } from './rules.js';
import {
  MONITORING_KINDS,
  type MonitoringContext,
  type MonitoringDefinition,
  type MonitoringDefinitions,
  type MonitoringKind,
  type ResolvedMonitoring,
  type ResolvedResource,
} from './types.js';

/**
 * The environment definitions are checked against when no real one is given (loading, `npm run
 * deploy:validate`): production's MAX_INSTANCES, a made-up project. Resolving for a real
 * environment checks everything again with its values.
 */
export const VALIDATION_CONTEXT: MonitoringContext = {
  project: 'runwatch-example',
  region: 'us-central1',
  environment: 'production',
  serviceName: 'runwatch',
  maxInstances: 10,
};

export interface CheckResult {
  /** Every definition resolved for the context; complete only when `problems` is empty. */
  readonly resolved: ResolvedMonitoring;
  readonly problems: readonly MonitoringDefinitionError[];
}

/** A runbook's repository path (`docs/runbooks/<alertname>.md`), as runbookPath writes it. */
const RUNBOOK_PATH = new RegExp(`^${RUNBOOK_DIR}/[A-Za-z_][A-Za-z0-9_]*\\.md$`);

function reference(file: string, path: string, what: string, expected: string) {
  return new MonitoringDefinitionError(
    MONITORING_DEFS_ERR_REFERENCE,
    file,
    path,
    `${file}: field ${path} ${what}; expected ${expected}`,
  );
}

function indexOf(defs: MonitoringDefinitions): DefinitionIndex {
  return {
    channelIds: new Set(defs.channels.map((d) => d.id)),
    logMetricNames: new Set(
      defs.logMetrics.map((d) => (typeof d.resource.name === 'string' ? d.resource.name : d.id)),
    ),
  };
}

/** A policy's channel refs, and the problems of those that are not channel definition ids. */
function channelRefsOf(def: MonitoringDefinition, index: DefinitionIndex) {
  const raw = def.resource.notificationChannels;
  const problems: MonitoringDefinitionError[] = [];
  const ids = [...index.channelIds].join(', ') || 'none';
  if (raw === undefined) return { refs: [], problems };
  if (!Array.isArray(raw)) {
    problems.push(
      reference(
        def.file,
        'notificationChannels',
        `is ${describeValue(raw)}`,
        `a list of channel definition ids (${ids})`,
      ),
    );
    return { refs: [], problems };
  }
  const refs: string[] = [];
  raw.forEach((ref, i) => {
    if (typeof ref === 'string' && index.channelIds.has(ref)) {
      refs.push(ref);
      return;
    }
    const literal = typeof ref === 'string' && ref.includes('/notificationChannels/');
    problems.push(
      reference(
        def.file,
        itemPath('notificationChannels', i),
        literal
          ? `is the resource name ${JSON.stringify(ref)}`
          : `is ${describeValue(ref)}, which is no channel definition`,
        `a channel definition id of channels/ (${ids})${literal ? ': Monitoring names channels per project' : ''}`,
      ),
    );
  });
  return { refs, problems };
}

/** `documentation.links[].url` runbook paths made absolute under `baseUrl`. */
function absoluteRunbooks(
  resource: Record<string, unknown>,
  baseUrl: string,
): Record<string, unknown> {
  const doc = resource.documentation;
  if (!isRecord(doc) || !Array.isArray(doc.links)) return resource;
  const links = doc.links.map((link) =>
    isRecord(link) && typeof link.url === 'string' && RUNBOOK_PATH.test(link.url)
      ? { ...link, url: absoluteRunbookUrl(link.url, baseUrl) }
      : link,
  );
  return { ...resource, documentation: { ...doc, links } };
}

function checkOne(
  kind: MonitoringKind,
  def: MonitoringDefinition,
  ctx: MonitoringContext,
  index: DefinitionIndex,
): { resolved: ResolvedResource | null; problems: MonitoringDefinitionError[] } {
  const { notificationChannels: _, ...rest } = def.resource;
  const channels = kind === 'policies' ? channelRefsOf(def, index) : { refs: [], problems: [] };
  const raw = kind === 'policies' ? rest : def.resource;
  const substituted = substitutePlaceholders(raw, ctx, def.file);
  const problems = [...channels.problems, ...substituted.problems];
  if (problems.length > 0) return { resolved: null, problems };
  let resource = substituted.value as Record<string, unknown>;
  if (kind === 'policies' && ctx.runbookBaseUrl !== undefined) {
    resource = absoluteRunbooks(resource, ctx.runbookBaseUrl);
  }
  const fields = checkProto3Json(resourceTypes()[kind], resource, def.file);
  if (fields.length > 0) return { resolved: null, problems: fields };
  const rules = checkRules(kind, def, resource, channels.refs, ctx, index);
  return {
    resolved: { kind, id: def.id, file: def.file, resource, channelRefs: channels.refs },
    problems: rules,
  };
}

/** Display names shared by two definitions of one kind. */
function duplicates(kind: MonitoringKind, defs: readonly MonitoringDefinition[]) {
  const seen = new Map<string, string>();
  const problems: MonitoringDefinitionError[] = [];
  for (const def of defs) {
    const name = def.resource.displayName;
    if (typeof name !== 'string') continue;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, def.file);
    else {
      problems.push(
        reference(
          def.file,
          'displayName',
          `is ${JSON.stringify(name)}, as in ${first}`,
          `a display name no other ${kind === 'policies' ? 'policy' : 'channel'} has: the deploy finds ${kind} by it`,
        ),
      );
    }
  }
  return problems;
}

/** Checks every definition against `ctx` (default `VALIDATION_CONTEXT`) and resolves it. */
export function checkMonitoringDefinitions(
  defs: MonitoringDefinitions,
  ctx: MonitoringContext = VALIDATION_CONTEXT,
): CheckResult {
  const index = indexOf(defs);
  const problems: MonitoringDefinitionError[] = [];
  const resolved: Record<MonitoringKind, ResolvedResource[]> = {
    channels: [],
    logMetrics: [],
    sinks: [],
    policies: [],
  };
  for (const kind of MONITORING_KINDS) {
    for (const def of defs[kind]) {
      const one = checkOne(kind, def, ctx, index);
      problems.push(...one.problems);
      if (one.resolved !== null) resolved[kind].push(one.resolved);
    }
    if (kind === 'policies' || kind === 'channels') problems.push(...duplicates(kind, defs[kind]));
  }
  return { resolved, problems };
}
