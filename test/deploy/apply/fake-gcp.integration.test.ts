/**
 * The local gRPC test doubles themselves (test/helpers/fake-gcp/), driven by the real client
 * libraries: they answer the way apply relies on Logging and Monitoring answering.
 */
import grpc from '@grpc/grpc-js';
import test from 'ava';
import { withDoubles } from './harness.js';

const P = 'proj-double';
const code = (e: unknown) => (e as { code?: unknown }).code;

test('local gRPC test double for Logging: get of a missing sink is NOT_FOUND, a second create ALREADY_EXISTS', (t) =>
  withDoubles(async ({ clients }) => {
    const sinkName = `projects/${P}/sinks/s`;
    const missing = await t.throwsAsync(clients.sinks.getSink({ sinkName }));
    t.is(code(missing), grpc.status.NOT_FOUND);
    const sink = {
      name: 's',
      destination: `pubsub.googleapis.com/projects/${P}/topics/t`,
      filter: 'f',
    };
    const [created] = await clients.sinks.createSink({
      parent: `projects/${P}`,
      sink,
      uniqueWriterIdentity: true,
    });
    t.is(
      created.writerIdentity,
      'serviceAccount:service-123456789012@gcp-sa-logging.iam.gserviceaccount.com',
    );
    t.truthy(created.createTime?.seconds);
    const again = await t.throwsAsync(clients.sinks.createSink({ parent: `projects/${P}`, sink }));
    t.is(code(again), grpc.status.ALREADY_EXISTS);
  }));

test("local gRPC test double for Logging: updateSink copies the mask's fields only, and clears what the sink leaves out", (t) =>
  withDoubles(async ({ clients }) => {
    const sinkName = `projects/${P}/sinks/s`;
    await clients.sinks.createSink({
      parent: `projects/${P}`,
      sink: { name: 's', destination: 'd1', filter: 'f1', description: 'kept' },
    });
    const [updated] = await clients.sinks.updateSink({
      sinkName,
      sink: { name: 's', destination: 'd2', filter: 'f2' },
      updateMask: { paths: ['filter', 'description'] },
    });
    t.like(updated, { destination: 'd1', filter: 'f2', description: '' });
    const refused = await t.throwsAsync(
      clients.sinks.updateSink({
        sinkName,
        sink: { name: 's' },
        updateMask: { paths: ['writer_identity'] },
      }),
    );
    t.is(code(refused), grpc.status.INVALID_ARGUMENT);
  }));

test('local gRPC test double for Logging: a metric gets its descriptor filled as a counter', (t) =>
  withDoubles(async ({ clients }) => {
    const [m] = await clients.metrics.createLogMetric({
      parent: `projects/${P}`,
      metric: { name: 'm', filter: 'jsonPayload.ok=false' },
    });
    t.like(m.metricDescriptor, {
      type: 'logging.googleapis.com/user/m',
      metricKind: 'DELTA',
      valueType: 'INT64',
      unit: '1',
    });
    const noFilter = await t.throwsAsync(
      clients.metrics.createLogMetric({ parent: `projects/${P}`, metric: { name: 'n' } }),
    );
    t.is(code(noFilter), grpc.status.INVALID_ARGUMENT);
  }));

test('local gRPC test double for Monitoring: names are assigned, display names may repeat, lists page', (t) =>
  withDoubles(
    async ({ clients }) => {
      const create = () =>
        clients.channels.createNotificationChannel({
          name: `projects/${P}`,
          notificationChannel: { type: 'pubsub', displayName: 'same' },
        });
      const [a] = await create();
      const [b] = await create();
      t.regex(a.name ?? '', new RegExp(`^projects/${P}/notificationChannels/\\d{19}$`));
      t.not(a.name, b.name);
      t.deepEqual(a.enabled, { value: true });
      const [all] = await clients.channels.listNotificationChannels({ name: `projects/${P}` });
      t.deepEqual(all.map((c) => c.name).sort(), [a.name, b.name].sort());
      const [first, , response] = await clients.channels.listNotificationChannels(
        { name: `projects/${P}` },
        { autoPaginate: false },
      );
      t.is(first.length, 1);
      t.truthy(response?.nextPageToken);
    },
    { pageSize: 1 },
  ));

