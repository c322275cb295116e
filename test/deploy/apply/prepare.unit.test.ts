/** Every definition is checked before the first call, and all problems are reported at once. */
import test from 'ava';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID } from '../../../deploy/apply/errors.js';
import { prepareMonitoring } from '../../../deploy/apply/prepare.js';
import { ProtoSchema } from '../../../deploy/apply/proto-json.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { changed, logMatchPolicy, metric, resolvedFixture, sink } from './fixtures.js';

const schema = ProtoSchema.shipped();

test('deploy apply prepare: the fixture set prepares; channels and policies carry the runwatch labels', (t) => {
  const p = prepareMonitoring(schema, resolvedFixture('proj-a'));
  t.deepEqual(
    p.policy.map((x) => x.body.userLabels),
    [
      { team: 'ml-platform', 'managed-by': 'runwatch', 'runwatch-id': 'service-error-logs' },
      { 'managed-by': 'runwatch', 'runwatch-id': 'service-5xx-ratio' },
    ],
  );
  t.deepEqual(
    p.channel.map((x) => x.key),
    ['runwatch alert-ingest'],
  );
  t.deepEqual(
    p.sink.map((x) => x.key),
    ['runwatch-service-errors'],
  );
  t.deepEqual(p.policy[0]?.body.alertStrategy, {
    notificationRateLimit: { period: '300s' },
    autoClose: '1800s',
  });
});

test('deploy apply prepare: a full sink name is reduced to its id', (t) => {
  const set = {
    ...resolvedFixture('proj-a'),
    sinks: [
      changed(sink('proj-a'), (r) => {
        r.name = 'projects/proj-a/sinks/runwatch-service-errors';
      }),
    ],
  };
  t.is(prepareMonitoring(schema, set).sink[0]?.body.name, 'runwatch-service-errors');
});

test('deploy apply prepare: every problem is listed, each with its file and field', (t) => {
  const base = resolvedFixture('proj-a');
  const set: ResolvedMonitoring = {
    ...base,
    logMetrics: [
      changed(metric(), (r) => {
        r.labelExtractor = {};
      }),
      changed(metric(), (r) => {
        r.name = 'has space';
      }),
    ],
    policies: [
      changed(logMatchPolicy(), (r) => {
        r.severity = 'URGENT';
      }),
      { ...logMatchPolicy(), id: 'Bad.Id', channelRefs: ['pager'] },
    ],
  };
  const e = t.throws(() => prepareMonitoring(schema, set));
  t.is((e as { code?: string }).code, DEPLOY_APPLY_ERR_DEFINITIONS_INVALID);
  const lines = (e?.message ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  t.deepEqual(lines, [
    'alerts/definitions/monitoring/logMetrics/sweep-probe-failures.yaml: field labelExtractor is not a field of google.logging.v2.LogMetric',
    'alerts/definitions/monitoring/logMetrics/sweep-probe-failures.yaml: field name is "has space"; expected a log metric id (letters, digits, _ . - /; at most 100)',
    'alerts/definitions/monitoring/policies/service-error-logs.yaml: field severity is "URGENT"; expected one of SEVERITY_UNSPECIFIED, CRITICAL, ERROR, WARNING',
    'alerts/definitions/monitoring/policies/service-error-logs.yaml: definition id "Bad.Id" cannot be the runwatch-id label; expected lowercase letters, digits, - and _, starting with a letter, at most 63',
    'alerts/definitions/monitoring/policies/service-error-logs.yaml: channelRef "pager" names no channel definition; expected one of alert-ingest',
  ]);
  t.regex(e?.message ?? '', /^5 definition problems; nothing was applied:/);
});

test('deploy apply prepare: two policies with one displayName are refused, since apply finds policies by it', (t) => {
  const base = resolvedFixture('proj-a');
  const twin = { ...logMatchPolicy(), id: 'twin', file: 'policies/twin.yaml' };
  const e = t.throws(() =>
    prepareMonitoring(schema, { ...base, policies: [logMatchPolicy(), twin] }),
  );
  t.regex(
    e?.message ?? '',
    /policies\/twin\.yaml: displayName "runwatch service ERROR logs" is also alerts\/definitions\/monitoring\/policies\/service-error-logs\.yaml's/,
  );
});
