/**
 * runwatch's own alert events (`alert-event.v1`, a sweep finding; `../alert-event.ts` writes
 * them), validated against the committed JSON Schema `alerts/definitions/alert-event.v1.json`
 * (draft-07, compiled once with ajv). The body is the record: the attributes only mark the schema
 * for the classifier and serve subscription filters, and are not compared with it.
 *
 * | event | alert |
 * |---|---|
 * | `state` firing / resolved | status firing / resolved |
 * | `ts` | `startsAt`; also `endsAt` when resolved (a finding knows only its evaluation time) |
 * | `labels`, then `alertname`, `target`, `severity` | labels (the three named fields win) |
 * | `annotations` (numbers as decimal strings), `sweepId` | annotations, with `sweep_id` |
 *
 * Identity: `runwatch:<sweepId>:<alertname>:<target>:<state>`: a retried sweep publishes the same
 * finding again under a new messageId. No lifecycle: a target's alert fires and resolves again
 * and again.
 */
import { Ajv, type ErrorObject } from 'ajv';
import schema from '../../definitions/alert-event.v1.json' with { type: 'json' };
import type { IncomingAlert, PubSubMessage } from '../../types.js';
import { ALERT_EVENT_SCHEMA, type AlertEventV1 } from '../alert-event.js';
import {
  defined,
  invalid,
  type Json,
  MAX_ANNOTATION_CHARS,
  MAX_LABEL_KEY_CHARS,
  MAX_LABEL_VALUE_CHARS,
  missing,
  own,
  storable,
  type Where,
} from '../fields.js';

const validate = new Ajv({ allErrors: false, strict: true }).compile<AlertEventV1>(schema);

/** Whether a message is marked as an alert event (the classifier's test, read first). */
export function isRunwatchEvent(attributes: Readonly<Record<string, string>>, body: Json): boolean {
  const marked = (v: unknown) => typeof v === 'string' && v.startsWith('alert-event.');
  return marked(own(attributes, 'schema')) || marked(own(body, 'schema'));
}

/** A JSON pointer (`/annotations/observed`) as the dotted path the other parsers use. */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

function expectation(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'const') return JSON.stringify(params.allowedValue);
  if (e.keyword === 'pattern') return `a string matching ${String(params.pattern)}`;
  if (e.keyword === 'additionalProperties') return 'no such field in alert-event.v1';
  if (e.keyword === 'type') return `a value of type ${String(params.type)}`;
  return `a value that ${e.message ?? e.keyword}`;
}

function problem(where: Where, body: Json, e: ErrorObject): Error {
  const base = dotted(e.instancePath);
  const join = (key: string) => (base === '' ? key : `${base}.${key}`);
  if (e.keyword === 'required') {
    const field = join(String(e.params.missingProperty));
    return missing(where, field, `the field ${ALERT_EVENT_SCHEMA} requires`);
  }
  if (e.keyword === 'additionalProperties') {
    const field = join(String(e.params.additionalProperty));
    return invalid(where, field, valueAt(body, field.split('.')), expectation(e));
  }
  if (e.keyword === 'propertyNames') {
    const name = String(e.params.propertyName);
    return invalid(where, `${base}`, name, 'label names of 1 to 256 characters');
  }
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return invalid(where, base === '' ? '(the event)' : base, valueAt(body, path), expectation(e));
}

export function parseRunwatchEvent(body: Json, message: PubSubMessage): IncomingAlert {
  const where: Where = {
    what: `runwatch ${ALERT_EVENT_SCHEMA} event`,
    messageId: message.messageId,
  };
  if (!validate(body)) throw problem(where, body, (validate.errors ?? [])[0] as ErrorObject);
  const event = body as unknown as AlertEventV1;
  const { summary, observed, threshold, forecast, runbook_url } = event.annotations;
  const text = (n: number | undefined) => (n === undefined ? undefined : String(n));
  return {
    source: 'runwatch',
    dedupeKey: `runwatch:${event.sweepId}:${event.alertname}:${event.target}:${event.state}`,
    lifecycleId: null,
    status: event.state,
    labels: {
      ...Object.fromEntries(
        Object.entries(event.labels).map(([k, v]) => [
          storable(k, MAX_LABEL_KEY_CHARS),
          storable(v, MAX_LABEL_VALUE_CHARS),
        ]),
      ),
      alertname: event.alertname,
      target: storable(event.target, MAX_LABEL_VALUE_CHARS),
      severity: event.severity,
    },
    annotations: defined([
      ['summary', storable(summary, MAX_ANNOTATION_CHARS)],
      ['observed', text(observed)],
      ['threshold', text(threshold)],
      ['forecast', text(forecast)],
      ['runbook_url', runbook_url === undefined ? undefined : storable(runbook_url, 2048)],
      ['sweep_id', storable(event.sweepId, MAX_LABEL_VALUE_CHARS)],
    ]),
    startsAt: event.ts,
    endsAt: event.state === 'resolved' ? event.ts : null,
  };
}
