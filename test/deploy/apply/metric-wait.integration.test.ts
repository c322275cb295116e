/**
 * Apply's wait for Monitoring to see a log metric Logging has just created, against the local
 * gRPC test doubles, with the Monitoring double refusing a policy on a log metric for a while
 * after the Logging double created it, as Google's Monitoring does (NOT_FOUND "Cannot find
 * metric(s) ..."). Budgets are milliseconds here; a run's default is ten minutes.
 */
import grpc from '@grpc/grpc-js';
import test from 'ava';
import {
  DEPLOY_APPLY_ERR_CALL_FAILED,
  DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE,
} from '../../../deploy/apply/errors.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { changed, logMatchPolicy, logMetricPolicy, resolvedFixture } from './fixtures.js';
import { actions, applyMonitoringSide, context, withDoubles } from './harness.js';

const P = 'proj-metric-wait';
type Json = Record<string, unknown>;

/** The fixture with a policy on its log metric, which a first run creates seconds before. */
const withMetricPolicy = (): ResolvedMonitoring => ({
  ...resolvedFixture(P),
  policies: [logMatchPolicy(), logMetricPolicy()],
});

const WAIT_LINE =
  /^waiting for log metric runwatch_sweep_probe_failures to become visible to Monitoring, retry in \d+ms \(creating alert policy "runwatch probe failures"\)$/;

const creates = (calls: readonly { method: string; request: Json }[], displayName: string) =>
  calls.filter(
    (c) =>
      c.method === 'createAlertPolicy' &&
      (c.request.alertPolicy as Json | undefined)?.displayName === displayName,
  ).length;

test('deploy apply (local gRPC test doubles, Monitoring seeing a new log metric after refusing two calls on it): a first apply waits for the metric, printing each wait, and creates every policy', (t) =>
  withDoubles(
    async (d) => {
      const lines: string[] = [];
      const rows = await applyMonitoringSide(
        d,
        withMetricPolicy(),
        context(P, { metricWaitMs: 5_000, progress: (l) => lines.push(l) }),
      );
      t.deepEqual(actions(rows), [
        'sink service-errors create',
        'logMetric sweep-probe-failures create',
        'channel alert-ingest create',
        'policy service-error-logs create',
        'policy sweep-probe-failures create',
      ]);
      t.is(lines.length, 2);
      for (const line of lines) t.regex(line, WAIT_LINE);
      t.is(creates(d.monitoring.calls, 'runwatch probe failures'), 3);
      t.is(creates(d.monitoring.calls, 'runwatch service ERROR logs'), 1, 'no metric, no wait');
      t.is(d.monitoring.policies.size, 2);
    },
    { logMetrics: { refusals: 2 } },
  ));

test('deploy apply (local gRPC test doubles, Monitoring not seeing the log metric within the budget): the policy fails DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE naming the metric, the others still apply', (t) =>
  withDoubles(
    async (d) => {
      const lines: string[] = [];
      const started = Date.now();
      const rows = await applyMonitoringSide(
        d,
        withMetricPolicy(),
        context(P, { metricWaitMs: 60, progress: (l) => lines.push(l) }),
      );
      t.true(Date.now() - started < 5_000);
      t.deepEqual(actions(rows).slice(3), [
        'policy service-error-logs create',
        'policy sweep-probe-failures failed',
      ]);
      const row = rows[4];
      t.is(row?.error?.code, DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE);
      t.regex(
        row?.error?.message ?? '',
        /^creating alert policy "runwatch probe failures": Monitoring still cannot find log metric runwatch_sweep_probe_failures after 60ms of waiting in this run \(the budget, --metric-wait-ms or DEPLOY_APPLY_METRIC_WAIT_MS, is 60ms\); .*Monitoring said: Cannot find metric\(s\) that match type = "logging\.googleapis\.com\/user\/runwatch_sweep_probe_failures"/,
      );
      t.true(lines.length >= 2);
      t.is(creates(d.monitoring.calls, 'runwatch probe failures'), lines.length + 1);
      t.is(d.monitoring.policies.size, 1);
    },
    { logMetrics: { delayMs: 600_000 } },
  ));

