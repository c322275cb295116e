import test, { type ExecutionContext } from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { type IngestPoisonCode, IngestPoisonError } from '../../../alerts/ingest/errors.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import {
  eventarcEvent,
  INCIDENT_LOG_MATCH,
  INCIDENT_METRIC_CLOSED,
  INCIDENT_METRIC_OPEN,
  INCIDENT_MINIMAL_BASE64,
  INCIDENT_TEST,
  pubsubMessage,
} from './fixtures/gcp-formats.js';

const ingest = (data: string | Buffer, messageId?: string): IncomingAlert =>
  normalise(decodeEnvelope(eventarcEvent({ data, ...(messageId ? { messageId } : {}) })));

/** The metric-threshold fixture with `edit` applied to its incident. */
function incident(edit: (i: Record<string, unknown>) => void, from = INCIDENT_METRIC_OPEN): string {
  const body = JSON.parse(from);
  edit(body.incident);
  return JSON.stringify(body);
}

function poison(t: ExecutionContext, data: string): IngestPoisonError {
  return t.throws(() => normalise(pubsubMessage(data)), {
    instanceOf: IngestPoisonError,
  }) as IngestPoisonError;
}

test('monitoring incident: the open metric-threshold fixture normalises to a firing alert with every label and annotation', (t) => {
  t.deepEqual(ingest(INCIDENT_METRIC_OPEN), {
    source: 'monitoring',
    dedupeKey: 'monitoring:0.nz2jrw4lq8vd:open',
    lifecycleId: 'monitoring:0.nz2jrw4lq8vd',
    status: 'firing',
    labels: {
      team: 'ml-platform',
      route: 'page',
      resource_type: 'cloud_run_revision',
      resource_project_id: 'my-proj',
      resource_service_name: 'infer',
      resource_revision_name: 'infer-00042-abc',
      resource_location: 'us-central1',
      resource_configuration_name: 'infer',
      metric_type: 'run.googleapis.com/request_count',
      metric_response_code_class: '5xx',
      condition: '5xx ratio',
      monitoring_severity: 'Critical',
      alertname: 'infer 5xx ratio > 5%',
      severity: 'critical',
    },
    annotations: {
      summary:
        'Request Count for my-proj infer with metric labels {response_code_class=5xx} is above the threshold of 0.050 with a value of 0.073.',
      url: 'https://console.cloud.google.com/monitoring/alerting/incidents/0.nz2jrw4lq8vd?project=my-proj',
      description: 'Runbook: check revision infer-00042-abc.',
      subject: '[CRIT] infer 5xx',
      runbook_url: 'https://example.com/runbooks/infer-5xx',
      observed: '0.073',
      threshold: '0.05',
      incident_id: '0.nz2jrw4lq8vd',
    },
    startsAt: 1714564800 * 1000,
    endsAt: null,
  });
});

test('monitoring incident: the closed variant normalises to resolved with endsAt, the same lifecycle and its own dedupe key', (t) => {
  const open = ingest(INCIDENT_METRIC_OPEN);
  const closed = ingest(INCIDENT_METRIC_CLOSED);
  t.like(closed, {
    status: 'resolved',
    dedupeKey: 'monitoring:0.nz2jrw4lq8vd:closed',
    lifecycleId: open.lifecycleId,
    startsAt: 1714564800 * 1000,
    endsAt: 1714566600 * 1000,
  });
  t.deepEqual(closed.labels, open.labels);
  t.regex(closed.annotations.summary ?? '', /returned to normal/);
});

test('monitoring incident: the log-match fixture normalises with its resource labels, no metric and the no-severity default', (t) => {
  const alert = ingest(INCIDENT_LOG_MATCH);
  t.deepEqual(alert.labels, {
    resource_type: 'k8s_container',
    resource_cluster_name: 'autopilot-cluster-2',
    resource_container_name: 'frontend',
    resource_location: 'us-central1',
    resource_namespace_name: 'frontend',
    resource_pod_name: 'frontend-885b7ff57-mdfgp',
    resource_project_id: 'hpb-bank-of-anthos',
    condition: 'Log match condition',
    alertname: 'Get Version Alert',
    severity: 'warning',
  });
  t.like(alert, {
    dedupeKey: 'monitoring:0.mybdstmr76pg:open',
    status: 'firing',
    startsAt: 1686076691000,
    endsAt: null,
  });
  t.like(alert.annotations, {
    description: 'Get Version Alert',
    url: 'https://console.cloud.google.com/monitoring/alerting/incidents/0.mybdstmr76pg?project=hpb-bank-of-anthos',
  });
  t.false('observed' in alert.annotations);
});

