/**
 * Apply's Monitoring part (notification channels, alert policies) through
 * @google-cloud/monitoring against the local gRPC test double for Monitoring
 * (test/helpers/fake-gcp/monitoring.ts), which names what it stores and lets display names
 * repeat, as Monitoring does.
 */
import grpc from '@grpc/grpc-js';
import test from 'ava';
import {
  DEPLOY_APPLY_ERR_AMBIGUOUS,
  DEPLOY_APPLY_ERR_CALL_FAILED,
  DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE,
} from '../../../deploy/apply/errors.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { changed, logMatchPolicy, resolvedFixture, thresholdPolicy } from './fixtures.js';
import {
  actions,
  applyMonitoringSide,
  context,
  type Doubles,
  MUTATING,
  withDoubles,
} from './harness.js';

const P = 'proj-monitoring';
type Json = Record<string, unknown>;

const monitoringOnly = (set: ResolvedMonitoring): ResolvedMonitoring => ({
  ...set,
  sinks: [],
  logMetrics: [],
});
const apply = (
  d: Doubles,
  set = resolvedFixture(P),
  options: { dryRun?: boolean; adopt?: boolean } = {},
) => applyMonitoringSide(d, monitoringOnly(set), context(P, options));
const policyNamed = (d: Doubles, displayName: string) =>
  [...d.monitoring.policies.values()].filter((p) => p.displayName === displayName);

test('deploy apply (local gRPC test double for Monitoring): second run changes nothing, and nothing is duplicated', (t) =>
  withDoubles(async (d) => {
    t.deepEqual(actions(await apply(d)), [
      'channel alert-ingest create',
      'policy service-error-logs create',
      'policy service-5xx-ratio create',
    ]);
    const mutations = d.monitoring.calls.filter((c) => MUTATING.test(c.method)).length;
    t.deepEqual(actions(await apply(d)), [
      'channel alert-ingest unchanged',
      'policy service-error-logs unchanged',
      'policy service-5xx-ratio unchanged',
    ]);
    t.is(d.monitoring.calls.filter((c) => MUTATING.test(c.method)).length, mutations);
    t.is(d.monitoring.channels.size, 1);
    t.is(d.monitoring.policies.size, 2);
  }));

test("deploy apply (local gRPC test double for Monitoring): policies route to the channel's real name and carry runwatch's labels", (t) =>
  withDoubles(async (d) => {
    const rows = await apply(d);
    const [channelName] = [...d.monitoring.channels.keys()];
    t.is(rows[0]?.name, channelName);
    for (const displayName of ['runwatch service ERROR logs', 'runwatch 5xx ratio > 5%']) {
      const [policy] = policyNamed(d, displayName);
      t.deepEqual(policy?.notificationChannels, [channelName]);
      t.like(policy?.userLabels, { 'managed-by': 'runwatch' });
    }
    t.like(policyNamed(d, 'runwatch service ERROR logs')[0]?.userLabels, {
      team: 'ml-platform',
      'runwatch-id': 'service-error-logs',
    });
  }));

test('deploy apply (local gRPC test double for Monitoring): a dry run calls nothing that changes, and names no channel it would create', (t) =>
  withDoubles(async (d) => {
    const rows = await apply(d, resolvedFixture(P), { dryRun: true });
    t.deepEqual(actions(rows), [
      'channel alert-ingest create',
      'policy service-error-logs create',
      'policy service-5xx-ratio create',
    ]);
    t.deepEqual(
      rows.map((r) => r.name),
      [null, null, null],
    );
    t.deepEqual(
      d.monitoring.calls.map((c) => c.method),
      ['listNotificationChannels', 'listAlertPolicies'],
    );
  }));

