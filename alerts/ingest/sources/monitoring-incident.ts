/**
 * A Cloud Monitoring incident notification from a Pub/Sub notification channel (gcp-formats.md
 * §3): `{version, incident}`, schema `"1.2"` or `"test"` (the console's *Send test
 * notification*). Keys inside `incident` are snake_case, `condition` is camelCase; each field is
 * read under its documented spelling first and the other one second (`incident_id`, then
 * `incidentId`), and states and severities in any case.
 *
 * Read strictly (poison when wrong): `version`, `incident_id`, `state` (open | closed),
 * `started_at` and `ended_at` (epoch seconds: an integer or a string of digits; `ended_at` null,
 * `"null"` or 0 means not ended; `started_at` 0, as in test notifications, means unknown and
 * takes the publish time), `severity` (a string when present), and the label maps (resource,
 * metric, policy user labels). Everything else only explains and is taken when well-typed.
 *
 * | incident | alert |
 * |---|---|
 * | state open / closed | status firing / resolved |
 * | `started_at` × 1000 | `startsAt` |
 * | `ended_at` × 1000 when closed | `endsAt` (null while firing, and when a closed incident has none) |
 * | `policy_name` (else the condition's display name) | label `alertname` |
 * | `severity` (below) | label `severity`; the original in `monitoring_severity` |
 * | `policy_user_labels` | labels as they are: the routing hook |
 * | `resource.type`, `resource.labels` | `resource_type`, `resource_<key>` |
 * | `metric.type`, `metric.labels` | `metric_type`, `metric_<key>` |
 * | `condition_name` | label `condition` |
 * | `summary`, `url`, `documentation.content`/`.subject`, a runbook link, `observed_value`, `threshold_value`, `incident_id` | annotations `summary`, `url`, `description`, `subject`, `runbook_url`, `observed`, `threshold`, `incident_id` |
 *
 * Severity: Monitoring's CRITICAL is `critical`; ERROR and WARNING are `warning` (a person is
 * paged only when the policy says critical); no severity ("no severity", SEVERITY_UNSPECIFIED,
 * absent) takes a policy user label `severity` when it is one of ours, else `warning` (the policy
 * was written to notify someone); an unknown level is `warning` too, kept in `monitoring_severity`.
 * Our own labels win over user labels of the same name.
 *
 * Identity: `monitoring:<incident_id>:<open|closed>` and lifecycle `monitoring:<incident_id>` (an
 * incident, once closed, never reopens). A test notification always carries the same made-up
 * incident (`12345`), so its identity is its message instead, `monitoring:test:<messageId>:<state>`,
 * without a lifecycle: every test sent from the console arrives once.
 */
import type { IncomingAlert, PubSubMessage, Severity } from '../../types.js';
import {
  defined,
  identifier,
  invalid,
  isObject,
  type Json,
  MAX_LABEL_VALUE_CHARS,
  missing,
  optionalNumberText,
  optionalText,
  own,
  prefixed,
  storable,
  stringMap,
  type Where,
} from '../fields.js';

export const MONITORING_VERSIONS = ['1.2', 'test'] as const;

/** Monitoring's policy severities (lower case) onto ours; absent means "no severity". */
export const MONITORING_SEVERITY: Readonly<Record<string, Severity | undefined>> = {
  critical: 'critical',
  error: 'warning',
  warning: 'warning',
  'no severity': undefined,
  severity_unspecified: undefined,
  '': undefined,
};
const OURS: readonly Severity[] = ['critical', 'warning', 'info'];
/** What an incident whose policy says nothing about severity is. */
export const MONITORING_DEFAULT_SEVERITY: Severity = 'warning';

// Epoch seconds up to the end of year 9999.
const MAX_EPOCH_SECONDS = 253_402_300_799;

/** Whether a payload looks like a Monitoring notification (the classifier's test). */
export function isMonitoringIncident(body: Json): boolean {
  return own(body, 'incident') !== undefined;
}