test('monitoring incident: a test notification (version "test", state "OPEN") fires once per message, starting at its publish time', (t) => {
  const first = ingest(INCIDENT_TEST, '700');
  t.like(first, {
    dedupeKey: 'monitoring:test:700:open',
    lifecycleId: null,
    status: 'firing',
    startsAt: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
    endsAt: null,
  });
  t.like(first.labels, {
    alertname: 'projects/12345/alertPolicies/12345',
    severity: 'warning',
    example: 'label',
    resource_example: 'label',
    metric_example: 'label',
  });
  t.like(first.annotations, {
    summary: 'Test Incident',
    description: 'Test documentation',
    test_notification: 'true',
  });
  t.not(ingest(INCIDENT_TEST, '701').dedupeKey, first.dedupeKey);
});

test('monitoring incident: the minimal fixture (§3) is INGEST_ERR_FIELD_MISSING naming incident.started_at', (t) => {
  const err = poison(t, Buffer.from(INCIDENT_MINIMAL_BASE64, 'base64').toString());
  t.is(err.code, 'INGEST_ERR_FIELD_MISSING');
  t.is(err.field, 'incident.started_at');
});

for (const endedAt of [null, 'null', 0, undefined]) {
  test(`monitoring incident: an open incident with ended_at ${JSON.stringify(endedAt) ?? 'absent'} has no end`, (t) => {
    const alert = ingest(incident((i) => (i.ended_at = endedAt)));
    t.is(alert.status, 'firing');
    t.is(alert.endsAt, null);
  });
}

test('monitoring incident: a closed incident with ended_at "null" normalises to resolved, without an end', (t) => {
  const alert = ingest(incident((i) => (i.ended_at = 'null'), INCIDENT_METRIC_CLOSED));
  t.is(alert.status, 'resolved');
  t.is(alert.endsAt, null);
  t.is(alert.dedupeKey, 'monitoring:0.nz2jrw4lq8vd:closed');
});

for (const [state, status] of [
  ['OPEN', 'firing'],
  ['Open', 'firing'],
  ['CLOSED', 'resolved'],
  ['closed', 'resolved'],
] as const) {
  test(`monitoring incident: state ${state} is ${status}, with the state lower-cased in the dedupe key`, (t) => {
    const alert = ingest(incident((i) => (i.state = state), INCIDENT_METRIC_CLOSED));
    t.is(alert.status, status);
    t.true(alert.dedupeKey.endsWith(`:${state.toLowerCase()}`));
  });
}

const SEVERITIES: [unknown, string | undefined, string][] = [
  ['Critical', undefined, 'critical'],
  ['CRITICAL', undefined, 'critical'],
  ['Error', undefined, 'warning'],
  ['warning', undefined, 'warning'],
  ['no severity', undefined, 'warning'],
  [undefined, undefined, 'warning'],
  [null, 'info', 'info'],
  ['No Severity', 'critical', 'critical'],
  ['SEVERITY_UNSPECIFIED', 'bogus', 'warning'],
  ['Error', 'critical', 'warning'],
  ['urgent', undefined, 'warning'],
];
for (const [severity, label, expected] of SEVERITIES) {
  test(`monitoring incident: severity ${JSON.stringify(severity) ?? 'absent'} with user label severity ${label ?? 'absent'} maps to ${expected}`, (t) => {
    const alert = ingest(
      incident((i) => {
        i.severity = severity;
        i.policy_user_labels = label === undefined ? {} : { severity: label };
      }),
    );
    t.is(alert.labels.severity, expected);
    if (typeof severity === 'string') t.is(alert.labels.monitoring_severity, severity);
    else t.false('monitoring_severity' in alert.labels);
  });
}

test('monitoring incident: user labels cannot replace alertname or severity', (t) => {
  const alert = ingest(
    incident((i) => (i.policy_user_labels = { alertname: 'spoof', severity: 'info', team: 'a' })),
  );
  t.like(alert.labels, { alertname: 'infer 5xx ratio > 5%', severity: 'critical', team: 'a' });
});