test('deploy apply (local gRPC test double for Monitoring): a changed threshold is exactly that update, with an update mask of conditions', (t) =>
  withDoubles(async (d) => {
    await apply(d);
    const [before] = policyNamed(d, 'runwatch 5xx ratio > 5%');
    const set = {
      ...resolvedFixture(P),
      policies: [
        logMatchPolicy(),
        changed(thresholdPolicy(), (r) => {
          ((r.conditions as Json[])[0]?.conditionThreshold as Json).thresholdValue = 0.1;
        }),
      ],
    };
    const dry = await apply(d, set, { dryRun: true });
    t.deepEqual(actions(dry), [
      'channel alert-ingest unchanged',
      'policy service-error-logs unchanged',
      'policy service-5xx-ratio update',
    ]);
    t.deepEqual(dry[2]?.changes, ['conditions[0].conditionThreshold.thresholdValue: 0.05 → 0.1']);
    await apply(d, set);
    const update = d.monitoring.calls.filter((c) => c.method === 'updateAlertPolicy');
    t.is(update.length, 1);
    t.deepEqual(update[0]?.request.updateMask, { paths: ['conditions'] });
    const [after] = policyNamed(d, 'runwatch 5xx ratio > 5%');
    t.is(after?.name, before?.name);
    const conditions = (after?.conditions ?? []) as Json[];
    t.like(conditions[0], { conditionThreshold: { thresholdValue: 0.1 } });
    t.deepEqual(actions(await apply(d, set, { dryRun: true })).slice(2), [
      'policy service-5xx-ratio unchanged',
    ]);
  }));

test('deploy apply (local gRPC test double for Monitoring): a field removed from the definition is cleared through the mask', (t) =>
  withDoubles(async (d) => {
    await apply(d);
    const set = {
      ...resolvedFixture(P),
      policies: [
        changed(logMatchPolicy(), (r) => {
          delete r.documentation;
        }),
        thresholdPolicy(),
      ],
    };
    const rows = await apply(d, set);
    t.deepEqual(rows[1]?.changes, [
      'documentation: {"content":"The service logged an ERROR.","mimeType":"text/markdown"} → unset',
    ]);
    t.is(policyNamed(d, 'runwatch service ERROR logs')[0]?.documentation, undefined);
  }));

test('deploy apply (local gRPC test double for Monitoring): a policy of the same displayName created outside runwatch is reported not touched, and none is created beside it', (t) =>
  withDoubles(async (d) => {
    const [channel] = await d.clients.channels.createNotificationChannel({
      name: `projects/${P}`,
      notificationChannel: {
        type: 'email',
        displayName: 'on-call',
        labels: { email_address: 'a@b.c' },
      },
    });
    const [foreign] = await d.clients.policies.createAlertPolicy({
      name: `projects/${P}`,
      alertPolicy: {
        displayName: 'runwatch 5xx ratio > 5%',
        combiner: 'OR',
        conditions: [{ displayName: 'hand-made', conditionAbsent: { filter: 'metric.type="x"' } }],
        notificationChannels: [channel.name ?? ''],
      },
    });
    const before = structuredClone(d.monitoring.policies.get(foreign.name ?? ''));
    const rows = await apply(d);
    t.deepEqual(actions(rows), [
      'channel alert-ingest create',
      'policy service-error-logs create',
      'policy service-5xx-ratio untouched',
    ]);
    t.is(rows[2]?.name, foreign.name);
    t.regex(
      rows[2]?.notes[0] ?? '',
      /without the managed-by: runwatch label \(created outside runwatch\); not touched/,
    );
    t.is(policyNamed(d, 'runwatch 5xx ratio > 5%').length, 1);
    t.deepEqual(d.monitoring.policies.get(foreign.name ?? ''), before);
  }));

test('deploy apply (local gRPC test double for Monitoring): --adopt takes a same-named policy over, labels and all', (t) =>
  withDoubles(async (d) => {
    await d.clients.policies.createAlertPolicy({
      name: `projects/${P}`,
      alertPolicy: {
        displayName: 'runwatch 5xx ratio > 5%',
        combiner: 'OR',
        conditions: [{ displayName: 'hand-made', conditionAbsent: { filter: 'metric.type="x"' } }],
      },
    });
    const rows = await apply(d, resolvedFixture(P), { adopt: true });
    t.is(rows[2]?.action, 'update');
    t.deepEqual(rows[2]?.notes, ['adopted: it had no runwatch labels and carries them now']);
    const [policy] = policyNamed(d, 'runwatch 5xx ratio > 5%');
    t.like(policy?.userLabels, { 'managed-by': 'runwatch', 'runwatch-id': 'service-5xx-ratio' });
    t.deepEqual(actions(await apply(d)).slice(2), ['policy service-5xx-ratio unchanged']);
  }));

