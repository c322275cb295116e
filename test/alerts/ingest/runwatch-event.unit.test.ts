import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import test from 'ava';
import fc from 'fast-check';
import { ALERT_EVENT_SCHEMA, findingEvent } from '../../../alerts/ingest/alert-event.js';
import { decodeEnvelope } from '../../../alerts/ingest/envelope.js';
import { type IngestPoisonCode, IngestPoisonError } from '../../../alerts/ingest/errors.js';
import { normalise } from '../../../alerts/ingest/normalise.js';
import type { Finding } from '../../../alerts/types.js';
import { eventarcEvent, pubsubMessage } from './fixtures/gcp-formats.js';

const SCHEMA_FILE = new URL('../../../../alerts/definitions/alert-event.v1.json', import.meta.url);
const SWEEP = 'local-health-sweep@2026-11-27T12:00:00.000Z';

const finding: Finding = {
  alertname: 'InferDown',
  target: 'emotion',
  severity: 'critical',
  state: 'firing',
  ts: Date.UTC(2026, 10, 27, 12),
  labels: { alertname: 'InferDown', target: 'emotion', severity: 'critical', team: 'ml' },
  annotations: {
    summary: 'emotion is down',
    observed: 0,
    threshold: 1,
    runbook_url: 'https://example.com/runbooks/infer-down',
  },
};

/** A finding's event as the sweep publishes it, through the Eventarc envelope. */
function delivered(f: Finding = finding, sweepId = SWEEP) {
  const { json, attributes } = findingEvent(f, sweepId);
  return normalise(decodeEnvelope(eventarcEvent({ data: JSON.stringify(json), attributes })));
}

/** The event with `edit` applied, as a raw message with the schema attribute. */
function edited(edit: (e: Record<string, unknown>) => void): IngestPoisonError | undefined {
  const { json, attributes } = findingEvent(finding, SWEEP);
  const body = structuredClone(json) as unknown as Record<string, unknown>;
  edit(body);
  try {
    normalise(pubsubMessage(JSON.stringify(body), attributes));
    return undefined;
  } catch (e) {
    if (e instanceof IngestPoisonError) return e;
    throw e;
  }
}

test('runwatch event: the JSON Schema compiles with the default ajv import, draft-07', (t) => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  t.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  t.is(schema.properties.schema.const, ALERT_EVENT_SCHEMA);
  t.notThrows(() => new Ajv({ strict: true }).compile(schema));
});

test('runwatch event: a firing finding as published normalises to a firing alert keyed by sweep, alertname, target and state', (t) => {
  t.deepEqual(delivered(), {
    source: 'runwatch',
    dedupeKey: `runwatch:${SWEEP}:InferDown:emotion:firing`,
    lifecycleId: null,
    status: 'firing',
    labels: { alertname: 'InferDown', target: 'emotion', severity: 'critical', team: 'ml' },
    annotations: {
      summary: 'emotion is down',
      observed: '0',
      threshold: '1',
      runbook_url: 'https://example.com/runbooks/infer-down',
      sweep_id: SWEEP,
    },
    startsAt: Date.UTC(2026, 10, 27, 12),
    endsAt: null,
  });
});

test('runwatch event: a resolved finding ends at its evaluation time', (t) => {
  const alert = delivered({ ...finding, state: 'resolved' });
  t.like(alert, {
    status: 'resolved',
    dedupeKey: `runwatch:${SWEEP}:InferDown:emotion:resolved`,
    endsAt: finding.ts,
  });
});

test("runwatch event: the event's alertname, target and severity win over its labels", (t) => {
  const alert = delivered({
    ...finding,
    labels: { alertname: 'x', target: 'y', severity: 'info' },
  });
  t.like(alert.labels, { alertname: 'InferDown', target: 'emotion', severity: 'critical' });
});

test('runwatch event: findingEvent publishes the five identity attributes and the schema, and never origin', (t) => {
  const { json, attributes } = findingEvent(finding, SWEEP);
  t.deepEqual(attributes, {
    alertname: 'InferDown',
    target: 'emotion',
    severity: 'critical',
    state: 'firing',
    sweepId: SWEEP,
    schema: 'alert-event.v1',
  });
  t.is(json.schema, 'alert-event.v1');
  t.false('origin' in attributes);
});

test('runwatch event: findingEvent leaves out numbers JSON cannot carry and cuts text to the schema', (t) => {
  const { json } = findingEvent(
    {
      ...finding,
      annotations: {
        summary: 'x'.repeat(5000),
        observed: Number.NaN,
        forecast: Infinity,
        threshold: 2,
      },
    },
    SWEEP,
  );
  t.deepEqual(Object.keys(json.annotations), ['summary', 'threshold']);
  t.is(json.annotations.summary.length, 4096);
  t.is(
    delivered({ ...finding, annotations: { summary: 'ok', observed: Number.NaN } }).status,
    'firing',
  );
});