test("deploy apply (local gRPC test doubles): the wait budget is the run's, so a second policy on a metric that never appears fails at once", (t) =>
  withDoubles(
    async (d) => {
      const lines: string[] = [];
      const second = changed(logMetricPolicy(), (r) => {
        r.displayName = 'runwatch probe failures, again';
      });
      const rows = await applyMonitoringSide(
        d,
        {
          ...resolvedFixture(P),
          logMetrics: [],
          policies: [logMetricPolicy(), { ...second, id: 'sweep-probe-failures-again' }],
        },
        context(P, { metricWaitMs: 40, progress: (l) => lines.push(l) }),
      );
      t.deepEqual(actions(rows).slice(2), [
        'policy sweep-probe-failures failed',
        'policy sweep-probe-failures-again failed',
      ]);
      t.is(rows[3]?.error?.code, DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE);
      t.false(lines.some((l) => l.includes('"runwatch probe failures, again"')));
      t.is(creates(d.monitoring.calls, 'runwatch probe failures, again'), 1);
    },
    { logMetrics: { delayMs: 600_000 } },
  ));

test('deploy apply (local gRPC test doubles): a NOT_FOUND that names no metric is not waited for; it fails at once as DEPLOY_APPLY_ERR_CALL_FAILED', (t) =>
  withDoubles(async (d) => {
    d.monitoring.inject({
      method: 'createAlertPolicy',
      when: (req) =>
        (req.alertPolicy as Json | undefined)?.displayName === 'runwatch probe failures',
      code: grpc.status.NOT_FOUND,
      details: 'Requested entity was not found.',
    });
    const lines: string[] = [];
    const rows = await applyMonitoringSide(
      d,
      withMetricPolicy(),
      context(P, { metricWaitMs: 5_000, progress: (l) => lines.push(l) }),
    );
    t.is(rows[4]?.action, 'failed');
    t.is(rows[4]?.error?.code, DEPLOY_APPLY_ERR_CALL_FAILED);
    t.is(
      rows[4]?.error?.message,
      'creating alert policy "runwatch probe failures" (alerts/definitions/monitoring/policies/sweep-probe-failures.yaml) failed (gRPC 5 NOT_FOUND): Requested entity was not found.',
    );
    t.deepEqual(lines, []);
    t.is(creates(d.monitoring.calls, 'runwatch probe failures'), 1);
  }));

test('deploy apply (local gRPC test doubles): an update that starts naming a log metric Monitoring does not see yet waits as a create does', (t) =>
  withDoubles(
    async (d) => {
      const ctx = context(P, { metricWaitMs: 5_000 });
      const before = changed(logMetricPolicy(), (r) => {
        const c = (r.conditions as Json[])[0]?.conditionThreshold as Json;
        c.filter =
          'resource.type="cloud_run_revision" AND metric.type="run.googleapis.com/request_count"';
      });
      await applyMonitoringSide(
        d,
        { ...resolvedFixture(P), logMetrics: [], policies: [before] },
        ctx,
      );
      const lines: string[] = [];
      const rows = await applyMonitoringSide(d, withMetricPolicy(), {
        ...ctx,
        progress: (l) => lines.push(l),
      });
      t.deepEqual(actions(rows).slice(1, 2), ['logMetric sweep-probe-failures create']);
      t.is(rows[4]?.action, 'update', rows[4]?.error?.message);
      t.is(lines.length, 2);
      t.regex(
        lines[0] ?? '',
        /^waiting for log metric runwatch_sweep_probe_failures to become visible to Monitoring, retry in \d+ms \(updating conditions of alert policy projects\//,
      );
    },
    { logMetrics: { refusals: 2 } },
  ));
