/**
 * The `runwatch.alert.v1` message: the JSON Schema and the Avro schema say the same message, and
 * what the notifier publishes for varied notifications follows the JSON Schema. (That the
 * emulator's Avro validation accepts the same messages is pubsub.integration.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import test from 'ava';
import { normalise } from '../../../alerts/ingest/normalise.js';
import {
  ALERT_MESSAGE_SCHEMA,
  alertMessages,
  groupOrderingKey,
} from '../../../alerts/notifiers/alert-message.js';
import { DEFINITIONS_DIR } from '../../../alerts/pubsub/topology.js';
import { alert, notification, varied } from './notifications.js';

type JsonSchema = Record<string, unknown> & {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  definitions: Record<string, Record<string, unknown>>;
};
type AvroField = { name: string; type: unknown };

const jsonSchema = JSON.parse(
  readFileSync(join(DEFINITIONS_DIR, 'alert.v1.json'), 'utf8'),
) as JsonSchema;
const avro = JSON.parse(readFileSync(join(DEFINITIONS_DIR, 'alert.v1.avsc'), 'utf8')) as {
  fields: AvroField[];
};
const validate = new Ajv({ strict: true, allErrors: true }).compile(jsonSchema);

/** A JSON Schema property with its `$ref` (into definitions) resolved. */
function property(name: string): Record<string, unknown> {
  const p = jsonSchema.properties[name] ?? {};
  const ref = typeof p.$ref === 'string' ? p.$ref.replace('#/definitions/', '') : null;
  return ref === null ? p : { ...jsonSchema.definitions[ref], ...p };
}

/** What the JSON encoding of an Avro type looks like, in JSON Schema words. */
function wireShape(type: unknown, named: Map<string, unknown>): unknown {
  if (typeof type === 'string') {
    if (named.has(type)) return wireShape(named.get(type), named);
    return { string: 'string', int: 'integer', long: 'integer', null: 'null' }[type] ?? type;
  }
  if (Array.isArray(type)) {
    return type.map((t) => (t === 'null' ? 'null' : { [String(t)]: wireShape(t, named) }));
  }
  const t = type as { type: string; name?: string; symbols?: string[]; values?: unknown };
  if (t.name !== undefined) named.set(t.name, t);
  if (t.type === 'enum') return { enum: t.symbols };
  if (t.type === 'map') return { map: wireShape(t.values, named) };
  return t.type;
}

/** The same, read from a JSON Schema property. */
function schemaShape(p: Record<string, unknown>): unknown {
  if (Array.isArray(p.oneOf)) {
    return (p.oneOf as Record<string, unknown>[]).map((branch) => {
      if (branch.type === 'null') return 'null';
      const props = branch.properties as Record<string, Record<string, unknown>>;
      const [[key, inner]] = Object.entries(props) as [[string, Record<string, unknown>]];
      const ref = String(inner.$ref ?? '').replace('#/definitions/', '');
      return { [key]: schemaShape(jsonSchema.definitions[ref] ?? inner) };
    });
  }
  if (Array.isArray(p.enum)) return { enum: p.enum };
  if (p.const !== undefined) return typeof p.const;
  if (p.type === 'object') {
    return { map: schemaShape(p.additionalProperties as Record<string, unknown>) };
  }
  return p.type;
}

test('alert.v1: the JSON Schema and the Avro schema have the same fields, in the same order, all required', (t) => {
  t.deepEqual(
    avro.fields.map((f) => f.name),
    Object.keys(jsonSchema.properties),
  );
  t.deepEqual(jsonSchema.required, Object.keys(jsonSchema.properties));
  t.is(jsonSchema.additionalProperties, false);
});

test('alert.v1: each field has the same wire shape in both schemas (enums, maps of strings, the wrapped union)', (t) => {
  const named = new Map<string, unknown>();
  for (const field of avro.fields) {
    const fromAvro = wireShape(field.type, named);
    const fromJson = schemaShape(property(field.name));
    // Where the JSON Schema is an enum over a string, Avro's string carries it.
    if (fromAvro === 'string' && typeof fromJson === 'object' && fromJson !== null) {
      t.true(
        ((fromJson as { enum?: unknown[] }).enum ?? []).every((v) => typeof v === 'string'),
        field.name,
      );
      continue;
    }
    t.deepEqual(fromJson, fromAvro, field.name);
  }
});