test('runwatch event: every finding the sweep can make publishes an event ingest accepts (property)', (t) => {
  // Any code point, and the UTF-16 halves that are not one (lone surrogates).
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom('a', '\u0000', '\uD800', '\uDC00', '😀'), maxLength: 20 }),
  );
  const number = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Infinity));
  const findings = fc.record({
    alertname: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/),
    target: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
    severity: fc.constantFrom('critical', 'warning', 'info' as const),
    state: fc.constantFrom('firing', 'resolved' as const),
    ts: fc.integer({ min: 0, max: 253402300799999 }),
    labels: fc.dictionary(text, text, { maxKeys: 80 }),
    annotations: fc.record(
      {
        summary: fc.oneof(fc.string({ unit: 'binary', maxLength: 6000 }), text),
        observed: number,
        threshold: number,
        forecast: number,
        runbook_url: fc.webUrl(),
      },
      { requiredKeys: ['summary'] },
    ),
  });
  fc.assert(
    fc.property(findings, (f) => {
      const alert = delivered(f as Finding);
      const storable = (v: string) => !v.includes('\u0000') && v === Buffer.from(v).toString();
      return (
        alert.source === 'runwatch' &&
        alert.status === f.state &&
        Object.entries(alert.labels).every(([k, v]) => storable(k) && storable(v)) &&
        Object.values(alert.annotations).every(storable)
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});

const INVALID: [string, (e: Record<string, unknown>) => void, IngestPoisonCode, string][] = [
  ['no sweepId', (e) => delete e.sweepId, 'INGEST_ERR_FIELD_MISSING', 'sweepId'],
  [
    'a severity of "urgent"',
    (e) => (e.severity = 'urgent'),
    'INGEST_ERR_FIELD_INVALID',
    'severity',
  ],
  ['a state of "pending"', (e) => (e.state = 'pending'), 'INGEST_ERR_FIELD_INVALID', 'state'],
  [
    'schema alert-event.v2',
    (e) => (e.schema = 'alert-event.v2'),
    'INGEST_ERR_FIELD_INVALID',
    'schema',
  ],
  ['a field the schema does not know', (e) => (e.extra = 1), 'INGEST_ERR_FIELD_INVALID', 'extra'],
  [
    'an observed value that is a string',
    (e) => {
      (e.annotations as Record<string, unknown>).observed = '0';
    },
    'INGEST_ERR_FIELD_INVALID',
    'annotations.observed',
  ],
  [
    'a label that is a number',
    (e) => {
      (e.labels as Record<string, unknown>).n = 1;
    },
    'INGEST_ERR_FIELD_INVALID',
    'labels.n',
  ],
  ['a fractional ts', (e) => (e.ts = 1.5), 'INGEST_ERR_FIELD_INVALID', 'ts'],
  [
    'an alertname with a space',
    (e) => (e.alertname = 'Infer Down'),
    'INGEST_ERR_FIELD_INVALID',
    'alertname',
  ],
  [
    'no summary',
    (e) => {
      delete (e.annotations as Record<string, unknown>).summary;
    },
    'INGEST_ERR_FIELD_MISSING',
    'annotations.summary',
  ],
  [
    'no schema field (the attribute alone marks it)',
    (e) => delete e.schema,
    'INGEST_ERR_FIELD_MISSING',
    'schema',
  ],
];
for (const [name, edit, code, field] of INVALID) {
  test(`runwatch event: ${name} is ${code} naming ${field}`, (t) => {
    const err = edited(edit);
    t.is(err?.code, code);
    t.is(err?.field, field);
    t.is(err?.messageId, '11937951452598386');
  });
}

test('runwatch event: an event marked by its schema field alone, without attributes, is read as one', (t) => {
  const { json } = findingEvent(finding, SWEEP);
  t.is(normalise(pubsubMessage(JSON.stringify(json))).source, 'runwatch');
});

test('runwatch event: a message with origin=runwatch is INGEST_ERR_LOOP, dropped rather than dead-lettered', (t) => {
  const { json, attributes } = findingEvent(finding, SWEEP);
  const err = t.throws(
    () => normalise(pubsubMessage(JSON.stringify(json), { ...attributes, origin: 'runwatch' })),
    { instanceOf: IngestPoisonError },
  );
  t.is(err?.code, 'INGEST_ERR_LOOP');
  t.false(err?.deadLetter);
});