test('monitoring incident: camelCase incident fields and second times as digit strings read like the documented ones', (t) => {
  const camel = incident((i) => {
    i.incidentId = i.incident_id;
    i.startedAt = String(i.started_at);
    i.endedAt = i.ended_at;
    i.policyName = i.policy_name;
    i.policyUserLabels = i.policy_user_labels;
    i.conditionName = i.condition_name;
    for (const k of [
      'incident_id',
      'started_at',
      'ended_at',
      'policy_name',
      'policy_user_labels',
      'condition_name',
    ]) {
      delete i[k];
    }
  }, INCIDENT_METRIC_CLOSED);
  t.deepEqual(ingest(camel), ingest(INCIDENT_METRIC_CLOSED));
});

test('monitoring incident: without a policy name the condition name is the alertname', (t) => {
  const alert = ingest(incident((i) => delete i.policy_name));
  t.is(alert.labels.alertname, '5xx ratio');
});

test('monitoring incident: a documentation link that is not a runbook gives no runbook_url', (t) => {
  const alert = ingest(
    incident((i) => {
      i.documentation = {
        content: 'x',
        links: [{ displayName: 'Dashboard', url: 'https://example.com/d' }],
      };
    }),
  );
  t.false('runbook_url' in alert.annotations);
  t.is(alert.annotations.description, 'x');
});

test('monitoring incident: malformed explanatory fields are ignored, never poison', (t) => {
  const alert = ingest(
    incident((i) => {
      i.summary = 42;
      i.url = {};
      i.documentation = [1, 2];
      i.observed_value = null;
    }),
  );
  t.is(alert.annotations.summary, 'infer 5xx ratio > 5% is open');
  for (const k of ['url', 'description', 'observed']) t.false(k in alert.annotations, k);
});

const INVALID: [string, (i: Record<string, unknown>) => void, IngestPoisonCode, string][] = [
  [
    'ended_at before started_at',
    (i) => (i.ended_at = 1714564799),
    'INGEST_ERR_FIELD_INVALID',
    'incident.ended_at',
  ],
  [
    'a fractional started_at',
    (i) => (i.started_at = 1714564800.5),
    'INGEST_ERR_FIELD_INVALID',
    'incident.started_at',
  ],
  [
    'a negative ended_at',
    (i) => (i.ended_at = -1),
    'INGEST_ERR_FIELD_INVALID',
    'incident.ended_at',
  ],
  [
    'state "acknowledged"',
    (i) => (i.state = 'acknowledged'),
    'INGEST_ERR_FIELD_INVALID',
    'incident.state',
  ],
  ['no state', (i) => delete i.state, 'INGEST_ERR_FIELD_MISSING', 'incident.state'],
  [
    'a numeric incident_id',
    (i) => (i.incident_id = 7),
    'INGEST_ERR_FIELD_INVALID',
    'incident.incident_id',
  ],
  ['a numeric severity', (i) => (i.severity = 3), 'INGEST_ERR_FIELD_INVALID', 'incident.severity'],
  [
    'a resource label that is a number',
    (i) => (i.resource = { type: 'x', labels: { a: 1 } }),
    'INGEST_ERR_FIELD_INVALID',
    'incident.resource.labels.a',
  ],
  [
    'user labels as an array',
    (i) => (i.policy_user_labels = ['a']),
    'INGEST_ERR_FIELD_INVALID',
    'incident.policy_user_labels',
  ],
  [
    'neither policy nor condition name',
    (i) => {
      delete i.policy_name;
      delete i.condition_name;
      delete i.condition;
    },
    'INGEST_ERR_FIELD_MISSING',
    'incident.policy_name',
  ],
];
for (const [name, edit, code, field] of INVALID) {
  test(`monitoring incident: ${name} is ${code} naming ${field}`, (t) => {
    const err = poison(t, incident(edit));
    t.is(err.code, code);
    t.is(err.field, field);
    t.is(err.messageId, '11937951452598386');
  });
}

test('monitoring incident: an unknown schema version is INGEST_ERR_FIELD_INVALID naming version', (t) => {
  const body = JSON.parse(INCIDENT_METRIC_OPEN);
  body.version = '1.3';
  const err = poison(t, JSON.stringify(body));
  t.is(err.code, 'INGEST_ERR_FIELD_INVALID');
  t.regex(
    err.message,
    /field version is "1\.3"; expected the notification schema "1\.2" or "test"/,
  );
});
