/**
 * Apply's Logging part (sinks, log metrics) through @google-cloud/logging's v2 clients against
 * the local gRPC test double for Logging (test/helpers/fake-gcp/logging.ts).
 */

import { ConfigServiceV2Client, MetricsServiceV2Client } from '@google-cloud/logging-api';
import grpc from '@grpc/grpc-js';
import test from 'ava';
import { DEPLOY_APPLY_ERR_CALL_FAILED } from '../../../deploy/apply/errors.js';
import { applyLogMetrics, applySinks, writerGrantNote } from '../../../deploy/apply/logging.js';
import { prepareMonitoring } from '../../../deploy/apply/prepare.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { changed, metric, resolvedFixture, sink } from './fixtures.js';
import { actions, context, type Doubles, MUTATING, SCHEMA, withDoubles } from './harness.js';

const P = 'proj-logging';

async function applyLogging(d: Doubles, set: ResolvedMonitoring, dryRun = false) {
  const prepared = prepareMonitoring(SCHEMA, set);
  const ctx = context(P, { dryRun });
  return [
    ...(await applySinks(d.clients.sinks, prepared.sink, ctx)),
    ...(await applyLogMetrics(d.clients.metrics, prepared.logMetric, ctx)),
  ];
}

test('deploy apply (local gRPC test double for Logging): a dry run reports creates and changes nothing', (t) =>
  withDoubles(async (d) => {
    const results = await applyLogging(d, resolvedFixture(P), true);
    t.deepEqual(actions(results), [
      'sink service-errors create',
      'logMetric sweep-probe-failures create',
    ]);
    t.deepEqual(
      d.logging.calls.filter((c) => MUTATING.test(c.method)),
      [],
    );
    t.is(d.logging.sinks.size + d.logging.metrics.size, 0);
  }));

test('deploy apply (local gRPC test double for Logging): second run changes nothing', (t) =>
  withDoubles(async (d) => {
    const first = await applyLogging(d, resolvedFixture(P));
    t.deepEqual(actions(first), [
      'sink service-errors create',
      'logMetric sweep-probe-failures create',
    ]);
    const stored = d.logging.sinks.get(`projects/${P}/sinks/runwatch-service-errors`);
    t.like(stored, {
      destination: `pubsub.googleapis.com/projects/${P}/topics/alert-ingest`,
      writerIdentity: `serviceAccount:service-${d.logging.projectNumber}@gcp-sa-logging.iam.gserviceaccount.com`,
    });
    const create = d.logging.calls.find((c) => c.method === 'createSink');
    t.is(create?.request.uniqueWriterIdentity, true);
    const callsBefore = d.logging.calls.length;
    const second = await applyLogging(d, resolvedFixture(P));
    t.deepEqual(actions(second), [
      'sink service-errors unchanged',
      'logMetric sweep-probe-failures unchanged',
    ]);
    t.deepEqual(
      d.logging.calls.slice(callsBefore).map((c) => c.method),
      ['getSink', 'getLogMetric'],
    );
  }));

test("deploy apply (local gRPC test double for Logging): the sink's writer identity and the grant it needs are printed", (t) =>
  withDoubles(async (d) => {
    const [row] = await applyLogging(d, { ...resolvedFixture(P), logMetrics: [] });
    const identity = `serviceAccount:service-${d.logging.projectNumber}@gcp-sa-logging.iam.gserviceaccount.com`;
    t.deepEqual(row?.notes, [
      `writer identity ${identity} needs roles/pubsub.publisher on projects/${P}/topics/alert-ingest: gcloud pubsub topics add-iam-policy-binding alert-ingest --project=${P} --member='${identity}' --role=roles/pubsub.publisher`,
    ]);
    t.is(writerGrantNote('storage.googleapis.com/bucket', identity), null);
  }));

test('deploy apply (local gRPC test double for Logging): a changed filter is exactly that update, with an update mask of filter', (t) =>
  withDoubles(async (d) => {
    await applyLogging(d, resolvedFixture(P));
    const newFilter = 'resource.type="cloud_run_revision" AND severity>=WARNING';
    const set = {
      ...resolvedFixture(P),
      sinks: [
        changed(sink(P), (r) => {
          r.filter = newFilter;
        }),
      ],
    };
    const dry = await applyLogging(d, set, true);
    t.deepEqual(dry[0]?.changes, [
      `filter: ${JSON.stringify((sink(P).resource as { filter: string }).filter)} → ${JSON.stringify(newFilter)}`,
    ]);
    t.is(dry[0]?.action, 'update');
    const applied = await applyLogging(d, set);
    t.deepEqual(actions(applied), [
      'sink service-errors update',
      'logMetric sweep-probe-failures unchanged',
    ]);
    const update = d.logging.calls.find((c) => c.method === 'updateSink');
    t.deepEqual(update?.request.updateMask, { paths: ['filter'] });
    t.is(d.logging.sinks.get(`projects/${P}/sinks/runwatch-service-errors`)?.filter, newFilter);
    t.deepEqual(actions(await applyLogging(d, set, true)), [
      'sink service-errors unchanged',
      'logMetric sweep-probe-failures unchanged',
    ]);
  }));

