import test, { type ExecutionContext } from 'ava';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { type IngestPoisonCode, IngestPoisonError } from '../../../alerts/ingest/errors.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import { LOG_TIMESTAMP_ATTRIBUTE } from '../../../alerts/ingest/sources/log-entry.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import {
  eventarcEvent,
  LOGSYNC_STDOUT_LINE,
  pubsubMessage,
  SINK_LOG_ENTRY,
  SINK_PUSH_BODY,
} from './fixtures/gcp-formats.js';

const ATTRIBUTES = { [LOG_TIMESTAMP_ATTRIBUTE]: '2024-05-01T12:00:00.123456Z' };

/** The §6 LogEntry with `edit` applied, as a sink publishes it, through the Eventarc envelope. */
function sink(
  edit: (e: Record<string, unknown>) => void = () => {},
  attributes: Record<string, string> = ATTRIBUTES,
): IncomingAlert {
  const entry = JSON.parse(SINK_LOG_ENTRY);
  edit(entry);
  return normalise(decodeEnvelope(eventarcEvent({ data: JSON.stringify(entry), attributes })));
}

function poison(
  t: ExecutionContext,
  edit: (e: Record<string, unknown>) => void,
): IngestPoisonError {
  const entry = JSON.parse(SINK_LOG_ENTRY);
  edit(entry);
  return t.throws(() => normalise(pubsubMessage(JSON.stringify(entry), ATTRIBUTES)), {
    instanceOf: IngestPoisonError,
  }) as IngestPoisonError;
}

test('log entry: the §6 sink entry (jsonPayload) normalises to a firing alert keyed by log, timestamp and insertId', (t) => {
  t.deepEqual(sink(), {
    source: 'log',
    dedupeKey:
      'log:projects/my-proj/logs/run.googleapis.com%2Fstdout:2024-05-01T12:00:00.123456000Z:65f1c2a9000d3e1b7c4a2f10',
    lifecycleId: null,
    status: 'firing',
    labels: {
      resource_type: 'cloud_run_revision',
      resource_project_id: 'my-proj',
      resource_service_name: 'health-sweeper',
      resource_revision_name: 'health-sweeper-00007-xyz',
      resource_location: 'us-central1',
      resource_configuration_name: 'health-sweeper',
      log: 'run.googleapis.com/stdout',
      log_severity: 'ERROR',
      alertname: 'run.googleapis.com/stdout',
      severity: 'warning',
    },
    annotations: {
      summary: 'upstream /healthz returned 503',
      description:
        '{"message":"upstream /healthz returned 503","target":"infer","status":503,"latencyMs":1250}',
      insert_id: '65f1c2a9000d3e1b7c4a2f10',
      log_name: 'projects/my-proj/logs/run.googleapis.com%2Fstdout',
      http_request: 'GET https://infer-abc123-uc.a.run.app/healthz 503 1.250s',
      trace: 'projects/my-proj/traces/0af7651916cd43dd8448eb211c80319c',
      span_id: '00f067aa0ba902b7',
      label_instanceId: '0069c7a988',
    },
    startsAt: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
    endsAt: null,
  });
});

test('log entry: the promtail push body (§6, a trimmed sample without insertId or logName) is INGEST_ERR_FIELD_MISSING naming insertId', (t) => {
  const message = decodeEnvelope(JSON.parse(SINK_PUSH_BODY));
  t.is(message.attributes[LOG_TIMESTAMP_ATTRIBUTE], '2022-07-25T22:19:09.903683708Z');
  const err = t.throws(() => normalise(message), { instanceOf: IngestPoisonError });
  t.is(err?.code, 'INGEST_ERR_FIELD_MISSING');
  t.is(err?.field, 'insertId');
  t.is(err?.messageId, '5187581549398349');
});

test('log entry: the promtail entry with an insertId and logName added takes its text payload as the summary and the attribute as its time', (t) => {
  const body = JSON.parse(SINK_PUSH_BODY);
  const entry = JSON.parse(Buffer.from(body.message.data, 'base64').toString());
  entry.insertId = 'abc';
  entry.logName = 'projects/wired-height/logs/cloudfunctions.googleapis.com%2Fcloud-functions';
  body.message.data = Buffer.from(JSON.stringify(entry)).toString('base64');
  const alert = normalise(decodeEnvelope(body));
  t.like(alert, {
    status: 'firing',
    startsAt: Date.UTC(2022, 6, 25, 22, 19, 9, 903),
    dedupeKey:
      'log:projects/wired-height/logs/cloudfunctions.googleapis.com%2Fcloud-functions:2022-07-25T22:19:09.903683708Z:abc',
  });
  t.like(alert.labels, {
    alertname: 'cloudfunctions.googleapis.com/cloud-functions',
    severity: 'info',
    log_severity: 'DEBUG',
  });
  t.is(
    alert.annotations.summary,
    'Function execution took 1198 ms. Finished with status code: 200',
  );
  t.false('description' in alert.annotations);
});