test('alert.v1: every message the notifier makes from varied notifications is valid against the JSON Schema', (t) => {
  let count = 0;
  for (const n of varied()) {
    const messages = alertMessages(n);
    t.is(messages.length, n.alerts.length);
    for (const m of messages) {
      const body = JSON.parse(m.data.toString('utf8'));
      t.true(validate(body), `${n.id}: ${JSON.stringify(validate.errors)}`);
      count++;
    }
  }
  t.true(count >= 7);
});

test('alert.v1: one message per alert in the notification order, each body the alert with its group, endsAt wrapped as Avro JSON wants', (t) => {
  const n = notification([
    alert(1),
    alert(2, { status: 'resolved', endsAt: Date.UTC(2026, 11, 7, 13) }),
  ]);
  const [first, second] = alertMessages(n).map((m) => JSON.parse(m.data.toString('utf8')));
  t.deepEqual(first, {
    schema: 'runwatch.alert.v1',
    notificationId: 'n-0001',
    createdAt: '2026-12-07T12:01:00.000Z',
    alertIndex: 0,
    alertCount: 2,
    groupKey: '0.1:{alertname="InferDown"}',
    receiver: 'downstream',
    reason: 'first notification',
    status: 'firing',
    groupStatus: 'firing',
    fingerprint: '0000000000000001',
    source: 'runwatch',
    alertname: 'InferDown',
    severity: 'critical',
    labels: { alertname: 'InferDown', severity: 'critical', target: 'target-1' },
    annotations: { summary: 'target-1 is down' },
    startsAt: '2026-12-07T12:00:01.000Z',
    endsAt: null,
    groupLabels: { alertname: 'InferDown' },
  });
  t.like(second, {
    alertIndex: 1,
    status: 'resolved',
    groupStatus: 'firing',
    endsAt: { string: '2026-12-07T13:00:00.000Z' },
  });
});

test('alert.v1: attributes carry severity, status, fingerprint, alertname, notificationId, schema and origin; the ordering key is the group key hashed, one per group', (t) => {
  const n = notification([alert(1), alert(2, { status: 'resolved', endsAt: 1 })]);
  const messages = alertMessages(n);
  t.deepEqual(messages[1]?.attributes, {
    severity: 'critical',
    status: 'resolved',
    fingerprint: '0000000000000002',
    alertname: 'InferDown',
    notificationId: 'n-0001',
    schema: ALERT_MESSAGE_SCHEMA,
    origin: 'runwatch',
  });
  const expected = createHash('sha256').update(n.groupKey).digest('hex').slice(0, 32);
  t.deepEqual(
    messages.map((m) => m.orderingKey),
    [expected, expected],
  );
  t.regex(expected, /^[0-9a-f]{32}$/);
  t.not(groupOrderingKey('0.1:{alertname="Other"}'), expected);
});

test('alert.v1: an attribute value over 1024 bytes is cut on a character boundary, the body keeps it whole', (t) => {
  const long = 'é'.repeat(1000);
  const [m] = alertMessages(
    notification([alert(1, { labels: { alertname: long, severity: 'critical' } })]),
  );
  t.is(Buffer.byteLength(m?.attributes.alertname ?? ''), 1024);
  t.is(JSON.parse(m?.data.toString('utf8') ?? '').alertname, long);
});

test('alert.v1: alert ingest drops what the notifier publishes as a loop, should the alerts topic be wired back to its input', (t) => {
  const [m] = alertMessages(notification([alert(1)]));
  const e = t.throws(() =>
    normalise({
      messageId: 'm-1',
      data: m?.data ?? Buffer.alloc(0),
      attributes: m?.attributes ?? {},
      publishTime: Date.now(),
    }),
  );
  t.is((e as { code?: string } | undefined)?.code, 'INGEST_ERR_LOOP');
});

test('alert.v1: a message missing a required field, or with endsAt not wrapped, is refused by the JSON Schema', (t) => {
  const [m] = alertMessages(notification([alert(1, { status: 'resolved', endsAt: 1 })]));
  const body = JSON.parse(m?.data.toString('utf8') ?? '');
  for (const field of jsonSchema.required) {
    const { [field]: _, ...rest } = body;
    t.false(validate(rest), field);
  }
  t.false(validate({ ...body, endsAt: '2026-12-07T13:00:00.000Z' }));
});