test("deploy apply (local gRPC test double for Logging): filters written as YAML | blocks and a metric's labels in another order than Logging returns them change nothing on the second run", (t) =>
  withDoubles(async (d) => {
    const set = {
      ...resolvedFixture(P),
      sinks: [
        changed(sink(P), (r) => {
          r.filter = 'resource.type="cloud_run_revision" AND\nseverity>=ERROR\n';
        }),
      ],
      logMetrics: [
        changed(metric(), (r) => {
          r.filter = 'jsonPayload.event="sweep.probe" AND\njsonPayload.ok=false\n';
          (r.metricDescriptor as { labels: unknown[] }).labels.push({ key: 'zone' });
          (r.labelExtractors as Record<string, string>).zone = 'EXTRACT(jsonPayload.zone)';
        }),
      ],
    };
    await applyLogging(d, set);
    const stored = d.logging.metrics.get(`projects/${P}/metrics/runwatch_sweep_probe_failures`);
    t.deepEqual(
      ((stored?.metricDescriptor ?? {}) as { labels?: { key: string }[] }).labels?.map(
        (l) => l.key,
      ),
      ['zone', 'target'],
      'the double returns the label set in an order of its own',
    );
    const mutations = d.logging.calls.filter((c) => MUTATING.test(c.method)).length;
    const second = await applyLogging(d, set);
    t.deepEqual(actions(second), [
      'sink service-errors unchanged',
      'logMetric sweep-probe-failures unchanged',
    ]);
    t.is(d.logging.calls.filter((c) => MUTATING.test(c.method)).length, mutations);
  }));

test("deploy apply (local gRPC test double for Logging): a metric's new label is an update of the whole metric", (t) =>
  withDoubles(async (d) => {
    await applyLogging(d, resolvedFixture(P));
    const set = {
      ...resolvedFixture(P),
      logMetrics: [
        changed(metric(), (r) => {
          (r.metricDescriptor as { labels: unknown[] }).labels.push({ key: 'status' });
          (r.labelExtractors as Record<string, string>).status = 'EXTRACT(jsonPayload.status)';
        }),
      ],
    };
    const [, row] = await applyLogging(d, set);
    t.is(row?.action, 'update');
    t.deepEqual(row?.changes, [
      'metricDescriptor.labels: [{"key":"target","description":"the probed target"}] → [{"key":"status"},{"key":"target","description":"the probed target"}]',
      'labelExtractors.status: unset → "EXTRACT(jsonPayload.status)"',
    ]);
    const stored = d.logging.metrics.get(`projects/${P}/metrics/runwatch_sweep_probe_failures`);
    t.deepEqual(stored?.labelExtractors, {
      status: 'EXTRACT(jsonPayload.status)',
      target: 'EXTRACT(jsonPayload.target)',
    });
  }));

test('deploy apply (local gRPC test double for Logging): PERMISSION_DENIED on the sink is its row, and the metric is still created', (t) =>
  withDoubles(async (d) => {
    d.logging.inject({
      method: 'createSink',
      code: grpc.status.PERMISSION_DENIED,
      details: "Permission 'logging.sinks.create' denied on resource (or it may not exist).",
    });
    const [sinkRow, metricRow] = await applyLogging(d, resolvedFixture(P));
    t.is(sinkRow?.action, 'failed');
    t.is(sinkRow?.error?.code, DEPLOY_APPLY_ERR_CALL_FAILED);
    t.is(
      sinkRow?.error?.message,
      `creating sink projects/${P}/sinks/runwatch-service-errors failed (gRPC 7 PERMISSION_DENIED): Permission 'logging.sinks.create' denied on resource (or it may not exist).`,
    );
    t.is(metricRow?.action, 'create');
    t.is(d.logging.metrics.size, 1);
  }));

test('deploy apply (local gRPC test double for Logging): an unreachable endpoint fails the first call and skips the rest', async (t) => {
  const d = await withDoubles(async (x) => x);
  // The double has stopped: its port refuses connections.
  const options = { ...d.logging.clientOptions() };
  const sinks = new ConfigServiceV2Client(options);
  const metrics = new MetricsServiceV2Client(options);
  try {
    const prepared = prepareMonitoring(SCHEMA, resolvedFixture(P));
    const ctx = context(P, { timeoutMs: 1_000 });
    const set = [...prepared.sink, { ...prepared.sink[0], id: 'second', key: 'second' } as never];
    const rows = await applySinks(sinks, set, ctx);
    t.deepEqual(actions(rows), ['sink service-errors failed', 'sink second failed']);
    t.regex(
      rows[0]?.error?.message ?? '',
      /^describing sink projects\/proj-logging\/sinks\/runwatch-service-errors failed \(gRPC (14 UNAVAILABLE|4 DEADLINE_EXCEEDED)\)/,
    );
    t.regex(
      rows[1]?.error?.message ?? '',
      /^describing sink projects\/proj-logging\/sinks\/second not tried: Cloud Logging was unreachable/,
    );
    t.is((await applyLogMetrics(metrics, prepared.logMetric, ctx))[0]?.action, 'failed');
  } finally {
    await Promise.allSettled([sinks.close(), metrics.close()]);
  }
});