test('local gRPC test double for Monitoring: policies are checked as the API checks them', (t) =>
  withDoubles(async ({ clients }) => {
    const parent = `projects/${P}`;
    const logMatch = { displayName: 'l', conditionMatchedLog: { filter: 'severity>=ERROR' } };
    const refused = async (alertPolicy: Record<string, unknown>, message: RegExp) => {
      const e = await t.throwsAsync(
        clients.policies.createAlertPolicy({ name: parent, alertPolicy }),
      );
      t.is(code(e), grpc.status.INVALID_ARGUMENT);
      t.regex(String((e as { details?: unknown }).details), message);
    };
    await refused(
      { displayName: 'p', conditions: [logMatch] },
      /notification_rate_limit is required/,
    );
    await refused(
      {
        displayName: 'p',
        conditions: [{ displayName: 't', conditionThreshold: { filter: 'x' } }],
        alertStrategy: { notificationRateLimit: { period: { seconds: 300 } } },
      },
      /must not specify a notification rate limit/,
    );
    await refused(
      {
        displayName: 'p',
        conditions: [logMatch],
        alertStrategy: { notificationRateLimit: { period: { seconds: 300 } } },
        notificationChannels: [`${parent}/notificationChannels/1`],
      },
      /Notification channel .* does not exist/,
    );
    const [policy] = await clients.policies.createAlertPolicy({
      name: parent,
      alertPolicy: {
        displayName: 'p',
        conditions: [logMatch],
        alertStrategy: { notificationRateLimit: { period: { seconds: 300 } } },
      },
    });
    t.regex(policy.conditions?.[0]?.name ?? '', new RegExp(`^${policy.name}/conditions/\\d+$`));
    const [updated] = await clients.policies.updateAlertPolicy({
      alertPolicy: { name: policy.name ?? '', displayName: 'renamed', severity: 'ERROR' },
      updateMask: { paths: ['display_name'] },
    });
    t.is(updated.displayName, 'renamed');
    t.is(updated.severity, 'SEVERITY_UNSPECIFIED');
    t.is(updated.conditions?.[0]?.name, policy.conditions?.[0]?.name);
  }));

test('local gRPC test double for Monitoring: with logMetricVisibility it refuses a policy on a log metric the Logging double lacks or Monitoring would not see yet, as Monitoring does, and takes it once it sees the metric', (t) =>
  withDoubles(
    async ({ clients }) => {
      const parent = `projects/${P}`;
      const alertPolicy = {
        displayName: 'on a log metric',
        combiner: 'OR' as const,
        conditions: [
          {
            displayName: 'absent',
            conditionAbsent: {
              filter: 'metric.type="logging.googleapis.com/user/m"',
              duration: { seconds: 600 },
            },
          },
        ],
      };
      const notVisible = async () => {
        const e = await t.throwsAsync(
          clients.policies.createAlertPolicy({ name: parent, alertPolicy }),
        );
        t.is(code(e), grpc.status.NOT_FOUND);
        t.is(
          (e as { details?: unknown }).details,
          'Cannot find metric(s) that match type = "logging.googleapis.com/user/m". If a metric was created recently, it could take up to 10 minutes to become available. Please try again soon.',
        );
      };
      await notVisible();
      await clients.metrics.createLogMetric({ parent, metric: { name: 'm', filter: 'f' } });
      await notVisible();
      const [policy] = await clients.policies.createAlertPolicy({ name: parent, alertPolicy });
      t.is(policy.displayName, 'on a log metric');
      // Without a user metric in its filters, a policy is never refused this way.
      await clients.policies.createAlertPolicy({
        name: parent,
        alertPolicy: {
          ...alertPolicy,
          conditions: [
            {
              displayName: 'absent',
              conditionAbsent: {
                filter: 'metric.type="run.googleapis.com/request_count"',
                duration: { seconds: 600 },
              },
            },
          ],
        },
      });
    },
    { logMetrics: { refusals: 2 } },
  ));