test('deploy apply (local gRPC test double for Monitoring): a channel created outside runwatch is not touched, and the policies routing to it are not applied', (t) =>
  withDoubles(async (d) => {
    await d.clients.channels.createNotificationChannel({
      name: `projects/${P}`,
      notificationChannel: { type: 'pubsub', displayName: 'runwatch alert-ingest' },
    });
    const rows = await apply(d);
    t.deepEqual(actions(rows), [
      'channel alert-ingest untouched',
      'policy service-error-logs failed',
      'policy service-5xx-ratio failed',
    ]);
    t.is(rows[1]?.error?.code, DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE);
    t.regex(
      rows[1]?.error?.message ?? '',
      /routes to notification channel alert-ingest, and it is not touched in this run/,
    );
    t.is(d.monitoring.policies.size, 0);
  }));

test('deploy apply (local gRPC test double for Monitoring): two policies carrying one runwatch-id are DEPLOY_APPLY_ERR_AMBIGUOUS, and neither is touched', (t) =>
  withDoubles(async (d) => {
    await apply(d);
    const [original] = policyNamed(d, 'runwatch 5xx ratio > 5%');
    const { name: _name, conditions, ...copy } = original as Json;
    await d.clients.policies.createAlertPolicy({
      name: `projects/${P}`,
      alertPolicy: {
        ...copy,
        displayName: 'a copy',
        conditions: (conditions as Json[]).map(({ name: _n, ...c }) => c),
      } as never,
    });
    const rows = await apply(d);
    t.is(rows[2]?.action, 'failed');
    t.is(rows[2]?.error?.code, DEPLOY_APPLY_ERR_AMBIGUOUS);
    t.regex(
      rows[2]?.error?.message ?? '',
      /2 carry managed-by: runwatch and runwatch-id: service-5xx-ratio: projects\/.*, projects\/.*; delete all but one/,
    );
  }));

test('deploy apply (local gRPC test double for Monitoring): resources on later pages of the list are found, not duplicated', (t) =>
  withDoubles(
    async (d) => {
      await apply(d);
      t.deepEqual(actions(await apply(d)), [
        'channel alert-ingest unchanged',
        'policy service-error-logs unchanged',
        'policy service-5xx-ratio unchanged',
      ]);
      t.true(d.monitoring.calls.filter((c) => c.method === 'listAlertPolicies').length > 2);
      t.is(d.monitoring.policies.size, 2);
    },
    { pageSize: 1 },
  ));

test('deploy apply (local gRPC test double for Monitoring): PERMISSION_DENIED on one policy is its row; the channel and the other policy still apply', (t) =>
  withDoubles(async (d) => {
    d.monitoring.inject({
      method: 'createAlertPolicy',
      when: (req) =>
        (req.alertPolicy as Json | undefined)?.displayName === 'runwatch 5xx ratio > 5%',
      code: grpc.status.PERMISSION_DENIED,
      details: 'Permission monitoring.alertPolicies.create denied (or the resource may not exist).',
    });
    const rows = await apply(d);
    t.deepEqual(actions(rows), [
      'channel alert-ingest create',
      'policy service-error-logs create',
      'policy service-5xx-ratio failed',
    ]);
    t.is(rows[2]?.error?.code, DEPLOY_APPLY_ERR_CALL_FAILED);
    t.is(
      rows[2]?.error?.message,
      `creating alert policy "runwatch 5xx ratio > 5%" (alerts/definitions/monitoring/policies/service-5xx-ratio.yaml) failed (gRPC 7 PERMISSION_DENIED): Permission monitoring.alertPolicies.create denied (or the resource may not exist).`,
    );
    t.is(d.monitoring.policies.size, 1);
  }));
