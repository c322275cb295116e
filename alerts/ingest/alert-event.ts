/**
 * runwatch's own alert event, `alert-event.v1` (`alerts/definitions/alert-event.v1.json`): one
 * sweep finding as the sweep publishes it to the `alert-ingest` topic, and as alert ingest reads
 * it back (`sources/runwatch-event.ts`). This is the producer half, kept free of the validator so
 * the sweep does not load it.
 *
 * `findingEvent` always yields an event the schema accepts: numbers that JSON cannot carry
 * (NaN, ±Infinity, which `JSON.stringify` would turn into null) are left out, and text is cut to
 * the schema's bounds. The attributes repeat the identity for subscription filters and carry
 * `schema`, which the classifier reads first; they never carry `origin=runwatch`, which marks the
 * engine's output and is refused at ingest as a loop.
 */
import type { Finding } from '../types.js';
import { cut } from './fields.js';

export const ALERT_EVENT_SCHEMA = 'alert-event.v1';

/** The event body; `alert-event.v1.json` is its contract. */
export interface AlertEventV1 {
  readonly schema: typeof ALERT_EVENT_SCHEMA;
  readonly sweepId: string;
  readonly alertname: string;
  readonly target: string;
  readonly severity: Finding['severity'];
  readonly state: Finding['state'];
  /** Evaluation time, epoch ms. */
  readonly ts: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Finding['annotations'];
}

/** A type, not an interface, so that it is a `Record<string, string>` as Pub/Sub wants. */
export type AlertEventAttributes = {
  readonly alertname: string;
  readonly target: string;
  readonly severity: string;
  readonly state: string;
  readonly sweepId: string;
  readonly schema: typeof ALERT_EVENT_SCHEMA;
};

/** The schema's bounds on text (alert-event.v1.json). */
const MAX_SUMMARY = 4096;
const MAX_RUNBOOK_URL = 2048;
const MAX_LABELS = 64;
const MAX_LABEL_KEY = 256;
const MAX_LABEL_VALUE = 1024;

const finite = (key: string, value: number | undefined): Record<string, number> =>
  value !== undefined && Number.isFinite(value) ? { [key]: value } : {};

/** The message for one finding of sweep `sweepId`: its JSON body and its attributes. */
export function findingEvent(
  finding: Finding,
  sweepId: string,
): { json: AlertEventV1; attributes: AlertEventAttributes } {
  const { summary, observed, threshold, forecast, runbook_url } = finding.annotations;
  const labels = Object.entries(finding.labels)
    .filter(([k]) => k.length > 0 && k.length <= MAX_LABEL_KEY)
    .slice(0, MAX_LABELS)
    .map(([k, v]) => [k, cut(v, MAX_LABEL_VALUE)]);
  return {
    json: {
      schema: ALERT_EVENT_SCHEMA,
      sweepId,
      alertname: finding.alertname,
      target: finding.target,
      severity: finding.severity,
      state: finding.state,
      ts: finding.ts,
      labels: Object.fromEntries(labels),
      annotations: {
        summary: cut(summary, MAX_SUMMARY),
        ...finite('observed', observed),
        ...finite('threshold', threshold),
        ...finite('forecast', forecast),
        ...(runbook_url === undefined ? {} : { runbook_url: cut(runbook_url, MAX_RUNBOOK_URL) }),
      },
    },
    attributes: {
      alertname: finding.alertname,
      target: finding.target,
      severity: finding.severity,
      state: finding.state,
      sweepId,
      schema: ALERT_EVENT_SCHEMA,
    },
  };
}
