/**
 * What the ingest bench sends: every request a new message, so every request does alertIngest's
 * whole work (decode, normalise, admit in the store, claim, hand off, complete), never a
 * duplicate. Message `i` of run `run` is, by `i % 3`, one of the three sources alert ingest reads
 * (docs/ingest-formats.md), each with an identity no other message of any run has:
 *
 * - a runwatch alert event, exactly as the sweep publishes one (`findingEvent`; sweepId
 *   `<run>@<i>`);
 * - a LogEntry as a logging sink publishes it (attribute `logging.googleapis.com/timestamp`;
 *   insertId `<run>-<i>`);
 * - a Cloud Monitoring incident, schema 1.2, open (incident_id `bench.<run>.<i>`), which also
 *   takes the lifecycle path (the stale check; PostgreSQL's advisory lock).
 *
 * Over HTTP each goes as Eventarc's binary-mode CloudEvent, built by the Eventarc relay's own
 * `toEventarcCloudEvent` (stack/eventarc-relay.ts), so the bench posts what the relay posts.
 */
import { findingEvent } from '../../alerts/ingest/alert-event.js';
import { type CloudEventRequest, toEventarcCloudEvent } from '../../stack/eventarc-relay.js';

export const BENCH_PROJECT = 'runwatch-bench';
export const BENCH_TOPIC = `projects/${BENCH_PROJECT}/topics/alert-ingest`;
export const BENCH_SUBSCRIPTION = `projects/${BENCH_PROJECT}/subscriptions/alert-ingest-push`;

export const SOURCES = ['runwatch', 'log', 'monitoring'] as const;
export type BenchSource = (typeof SOURCES)[number];

/** A message to publish: what a publisher hands Pub/Sub. */
export interface BenchPublication {
  readonly source: BenchSource;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
}

export const sourceOf = (i: number): BenchSource => SOURCES[i % SOURCES.length] as BenchSource;

const LOG_NAME = `projects/${BENCH_PROJECT}/logs/run.googleapis.com%2Fstderr`;
const REVISION = {
  project_id: BENCH_PROJECT,
  service_name: 'emotion',
  revision_name: 'emotion-00042-abc',
  location: 'us-central1',
  configuration_name: 'emotion',
};

function runwatchEvent(run: string, i: number, ts: number): BenchPublication {
  const { json, attributes } = findingEvent(
    {
      alertname: 'InferLatencyHigh',
      target: 'emotion',
      severity: 'warning',
      state: 'firing',
      ts,
      labels: { alertname: 'InferLatencyHigh', target: 'emotion', severity: 'warning' },
      annotations: {
        summary: `emotion p99 latency is above 250 ms (bench message ${i})`,
        observed: 312.5,
        threshold: 250,
        runbook_url: 'https://example.com/runbooks/infer-latency',
      },
    },
    `${run}@${i}`,
  );
  return { source: 'runwatch', data: Buffer.from(JSON.stringify(json)), attributes };
}

function logEntry(run: string, i: number, ts: number): BenchPublication {
  const timestamp = new Date(ts).toISOString();
  const entry = {
    insertId: `${run}-${i}`,
    logName: LOG_NAME,
    resource: { type: 'cloud_run_revision', labels: REVISION },
    timestamp,
    receiveTimestamp: timestamp,
    severity: 'ERROR',
    labels: { instanceId: '00c61b117c5f0b6ae2' },
    jsonPayload: {
      message: `predict failed: model session closed (bench message ${i})`,
      code: 'SVC_ERR_MODEL_UNAVAILABLE',
      requestId: `${run}-${i}`,
    },
    trace: `projects/${BENCH_PROJECT}/traces/0af7651916cd43dd8448eb211c80319c`,
  };
  return {
    source: 'log',
    data: Buffer.from(JSON.stringify(entry)),
    attributes: { 'logging.googleapis.com/timestamp': timestamp },
  };
}

function incident(run: string, i: number, ts: number): BenchPublication {
  const id = `bench.${run}.${i}`;
  const body = {
    version: '1.2',
    incident: {
      incident_id: id,
      scoping_project_id: BENCH_PROJECT,
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${id}?project=${BENCH_PROJECT}`,
      severity: 'Critical',
      started_at: Math.floor(ts / 1000),
      ended_at: null,
      state: 'open',
      summary: `Request Count for emotion with metric labels {response_code_class=5xx} is above the threshold of 0.050 (bench message ${i}).`,
      observed_value: '0.073',
      threshold_value: '0.05',
      resource: { type: 'cloud_run_revision', labels: REVISION },
      metric: {
        type: 'run.googleapis.com/request_count',
        displayName: 'Request Count',
        labels: { response_code_class: '5xx' },
      },
      policy_name: 'emotion 5xx ratio > 5%',
      policy_user_labels: { team: 'ml-platform' },
      condition_name: '5xx ratio',
      documentation: {
        content: 'Check the latest revision of emotion.',
        subject: '[CRIT] emotion 5xx',
        links: [{ displayName: 'Runbook', url: 'https://example.com/runbooks/infer-5xx' }],
      },
    },
  };
  return { source: 'monitoring', data: Buffer.from(JSON.stringify(body)), attributes: {} };
}

/** Message `i` of run `run` (a token of letters, digits and dashes), its times at `ts`. */
export function benchPublication(run: string, i: number, ts: number): BenchPublication {
  const source = sourceOf(i);
  if (source === 'runwatch') return runwatchEvent(run, i, ts);
  if (source === 'log') return logEntry(run, i, ts);
  return incident(run, i, ts);
}

/** Message `i` as Eventarc posts it: the publication under messageId `<run>-m<i>`. */
export function benchCloudEvent(run: string, i: number, ts: number): CloudEventRequest {
  const { data, attributes } = benchPublication(run, i, ts);
  const messageId = `${run}-m${i}`;
  return toEventarcCloudEvent(
    {
      subscription: BENCH_SUBSCRIPTION,
      message: {
        data: data.toString('base64'),
        attributes,
        messageId,
        publishTime: new Date(ts).toISOString(),
      },
    },
    BENCH_TOPIC,
  );
}
