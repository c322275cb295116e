/**
 * The wait for Monitoring to see a new log metric, as a schedule: which refusals it waits on,
 * how long each wait is, and when the run's budget is spent. Sleeps are recorded, not slept.
 */
import test from 'ava';
import { DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE } from '../../../deploy/apply/errors.js';
import { isMetricNotVisible, MetricWait, metricsNamed } from '../../../deploy/apply/metric-wait.js';

const NOT_FOUND = 5;
/** A gRPC error as the client libraries throw it. */
const grpcError = (code: number, details: string) =>
  Object.assign(new Error(`${code} NOT_FOUND: ${details}`), { code, details });
const refusal = (metric: string) =>
  grpcError(
    NOT_FOUND,
    `Cannot find metric(s) that match type = "logging.googleapis.com/user/${metric}". If a metric was created recently, it could take up to 10 minutes to become available. Please try again soon.`,
  );

/** A MetricWait whose sleeps are recorded, and a call refused `times` times, then answering. */
function harness(budgetMs: number) {
  const slept: number[] = [];
  const lines: string[] = [];
  const wait = new MetricWait(
    budgetMs,
    (l) => lines.push(l),
    async (ms) => {
      slept.push(ms);
    },
  );
  const refusedTimes = (times: number, metric = 'sweep-completed') => {
    let calls = 0;
    return async () => {
      calls += 1;
      if (calls <= times) throw refusal(metric);
      return calls;
    };
  };
  return { wait, slept, lines, refusedTimes };
}

test('metric wait: only NOT_FOUND naming a metric is a metric not visible yet', (t) => {
  t.true(isMetricNotVisible(refusal('m')));
  t.false(isMetricNotVisible(grpcError(NOT_FOUND, 'Requested entity was not found.')));
  t.false(isMetricNotVisible(grpcError(3, 'Cannot find metric(s) that match type = "x"')));
  t.false(isMetricNotVisible(new Error('Cannot find metric')));
});

test('metric wait: the metrics are named from the refusal, else from the policy', (t) => {
  t.deepEqual(metricsNamed(refusal('sweep-completed').details, {}), ['sweep-completed']);
  const policy = {
    conditions: [
      { conditionAbsent: { filter: 'metric.type="logging.googleapis.com/user/a/b"' } },
      { conditionThreshold: { filter: 'metric.type = "logging.googleapis.com/user/c"' } },
    ],
  };
  t.deepEqual(metricsNamed('Cannot find metric(s)', policy), ['a/b', 'c']);
});

test('metric wait: against Google (10 min) the waits are 5 s doubling to 60 s, the last one cut to the budget', async (t) => {
  const h = harness(600_000);
  await t.throwsAsync(h.wait.run('creating alert policy "X"', {}, h.refusedTimes(1_000)));
  t.deepEqual(
    h.slept,
    [
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000,
      45_000,
    ],
  );
  t.is(
    h.lines[0],
    'waiting for log metric sweep-completed to become visible to Monitoring, retry in 5s (creating alert policy "X")',
  );
  t.is(
    h.lines[4],
    'waiting for log metric sweep-completed to become visible to Monitoring, retry in 1m (creating alert policy "X")',
  );
  t.is(
    h.slept.reduce((a, b) => a + b, 0),
    600_000,
  );
});

test('metric wait: a call refused twice answers on the third try, after two waits', async (t) => {
  const h = harness(600_000);
  t.is(await h.wait.run('creating alert policy "X"', {}, h.refusedTimes(2)), 3);
  t.deepEqual(h.slept, [5_000, 10_000]);
  t.is(h.lines.length, 2);
});

test('metric wait: once the budget is spent, the error names the call, the metric, the time waited and the budget', async (t) => {
  const h = harness(90_000);
  const e = await t.throwsAsync(h.wait.run('creating alert policy "X"', {}, h.refusedTimes(100)));
  t.like(e, { code: DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE, statusCode: 504 });
  t.regex(
    e?.message ?? '',
    /^creating alert policy "X": Monitoring still cannot find log metric sweep-completed after 1m 30s of waiting in this run \(the budget, --metric-wait-ms or DEPLOY_APPLY_METRIC_WAIT_MS, is 1m 30s\); /,
  );
  // A later call on the spent budget fails at its first refusal.
  const again = harness(0);
  await t.throwsAsync(again.wait.run('creating alert policy "Y"', {}, again.refusedTimes(1)), {
    message: /after 0ms of waiting/,
  });
  t.deepEqual(again.slept, []);
  const later = h.refusedTimes(1);
  await t.throwsAsync(h.wait.run('creating alert policy "Z"', {}, later));
  t.is(
    h.slept.reduce((a, b) => a + b, 0),
    90_000,
  );
});

test('metric wait: any other failure passes through untouched and unwaited', async (t) => {
  const h = harness(600_000);
  const other = grpcError(NOT_FOUND, 'Requested entity was not found.');
  const e = await t.throwsAsync(
    h.wait.run('creating alert policy "X"', {}, async () => {
      throw other;
    }),
  );
  t.is(e, other);
  t.deepEqual(h.slept, []);
});