test('log entry: a textPayload entry is summarised by its text', (t) => {
  const alert = sink((e) => {
    delete e.jsonPayload;
    e.textPayload = 'Traceback (most recent call last): boom';
  });
  t.is(alert.annotations.summary, 'Traceback (most recent call last): boom');
  t.false('description' in alert.annotations);
});

test('log entry: an audit-log protoPayload is summarised by method, resource, principal and status', (t) => {
  const alert = sink((e) => {
    delete e.jsonPayload;
    e.protoPayload = {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      status: { code: 7, message: 'PERMISSION_DENIED' },
      authenticationInfo: { principalEmail: 'sa@my-proj.iam.gserviceaccount.com' },
      serviceName: 'run.googleapis.com',
      methodName: 'google.cloud.run.v1.Services.ReplaceService',
      resourceName: 'namespaces/my-proj/services/infer',
    };
  });
  t.is(
    alert.annotations.summary,
    'google.cloud.run.v1.Services.ReplaceService namespaces/my-proj/services/infer by sa@my-proj.iam.gserviceaccount.com PERMISSION_DENIED',
  );
  t.is(alert.annotations.payload_type, 'type.googleapis.com/google.cloud.audit.AuditLog');
  t.regex(alert.annotations.description ?? '', /^\{"@type":"type\.googleapis\.com/);
});

test('log entry: an entry without payload is summarised by its HTTP request', (t) => {
  const alert = sink((e) => delete e.jsonPayload);
  t.is(alert.annotations.summary, 'GET https://infer-abc123-uc.a.run.app/healthz 503 1.250s');
});

test('log entry: an entry without payload or request says its severity and log', (t) => {
  const alert = sink((e) => {
    delete e.jsonPayload;
    delete e.httpRequest;
  });
  t.is(alert.annotations.summary, 'ERROR entry in run.googleapis.com/stdout');
});

const SEVERITIES: [unknown, string, string][] = [
  ['DEFAULT', 'DEFAULT', 'info'],
  ['DEBUG', 'DEBUG', 'info'],
  ['INFO', 'INFO', 'info'],
  ['NOTICE', 'NOTICE', 'info'],
  ['WARNING', 'WARNING', 'warning'],
  ['ERROR', 'ERROR', 'warning'],
  ['CRITICAL', 'CRITICAL', 'critical'],
  ['ALERT', 'ALERT', 'critical'],
  ['EMERGENCY', 'EMERGENCY', 'critical'],
  ['critical', 'CRITICAL', 'critical'],
  [600, 'CRITICAL', 'critical'],
  [undefined, 'DEFAULT', 'info'],
];
for (const [given, name, severity] of SEVERITIES) {
  test(`log entry: severity ${JSON.stringify(given) ?? 'absent'} is log_severity ${name}, severity ${severity}`, (t) => {
    const alert = sink((e) => {
      if (given === undefined) delete e.severity;
      else e.severity = given;
    });
    t.is(alert.labels.log_severity, name);
    t.is(alert.labels.severity, severity);
  });
}

test('log entry: the same entry with its timestamp spelt another way has the same dedupe key', (t) => {
  const key = sink().dedupeKey;
  t.is(sink((e) => (e.timestamp = '2024-05-01T14:00:00.123456+02:00')).dedupeKey, key);
  t.is(sink((e) => (e.timestamp = '2024-05-01T12:00:00.123456000Z')).dedupeKey, key);
  t.not(sink((e) => (e.timestamp = '2024-05-01T12:00:00.123457Z')).dedupeKey, key);
  t.not(
    sink((e) => (e.logName = 'projects/other/logs/run.googleapis.com%2Fstdout')).dedupeKey,
    key,
  );
});

test('log entry: without a timestamp the attribute is its time, and without both receiveTimestamp', (t) => {
  t.is(
    sink((e) => delete e.timestamp, { [LOG_TIMESTAMP_ATTRIBUTE]: '2024-05-01T12:00:05Z' }).startsAt,
    Date.UTC(2024, 4, 1, 12, 0, 5),
  );
  t.is(sink((e) => delete e.timestamp, {}).startsAt, Date.UTC(2024, 4, 1, 12, 0, 0, 401));
});

test('log entry: an entry label alertname names the alert; entry labels stay annotations', (t) => {
  const alert = sink((e) => (e.labels = { alertname: 'SweepUpstream503', instanceId: 'x' }));
  t.is(alert.labels.alertname, 'SweepUpstream503');
  t.false('label_instanceId' in alert.labels);
  t.is(alert.annotations.label_instanceId, 'x');
});

test('log entry: an entry published without the timestamp attribute is still recognised by its shape', (t) => {
  t.is(normalise(pubsubMessage(SINK_LOG_ENTRY)).source, 'log');
});

test('log entry: a deeply nested jsonPayload gives a bounded preview, not a stack overflow', (t) => {
  // Deeper than JSON.stringify can write: the text is built by hand.
  const depth = 100_000;
  const deep = `${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;
  const text = SINK_LOG_ENTRY.replace(/"jsonPayload":\{[^}]*\}/, `"jsonPayload":${deep}`);
  t.not(text, SINK_LOG_ENTRY);
  const alert = normalise(pubsubMessage(text, ATTRIBUTES));
  const description = alert.annotations.description ?? '';
  t.true(description.startsWith('{"a":{"a":'));
  t.true(description.includes('{…}'));
  t.true(description.length <= 4096);
});

test('log entry: NUL and lone surrogates in the payload become U+FFFD in the annotations', (t) => {
  const alert = sink((e) => {
    delete e.jsonPayload;
    e.textPayload = 'a\u0000b\uD800c';
  });
  t.is(alert.annotations.summary, 'a\uFFFDb\uFFFDc');
});

test('log entry: a LogSync stdout line (structured logging, not a LogEntry) is INGEST_ERR_FIELD_MISSING naming insertId', (t) => {
  const err = t.throws(() => normalise(pubsubMessage(LOGSYNC_STDOUT_LINE)), {
    instanceOf: IngestPoisonError,
  });
  t.is(err?.code, 'INGEST_ERR_FIELD_MISSING');
  t.is(err?.field, 'insertId');
});

const INVALID: [string, (e: Record<string, unknown>) => void, IngestPoisonCode, string][] = [
  ['two payloads', (e) => (e.textPayload = 'x'), 'INGEST_ERR_FIELD_INVALID', 'jsonPayload'],
  [
    'a non-string textPayload',
    (e) => {
      delete e.jsonPayload;
      e.textPayload = 5;
    },
    'INGEST_ERR_FIELD_INVALID',
    'textPayload',
  ],
  [
    'a jsonPayload that is an array',
    (e) => (e.jsonPayload = [1]),
    'INGEST_ERR_FIELD_INVALID',
    'jsonPayload',
  ],
  [
    'a protoPayload without @type',
    (e) => {
      delete e.jsonPayload;
      e.protoPayload = { methodName: 'x' };
    },
    'INGEST_ERR_FIELD_INVALID',
    'protoPayload.@type',
  ],
  [
    'a Timestamp object (the proto form, not the wire form)',
    (e) => (e.timestamp = { seconds: 1714564800, nanos: 0 }),
    'INGEST_ERR_FIELD_INVALID',
    'timestamp',
  ],
  ['an unknown severity', (e) => (e.severity = 'FATAL'), 'INGEST_ERR_FIELD_INVALID', 'severity'],
  [
    'a logName that is not a log',
    (e) => (e.logName = 'my-log'),
    'INGEST_ERR_FIELD_INVALID',
    'logName',
  ],
  ['no insertId', (e) => delete e.insertId, 'INGEST_ERR_FIELD_MISSING', 'insertId'],
  ['an empty insertId', (e) => (e.insertId = ''), 'INGEST_ERR_FIELD_INVALID', 'insertId'],
  [
    'entry labels that are not strings',
    (e) => (e.labels = { n: 1 }),
    'INGEST_ERR_FIELD_INVALID',
    'labels.n',
  ],
  [
    'a resource that is a string',
    (e) => (e.resource = 'global'),
    'INGEST_ERR_FIELD_INVALID',
    'resource',
  ],
];
for (const [name, edit, code, field] of INVALID) {
  test(`log entry: ${name} is ${code} naming ${field}`, (t) => {
    const err = poison(t, edit);
    t.is(err.code, code);
    t.is(err.field, field);
  });
}

test('log entry: no time anywhere is INGEST_ERR_FIELD_MISSING naming timestamp', (t) => {
  const entry = JSON.parse(SINK_LOG_ENTRY);
  delete entry.timestamp;
  delete entry.receiveTimestamp;
  const err = t.throws(() => normalise(pubsubMessage(JSON.stringify(entry))), {
    instanceOf: IngestPoisonError,
  });
  t.is(err?.code, 'INGEST_ERR_FIELD_MISSING');
  t.is(err?.field, 'timestamp');
});

test('log entry: more than 64 resource labels is INGEST_ERR_FIELD_INVALID naming resource.labels and the bound', (t) => {
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
  const error = poison(t, (e) => {
    (e.resource as Record<string, unknown>).labels = many;
  });
  t.is(error.code, 'INGEST_ERR_FIELD_INVALID');
  t.regex(error.message, /field resource\.labels is .*65 entries.*expected at most 64/);
  t.notThrows(() =>
    sink((e) => {
      (e.resource as Record<string, unknown>).labels = Object.fromEntries(
        Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']),
      );
    }),
  );
});