/** `object[snake]`, else `object[camel]`; the key found, or the documented one when neither is. */
function read(object: Json, snake: string, camel?: string): { value: unknown; key: string } {
  const value = own(object, snake);
  const other = value !== undefined || camel === undefined ? undefined : own(object, camel);
  return other === undefined ? { value, key: snake } : { value: other, key: camel as string };
}

/** Epoch seconds (an integer, or a string of digits) as ms; null for "not set" when allowed. */
function epochSeconds(
  where: Where,
  value: unknown,
  field: string,
  unset: 'null-allowed' | 'required',
): number | null {
  const expected =
    unset === 'null-allowed'
      ? 'epoch seconds (an integer), or null, "null" or 0 while not ended'
      : 'epoch seconds (an integer)';
  if (value === undefined || value === null || value === 'null') {
    if (unset === 'null-allowed') return null;
    throw missing(where, field, expected);
  }
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^[0-9]{1,12}$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_EPOCH_SECONDS) {
    throw invalid(where, field, value, expected);
  }
  if (seconds === 0 && unset === 'null-allowed') return null;
  return seconds * 1000;
}

function severityOf(
  where: Where,
  incident: Json,
  userLabels: Readonly<Record<string, string>>,
): { severity: Severity; original: string | undefined } {
  const { value, key } = read(incident, 'severity');
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw invalid(where, `incident.${key}`, value, 'a severity name such as "Critical"');
  }
  const original =
    typeof value === 'string' ? storable(value.trim(), MAX_LABEL_VALUE_CHARS) : undefined;
  const name = (original ?? '').toLowerCase();
  const mapped = Object.hasOwn(MONITORING_SEVERITY, name)
    ? MONITORING_SEVERITY[name]
    : MONITORING_DEFAULT_SEVERITY;
  const fromLabel = (userLabels.severity ?? '').toLowerCase() as Severity;
  const severity = mapped ?? (OURS.includes(fromLabel) ? fromLabel : MONITORING_DEFAULT_SEVERITY);
  return { severity, original: original === '' ? undefined : original };
}

/** The first documentation link that names itself a runbook (its display name or its URL). */
function runbookOf(documentation: unknown): string | undefined {
  if (!isObject(documentation)) return undefined;
  const links = own(documentation, 'links');
  if (!Array.isArray(links)) return undefined;
  for (const link of links) {
    if (!isObject(link)) continue;
    const url = optionalText(read(link, 'url').value);
    const name = optionalText(read(link, 'displayName', 'display_name').value) ?? '';
    if (url !== undefined && /runbook/i.test(`${name} ${url}`)) return url;
  }
  return undefined;
}

function documentationOf(documentation: unknown): { content?: string; subject?: string } {
  // The console's test notification sends the documentation as a bare string.
  if (typeof documentation === 'string') {
    const content = optionalText(documentation);
    return content === undefined ? {} : { content };
  }
  if (!isObject(documentation)) return {};
  const content = optionalText(own(documentation, 'content'));
  const subject = optionalText(own(documentation, 'subject'), MAX_LABEL_VALUE_CHARS);
  return {
    ...(content === undefined ? {} : { content }),
    ...(subject === undefined ? {} : { subject }),
  };
}

