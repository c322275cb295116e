/**
 * Every definition checked and turned into what its API takes, before the first call: nothing
 * is changed unless every definition can be sent. A resource that does not convert to its proto
 * (proto-json.ts), a channel or policy without a displayName or with a definition id that is not
 * a label value, a sink or log metric without a usable name, two definitions of one kind with
 * the same identity, and a policy channelRef no channel definition declares are each one
 * problem; all are thrown together as DEPLOY_APPLY_ERR_DEFINITIONS_INVALID.
 *
 * Channels and policies get the labels apply recognises them by (ownership.ts); a policy's
 * notificationChannels are filled from its channelRefs when the channels are known (monitoring.ts).
 */
import type { MonitoringKind, ResolvedMonitoring, ResolvedResource } from '../monitoring/types.js';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID, DeployApplyError } from './errors.js';
import { KINDS, type ResourceKind } from './normalise.js';
import { ID_LABEL, isLabelValue, MANAGED_BY, MANAGED_BY_LABEL } from './ownership.js';
import { type ProtoSchema, toProto3Json } from './proto-json.js';

type Json = Record<string, unknown>;

export interface PreparedResource {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly file: string;
  /** What identifies it in the project: a sink's or metric's name, a channel's or policy's displayName. */
  readonly key: string;
  /** The resource in canonical proto3 JSON, labels added (policies: channels still to fill). */
  readonly body: Json;
  readonly channelRefs: readonly string[];
}

export type PreparedMonitoring = Readonly<Record<ResourceKind, readonly PreparedResource[]>>;

const KIND_OF: Readonly<Record<MonitoringKind, ResourceKind>> = {
  sinks: 'sink',
  logMetrics: 'logMetric',
  channels: 'channel',
  policies: 'policy',
};

const SINK_ID = /^[A-Za-z0-9_.-]{1,100}$/;
const METRIC_ID = /^[A-Za-z0-9_.\-/]{1,100}$/;

function identity(kind: ResourceKind, body: Json, problems: string[], where: string): string {
  if (kind === 'sink' || kind === 'logMetric') {
    const raw = typeof body.name === 'string' ? body.name : '';
    const short = raw.replace(/^projects\/[^/]+\/(sinks|metrics)\//, '');
    const pattern = kind === 'sink' ? SINK_ID : METRIC_ID;
    if (!pattern.test(short)) {
      problems.push(
        `${where}: field name is ${JSON.stringify(body.name)}; expected a ${kind === 'sink' ? 'sink' : 'log metric'} id (letters, digits, _ . -${kind === 'logMetric' ? ' /' : ''}; at most 100)`,
      );
    }
    return short;
  }
  if (typeof body.displayName !== 'string' || body.displayName === '') {
    problems.push(
      `${where}: field displayName is ${JSON.stringify(body.displayName)}; expected the name apply finds it by`,
    );
    return '';
  }
  return body.displayName;
}

function prepareOne(
  schema: ProtoSchema,
  kind: ResourceKind,
  r: ResolvedResource,
  problems: string[],
): PreparedResource | null {
  const where = r.file;
  let body: Json;
  try {
    body = toProto3Json(schema, KINDS[kind].type, r.resource);
  } catch (e) {
    problems.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  const key = identity(kind, body, problems, where);
  if (kind === 'sink' || kind === 'logMetric') body = { ...body, name: key };
  if (kind === 'channel' || kind === 'policy') {
    if (!isLabelValue(r.id)) {
      problems.push(
        `${where}: definition id ${JSON.stringify(r.id)} cannot be the ${ID_LABEL} label; expected lowercase letters, digits, - and _, starting with a letter, at most 63`,
      );
    }
    body = {
      ...body,
      userLabels: {
        ...((body.userLabels as Json | undefined) ?? {}),
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [ID_LABEL]: r.id,
      },
    };
  }
  return { kind, id: r.id, file: r.file, key, body, channelRefs: r.channelRefs };
}

/** Throws DEPLOY_APPLY_ERR_DEFINITIONS_INVALID with every problem found. */
export function prepareMonitoring(
  schema: ProtoSchema,
  resolved: ResolvedMonitoring,
): PreparedMonitoring {
  const problems: string[] = [];
  const out = { sink: [], logMetric: [], channel: [], policy: [] } as Record<
    ResourceKind,
    PreparedResource[]
  >;
  for (const [group, kind] of Object.entries(KIND_OF) as [MonitoringKind, ResourceKind][]) {
    const seen = new Map<string, string>();
    for (const r of resolved[group]) {
      const p = prepareOne(schema, kind, r, problems);
      if (p === null) continue;
      for (const [what, value] of [
        ['id', p.id],
        [kind === 'sink' || kind === 'logMetric' ? 'name' : 'displayName', p.key],
      ] as const) {
        const first = seen.get(`${what}:${value}`);
        if (first !== undefined && value !== '') {
          problems.push(`${p.file}: ${what} ${JSON.stringify(value)} is also ${first}'s`);
        }
        seen.set(`${what}:${value}`, p.file);
      }
      out[kind].push(p);
    }
  }
  const channelIds = new Set(out.channel.map((c) => c.id));
  for (const p of out.policy) {
    for (const ref of p.channelRefs) {
      if (!channelIds.has(ref)) {
        problems.push(
          `${p.file}: channelRef ${JSON.stringify(ref)} names no channel definition; expected one of ${[...channelIds].join(', ') || '(none)'}`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new DeployApplyError(
      DEPLOY_APPLY_ERR_DEFINITIONS_INVALID,
      400,
      `${problems.length} definition problem${problems.length === 1 ? '' : 's'}; nothing was applied:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  return out;
}
