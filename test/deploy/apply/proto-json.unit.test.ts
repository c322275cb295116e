/**
 * proto3 JSON from the descriptors the client libraries ship: a definition (proto3 JSON) and a
 * client response (the gax clients' decoded objects) read into the same canonical JSON, and
 * what the proto does not allow is refused with the field's path.
 */
import test from 'ava';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID } from '../../../deploy/apply/errors.js';
import {
  formatDuration,
  fromProto3Json,
  ProtoSchema,
  toProto3Json,
} from '../../../deploy/apply/proto-json.js';

const schema = ProtoSchema.shipped();
const POLICY = 'google.monitoring.v3.AlertPolicy';
const SINK = 'google.logging.v2.LogSink';
const METRIC = 'google.logging.v2.LogMetric';
const CHANNEL = 'google.monitoring.v3.NotificationChannel';

type Json = Record<string, unknown>;

const reads = test.macro({
  exec(t, type: string, input: Json, expected: Json) {
    t.deepEqual(toProto3Json(schema, type, input), expected);
  },
  title: (given) => `proto3 JSON: ${given ?? ''}`,
});

test(
  'a client response drops defaults, flattens wrappers and writes Durations as "300s"',
  reads,
  POLICY,
  {
    name: 'projects/p/alertPolicies/1',
    displayName: 'x',
    conditions: [],
    notificationChannels: [],
    userLabels: {},
    combiner: 'COMBINE_UNSPECIFIED',
    severity: 'SEVERITY_UNSPECIFIED',
    documentation: null,
    enabled: { value: true },
    alertStrategy: {
      notificationPrompts: [],
      notificationChannelStrategy: [],
      notificationRateLimit: { period: { seconds: '300', nanos: 0 } },
      autoClose: { seconds: '1800', nanos: 500_000_000 },
    },
  },
  {
    name: 'projects/p/alertPolicies/1',
    displayName: 'x',
    enabled: true,
    alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800.500s' },
  },
);

test(
  'a definition in proto3 JSON reads back the same, snake_case keys as camelCase',
  reads,
  POLICY,
  { display_name: 'x', enabled: false, alertStrategy: { autoClose: '1800.000s' } },
  { displayName: 'x', enabled: false, alertStrategy: { autoClose: '1800s' } },
);

test(
  'a client response keeps only the oneof member its discriminator names, at its default too',
  reads,
  'google.monitoring.v3.AlertPolicy.Condition.Trigger',
  { count: 0, percent: 0, type: 'count' },
  { count: 0 },
);

test(
  'enum numbers read as names and the zero value is left out',
  reads,
  SINK,
  { name: 's', destination: 'd', outputVersionFormat: 1 },
  { name: 's', destination: 'd', outputVersionFormat: 'V2' },
);

test(
  'maps are sorted by key and keep empty strings; empty maps and lists are left out',
  reads,
  METRIC,
  { name: 'm', labelExtractors: { z: 'EXTRACT(a)', a: '' }, metricDescriptor: { labels: [] } },
  { name: 'm', labelExtractors: { a: '', z: 'EXTRACT(a)' }, metricDescriptor: {} },
);

test(
  'a Timestamp reads as RFC 3339 with its fraction',
  reads,
  'google.monitoring.v3.MutationRecord',
  { mutateTime: { seconds: '1796677155', nanos: 339_000_000 }, mutatedBy: 'a@b' },
  { mutateTime: '2026-12-07T20:59:15.339Z', mutatedBy: 'a@b' },
);

test(
  'a 64-bit integer reads as a string, from a number or a string',
  reads,
  'google.monitoring.v3.AlertPolicy.Condition.SqlCondition.RowCountTest',
  { comparison: 'COMPARISON_GT', threshold: 5 },
  { comparison: 'COMPARISON_GT', threshold: '5' },
);

test(
  'a threshold of "0.05" given as text reads as the number',
  reads,
  'google.monitoring.v3.AlertPolicy.Condition.MetricThreshold',
  { thresholdValue: '0.05', duration: { seconds: 60 } },
  { thresholdValue: 0.05, duration: '60s' },
);

const refuses = test.macro({
  exec(t, type: string, input: Json, field: string, message: RegExp) {
    const e = t.throws(() => toProto3Json(schema, type, input));
    t.is((e as { code?: string }).code, DEPLOY_APPLY_ERR_DEFINITIONS_INVALID);
    t.is((e as { field?: string }).field, field);
    t.regex(e?.message ?? '', message);
  },
  title: (given) => `proto3 JSON refuses ${given ?? ''}`,
});

test(
  'an unknown field, naming its path',
  refuses,
  POLICY,
  { alertStrategy: { autoClosing: '60s' } },
  'alertStrategy.autoClosing',
  /is not a field of google\.monitoring\.v3\.AlertPolicy\.AlertStrategy/,
);
test(
  'an enum name the proto does not have, listing those it has',
  refuses,
  POLICY,
  { severity: 'URGENT' },
  'severity',
  /is "URGENT"; expected one of SEVERITY_UNSPECIFIED, CRITICAL, ERROR, WARNING/,
);
test(
  'a malformed Duration',
  refuses,
  POLICY,
  { alertStrategy: { autoClose: '30m' } },
  'alertStrategy.autoClose',
  /is "30m"; expected a Duration such as "300s"/,
);
test(
  'a string where a bool goes',
  refuses,
  CHANNEL,
  { enabled: 'yes' },
  'enabled',
  /is "yes"; expected true or false/,
);
test(
  'a fraction where an integer goes',
  refuses,
  'google.monitoring.v3.AlertPolicy.Condition.Trigger',
  { count: 1.5 },
  'count',
  /expected an integer \(int32\)/,
);
test(
  'two members of one oneof',
  refuses,
  'google.monitoring.v3.AlertPolicy.Condition',
  { conditionAbsent: { filter: 'a' }, conditionMatchedLog: { filter: 'b' } },
  'conditionMatchedLog',
  /and conditionAbsent are both set; they are members of one oneof \(condition\)/,
);
test(
  'a list where an object goes, inside a list',
  refuses,
  POLICY,
  { conditions: [{ displayName: 'c', conditionThreshold: [] }] },
  'conditions[0].conditionThreshold',
  /expected an object/,
);

test('proto3 JSON: canonical JSON turns back into the object form the clients encode', (t) => {
  t.deepEqual(
    fromProto3Json(schema, POLICY, {
      displayName: 'x',
      enabled: true,
      alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1.5s' },
      conditions: [{ displayName: 'c', conditionThreshold: { duration: '-0.5s' } }],
    }),
    {
      displayName: 'x',
      enabled: { value: true },
      alertStrategy: {
        notificationRateLimit: { period: { seconds: '300' } },
        autoClose: { seconds: '1', nanos: 500_000_000 },
      },
      conditions: [
        {
          displayName: 'c',
          conditionThreshold: { duration: { seconds: '0', nanos: -500_000_000 } },
        },
      ],
    },
  );
});

const durations = [
  [0n, 0, '0s'],
  [60n, 0, '60s'],
  [1n, 500_000_000, '1.500s'],
  [0n, 1_500, '0.000001500s'],
  [-3n, -250_000_000, '-3.250s'],
] as const;
for (const [seconds, nanos, text] of durations) {
  test(`proto3 JSON: a Duration of ${seconds}s and ${nanos}ns is "${text}"`, (t) => {
    t.is(formatDuration(seconds, nanos), text);
  });
}