export function parseMonitoringIncident(body: Json, message: PubSubMessage): IncomingAlert {
  const where: Where = { what: 'monitoring incident', messageId: message.messageId };
  const version = own(body, 'version');
  if (version === undefined || version === null) {
    throw missing(where, 'version', 'the notification schema, "1.2" or "test"');
  }
  if (!MONITORING_VERSIONS.includes(version as (typeof MONITORING_VERSIONS)[number])) {
    throw invalid(where, 'version', version, 'the notification schema "1.2" or "test"');
  }
  const isTest = version === 'test';
  const incident = own(body, 'incident');
  if (!isObject(incident)) {
    throw invalid(where, 'incident', incident, 'an object (the incident)');
  }
  const f = (snake: string, camel?: string) => {
    const { value, key } = read(incident, snake, camel);
    return { value, field: `incident.${key}` };
  };

  const id = f('incident_id', 'incidentId');
  const incidentId = identifier(where, id.value, id.field, 'the incident id');

  const stateField = f('state');
  if (stateField.value === undefined || stateField.value === null) {
    throw missing(where, stateField.field, '"open" or "closed"');
  }
  const state = typeof stateField.value === 'string' ? stateField.value.toLowerCase() : undefined;
  if (state !== 'open' && state !== 'closed') {
    throw invalid(where, stateField.field, stateField.value, '"open" or "closed", in any case');
  }

  const started = f('started_at', 'startedAt');
  const startedMs = epochSeconds(where, started.value, started.field, 'required') as number;
  const ended = f('ended_at', 'endedAt');
  const endedMs = epochSeconds(where, ended.value, ended.field, 'null-allowed');
  if (endedMs !== null && startedMs > 0 && endedMs < startedMs) {
    throw invalid(
      where,
      ended.field,
      ended.value,
      `a time at or after started_at (${startedMs / 1000})`,
    );
  }
  const startsAt = startedMs === 0 ? message.publishTime : startedMs;

  const userLabelsField = f('policy_user_labels', 'policyUserLabels');
  const userLabels = stringMap(where, userLabelsField.value, userLabelsField.field);
  const { severity, original } = severityOf(where, incident, userLabels);

  const resource = f('resource').value;
  if (resource !== undefined && resource !== null && !isObject(resource)) {
    throw invalid(where, 'incident.resource', resource, 'an object {type, labels} (the resource)');
  }
  const resourceLabels = isObject(resource)
    ? stringMap(where, own(resource, 'labels'), 'incident.resource.labels')
    : {};
  const metric = f('metric').value;
  if (metric !== undefined && metric !== null && !isObject(metric)) {
    throw invalid(where, 'incident.metric', metric, 'an object {type, displayName, labels}');
  }
  const metricLabels = isObject(metric)
    ? stringMap(where, own(metric, 'labels'), 'incident.metric.labels')
    : {};

  const condition = f('condition').value;
  const conditionName =
    optionalText(f('condition_name', 'conditionName').value, MAX_LABEL_VALUE_CHARS) ??
    (isObject(condition)
      ? optionalText(read(condition, 'displayName', 'display_name').value, MAX_LABEL_VALUE_CHARS)
      : undefined);
  const alertname =
    optionalText(f('policy_name', 'policyName').value, MAX_LABEL_VALUE_CHARS) ?? conditionName;
  if (alertname === undefined) {
    throw missing(where, 'incident.policy_name', 'the policy name (or a condition name)');
  }

  const documentation = documentationOf(f('documentation').value);
  const status = state === 'open' ? 'firing' : 'resolved';
  return {
    source: 'monitoring',
    dedupeKey: isTest
      ? `monitoring:test:${message.messageId}:${state}`
      : `monitoring:${incidentId}:${state}`,
    lifecycleId: isTest ? null : `monitoring:${incidentId}`,
    status,
    labels: defined([
      ...Object.entries(userLabels),
      [
        'resource_type',
        isObject(resource) ? optionalText(own(resource, 'type'), MAX_LABEL_VALUE_CHARS) : undefined,
      ],
      ...prefixed('resource_', resourceLabels),
      [
        'metric_type',
        isObject(metric) ? optionalText(own(metric, 'type'), MAX_LABEL_VALUE_CHARS) : undefined,
      ],
      ...prefixed('metric_', metricLabels),
      ['condition', conditionName],
      ['monitoring_severity', original],
      ['alertname', alertname],
      ['severity', severity],
    ]),
    annotations: defined([
      ['summary', optionalText(f('summary').value) ?? `${alertname} is ${state}`],
      ['url', optionalText(f('url').value, MAX_LABEL_VALUE_CHARS)],
      ['description', documentation.content],
      ['subject', documentation.subject],
      ['runbook_url', runbookOf(f('documentation').value)],
      ['observed', optionalNumberText(f('observed_value', 'observedValue').value)],
      ['threshold', optionalNumberText(f('threshold_value', 'thresholdValue').value)],
      ['incident_id', incidentId],
      ['test_notification', isTest ? 'true' : undefined],
    ]),
    startsAt,
    endsAt: status === 'resolved' ? endedMs : null,
  };
}
