/**
 * The two sides of a comparison made alike: a definition and what the API returns are each
 * turned into canonical proto3 JSON (proto-json.ts), the fields the server owns are left out of
 * both, and the defaults the server fills in for a field a write leaves out are filled into the
 * definition. What differs after that is what an update has to change.
 *
 * Server-owned: every field marked OUTPUT_ONLY in the protos (a sink's writerIdentity,
 * createTime, updateTime), and per kind the ones the protos do not mark: the names Monitoring
 * assigns (a channel's or policy's `name`, each condition's `name`), its records
 * (creationRecord, mutationRecord(s)), a policy's `validity`, a channel's verificationStatus, a
 * log metric's descriptor name and type, and the deprecated version fields.
 *
 * Server defaults: a policy or channel without `enabled` is enabled; a log metric's descriptor
 * is DELTA INT64 with unit "1" unless the definition says otherwise (Logging's documented
 * defaults for a counter metric).
 *
 * Server rewrites, made on both sides, only where the API is known to make them:
 * - Logging stores a filter without its surrounding whitespace: a sink's `filter`, each of its
 *   `exclusions[].filter` (the Google Terraform provider suppresses exactly these differences
 *   for sinks) and a log metric's `filter`. So a filter written as a YAML `|` block, which ends
 *   in a newline, compares equal to what Logging returns. Monitoring's filters (a policy
 *   condition's) are compared as written: Monitoring is not known to trim them.
 * - A log metric's `metricDescriptor.labels` is a set to Logging, which returns it in an order
 *   of its own: both sides are sorted by key. (`labelExtractors` is a map, compared by key.)
 */
import type { ProtoSchema } from './proto-json.js';
import { toProto3Json } from './proto-json.js';

export const RESOURCE_KINDS = ['sink', 'logMetric', 'channel', 'policy'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

type Json = Record<string, unknown>;

interface KindSpec {
  /** The proto message. */
  readonly type: string;
  /** Server-owned fields the protos do not mark OUTPUT_ONLY: `a.b`, `list[].field`. */
  readonly serverOwned: readonly string[];
  /** Fills in what the server would for fields a write leaves out. */
  readonly defaults: (json: Json) => Json;
  /** Rewrites a value as the server would store it (both sides; see above). */
  readonly rewrite: (json: Json) => Json;
}

const asIs = (json: Json): Json => json;

/** `json` with the string at `key` trimmed, when there is one. */
function trimmedAt(json: Json, key: string): Json {
  const value = json[key];
  return typeof value === 'string' ? { ...json, [key]: value.trim() } : json;
}

function sinkAsStored(json: Json): Json {
  const out = trimmedAt(json, 'filter');
  return Array.isArray(out.exclusions)
    ? { ...out, exclusions: (out.exclusions as Json[]).map((x) => trimmedAt(x, 'filter')) }
    : out;
}

/** Code-unit order of `key`, so the order does not depend on the locale. */
function byKey(a: Json, b: Json): number {
  const [x, y] = [String(a.key ?? ''), String(b.key ?? '')];
  return x < y ? -1 : x > y ? 1 : 0;
}

function logMetricAsStored(json: Json): Json {
  const out = trimmedAt(json, 'filter');
  const d = out.metricDescriptor as Json | undefined;
  if (d === undefined || !Array.isArray(d.labels)) return out;
  const labels = [...(d.labels as Json[])].sort(byKey);
  return { ...out, metricDescriptor: { ...d, labels } };
}

const enabledByDefault = (json: Json): Json =>
  json.enabled === undefined ? { ...json, enabled: true } : json;

function metricDescriptorDefaults(json: Json): Json {
  const d = { ...((json.metricDescriptor as Json | undefined) ?? {}) };
  d.metricKind ??= 'DELTA';
  d.valueType ??= 'INT64';
  if (d.valueType === 'INT64') d.unit ??= '1';
  return { ...json, metricDescriptor: d };
}

export const KINDS: Readonly<Record<ResourceKind, KindSpec>> = {
  sink: {
    type: 'google.logging.v2.LogSink',
    serverOwned: ['outputVersionFormat'],
    defaults: asIs,
    rewrite: sinkAsStored,
  },
  logMetric: {
    type: 'google.logging.v2.LogMetric',
    serverOwned: ['version', 'metricDescriptor.name', 'metricDescriptor.type'],
    defaults: metricDescriptorDefaults,
    rewrite: logMetricAsStored,
  },
  channel: {
    type: 'google.monitoring.v3.NotificationChannel',
    serverOwned: ['name', 'verificationStatus', 'creationRecord', 'mutationRecords'],
    defaults: enabledByDefault,
    rewrite: asIs,
  },
  policy: {
    type: 'google.monitoring.v3.AlertPolicy',
    serverOwned: ['name', 'creationRecord', 'mutationRecord', 'validity', 'conditions[].name'],
    defaults: enabledByDefault,
    rewrite: asIs,
  },
};

/** `json` of message `type` without its OUTPUT_ONLY fields, at any depth. */
function withoutOutputOnly(schema: ProtoSchema, type: string, json: Json): Json {
  const msg = schema.message(type);
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const field = msg.fields.get(key);
    if (field === undefined || field.outputOnly) continue;
    const nested =
      field.kind === 'message' && !field.type.startsWith('google.protobuf.')
        ? (x: unknown) => withoutOutputOnly(schema, field.type, x as Json)
        : null;
    if (nested === null) out[key] = value;
    else if (field.mapKey !== null) {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, x]) => [k, nested(x)]));
    } else if (field.repeated) out[key] = (value as unknown[]).map(nested);
    else out[key] = nested(value);
  }
  return out;
}

/** `json` without the field at `path` (`a.b`, `list[].field`). */
function without(json: Json, path: string): Json {
  const [head, ...rest] = path.split('.');
  const key = (head as string).replace(/\[\]$/, '');
  if (!(key in json)) return json;
  const out = { ...json };
  if (rest.length === 0) {
    delete out[key];
    return out;
  }
  const tail = rest.join('.');
  const value = out[key];
  out[key] = (head as string).endsWith('[]')
    ? (value as Json[]).map((x) => without(x, tail))
    : without(value as Json, tail);
  return out;
}

/** `resource` as canonical proto3 JSON, without what the server owns, as the server stores it. */
function canonical(schema: ProtoSchema, kind: ResourceKind, resource: Readonly<Json>): Json {
  const spec = KINDS[kind];
  const json = toProto3Json(schema, spec.type, resource);
  return spec.rewrite(spec.serverOwned.reduce(without, withoutOutputOnly(schema, spec.type, json)));
}

/** A definition's resource, as it would read back once the server has stored it. */
export function normaliseDesired(
  schema: ProtoSchema,
  kind: ResourceKind,
  resource: Readonly<Json>,
): Json {
  return KINDS[kind].defaults(canonical(schema, kind, resource));
}

/** What the API returned (a client response object), without what the server owns. */
export function normaliseActual(
  schema: ProtoSchema,
  kind: ResourceKind,
  resource: Readonly<Json>,
): Json {
  return canonical(schema, kind, resource);
}
