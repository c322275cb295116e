/**
 * The strict proto3 JSON walk on its own, over the real message types of the client libraries'
 * protos: what it accepts (the proto3 JSON forms of each scalar and well-known type) and what it
 * refuses, with the path and the expectation in the message.
 */
import test from 'ava';
import type protobuf from 'protobufjs';
import { checkProto3Json, durationSeconds } from '../../../deploy/monitoring/proto-json.js';
import { resourceTypes } from '../../../deploy/monitoring/proto-types.js';

const types = resourceTypes();
const policyRoot = types.policies.root;
const lookup = (name: string): protobuf.Type => policyRoot.lookupType(name);
const messages = (type: protobuf.Type, value: unknown): string[] =>
  checkProto3Json(type, value, 'f.yaml').map((p) => p.message);

test('proto3 json: the four resource types come from the shipped protos', (t) => {
  t.deepEqual(
    Object.values(types).map((type) => type.fullName),
    [
      '.google.monitoring.v3.NotificationChannel',
      '.google.logging.v2.LogMetric',
      '.google.logging.v2.LogSink',
      '.google.monitoring.v3.AlertPolicy',
    ],
  );
});

test('proto3 json: Durations are seconds with up to nine decimals and an s', (t) => {
  const strategy = lookup('google.monitoring.v3.AlertPolicy.AlertStrategy');
  for (const ok of ['0s', '300s', '1.5s', '0.000000001s', '-2s', '315576000000s']) {
    t.deepEqual(messages(strategy, { autoClose: ok }), [], ok);
  }
  for (const bad of ['300', '5m', '1.0000000001s', '1e3s', ' 300s', '315576000001s', 300]) {
    t.deepEqual(
      messages(strategy, { autoClose: bad }),
      [
        `f.yaml: field autoClose is ${typeof bad === 'string' ? JSON.stringify(bad) : bad}; expected a Duration: whole seconds with up to 9 decimals and a trailing "s", e.g. "300s" or "1.5s"`,
      ],
      String(bad),
    );
  }
  t.is(durationSeconds('1.5s'), 1.5);
  t.is(durationSeconds('-2s'), -2);
  t.is(durationSeconds('2m'), null);
});

test('proto3 json: Timestamps are RFC 3339 with Z or an offset', (t) => {
  const record = lookup('google.monitoring.v3.MutationRecord');
  for (const ok of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123456789+02:00']) {
    t.deepEqual(messages(record, { mutateTime: ok }), [], ok);
  }
  for (const bad of ['2024-05-01', '2024-05-01 12:00:00Z', '2024-13-01T12:00:00Z', 1714564800]) {
    t.is(messages(record, { mutateTime: bad }).length, 1, String(bad));
  }
});

test('proto3 json: 32-bit integers are JSON integers in range; 64-bit ones numbers or decimal strings', (t) => {
  const trigger = lookup('google.monitoring.v3.AlertPolicy.Condition.Trigger');
  t.deepEqual(messages(trigger, { count: 3 }), []);
  t.deepEqual(messages(trigger, { count: '3' }), [
    'f.yaml: field count is "3"; expected an integer from -2147483648 to 2147483647 (int32)',
  ]);
  t.deepEqual(messages(trigger, { count: 2_147_483_648 }), [
    'f.yaml: field count is 2147483648; expected an integer from -2147483648 to 2147483647 (int32)',
  ]);
  const rowCount = lookup('google.monitoring.v3.AlertPolicy.Condition.SqlCondition.RowCountTest');
  t.deepEqual(
    messages(rowCount, { comparison: 'COMPARISON_GT', threshold: '9007199254740993' }),
    [],
  );
  t.deepEqual(messages(rowCount, { comparison: 'COMPARISON_GT', threshold: 12 }), []);
  t.deepEqual(messages(rowCount, { comparison: 'COMPARISON_GT', threshold: 1.5 }), [
    'f.yaml: field threshold is 1.5; expected an integer (int64), as a number or a decimal string',
  ]);
});

test('proto3 json: doubles take numbers and the three special strings, never a number as text', (t) => {
  const threshold = lookup('google.monitoring.v3.AlertPolicy.Condition.MetricThreshold');
  const base = { filter: 'metric.type="x"' };
  for (const ok of [0, 0.05, -1, 'NaN', 'Infinity', '-Infinity']) {
    t.deepEqual(messages(threshold, { ...base, thresholdValue: ok }), [], String(ok));
  }
  t.deepEqual(messages(threshold, { ...base, thresholdValue: true }), [
    'f.yaml: field thresholdValue is true; expected a number (double)',
  ]);
});

test('proto3 json: wrappers are their bare value; bools are true or false', (t) => {
  const policy = types.policies;
  t.deepEqual(messages(policy, { enabled: false }), []);
  t.deepEqual(messages(policy, { enabled: { value: true } }), [
    'f.yaml: field enabled is an object; expected true or false (bool)',
  ]);
  const sink = types.sinks;
  t.deepEqual(messages(sink, { name: 's', destination: 'd', disabled: 'false' }), [
    'f.yaml: field disabled is "false"; expected true or false (bool)',
  ]);
});

test('proto3 json: enums are names, not numbers', (t) => {
  t.deepEqual(messages(types.policies, { combiner: 2 }), [
    'f.yaml: field combiner is 2; expected one of COMBINE_UNSPECIFIED, AND, OR, AND_WITH_MATCHING_RESOURCE (google.monitoring.v3.AlertPolicy.ConditionCombinerType)',
  ]);
});

test('proto3 json: maps are mappings of the value type; repeated fields lists without nulls', (t) => {
  t.deepEqual(messages(types.policies, { userLabels: { team: 7 } }), [
    'f.yaml: field userLabels.team is 7; expected a string',
  ]);
  t.deepEqual(messages(types.policies, { notificationChannels: ['a', null] }), [
    'f.yaml: field notificationChannels[1] is null; expected a string',
  ]);
  t.deepEqual(messages(types.policies, { conditions: [{ displayName: 'c' }, 'x'] }), [
    'f.yaml: field conditions[1] is "x"; expected a mapping (google.monitoring.v3.AlertPolicy.Condition)',
  ]);
});

test('proto3 json: required fields are present, deprecated ones refused, every problem of a file reported', (t) => {
  t.deepEqual(messages(types.logMetrics, { version: 'V2', description: 'x' }), [
    'f.yaml: field version is deprecated in the proto; expected the field left out',
    'f.yaml: field name is missing; expected a string (required)',
    'f.yaml: field filter is missing; expected a string (required)',
  ]);
});

test('proto3 json: at most one member of a oneof, at any depth; a proto3 optional field is no oneof', (t) => {
  const buckets = lookup('google.api.Distribution.BucketOptions');
  t.deepEqual(
    messages(buckets, {
      linearBuckets: { numFiniteBuckets: 2, width: 1, offset: 0 },
      explicitBuckets: { bounds: [1, 2] },
    }),
    [
      'f.yaml: field explicitBuckets is set beside linearBuckets; expected at most one of linearBuckets, exponentialBuckets, explicitBuckets (oneof options)',
    ],
  );
  const hourly = lookup('google.monitoring.v3.AlertPolicy.Condition.SqlCondition.Hourly');
  t.deepEqual(messages(hourly, { periodicity: 1, minuteOffset: 5 }), []);
});
