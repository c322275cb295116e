/**
 * The comparison apply's updates rest on: a definition and the API's copy of it, each
 * normalised (server-owned fields out, server defaults in), differ exactly where an update is
 * needed, and the differences name the update mask's fields.
 */
import test from 'ava';
import { diffResources, maskPaths } from '../../../deploy/apply/diff.js';
import {
  normaliseActual,
  normaliseDesired,
  type ResourceKind,
} from '../../../deploy/apply/normalise.js';
import { ProtoSchema } from '../../../deploy/apply/proto-json.js';

const schema = ProtoSchema.shipped();
type Json = Record<string, unknown>;

const compares = test.macro({
  exec(
    t,
    kind: ResourceKind,
    desired: Json,
    actual: Json,
    expected: { readonly mask: readonly string[]; readonly changes: readonly string[] },
  ) {
    const diff = diffResources(
      normaliseDesired(schema, kind, desired),
      normaliseActual(schema, kind, actual),
    );
    t.deepEqual({ mask: maskPaths(diff.fields), changes: diff.changes }, expected);
  },
  title: (given) => `normalise: ${given ?? ''}`,
});

const stamp = { seconds: '1796677155', nanos: 339_000_000 };
const record = { mutateTime: stamp, mutatedBy: 'someone@example.com' };

test(
  'a sink as the API returns it (writer identity, times, defaults) equals its definition',
  compares,
  'sink',
  {
    name: 's',
    destination: 'pubsub.googleapis.com/projects/p/topics/t',
    filter: 'severity>=ERROR',
  },
  {
    name: 's',
    destination: 'pubsub.googleapis.com/projects/p/topics/t',
    filter: 'severity>=ERROR',
    description: '',
    disabled: false,
    exclusions: [],
    outputVersionFormat: 'V2',
    writerIdentity: 'serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com',
    includeChildren: false,
    createTime: stamp,
    updateTime: stamp,
  },
  { mask: [], changes: [] },
);

test(
  "a sink's changed filter is the one change, and the mask names filter",
  compares,
  'sink',
  { name: 's', destination: 'd', filter: 'severity>=WARNING' },
  { name: 's', destination: 'd', filter: 'severity>=ERROR', writerIdentity: 'serviceAccount:x' },
  { mask: ['filter'], changes: ['filter: "severity>=ERROR" → "severity>=WARNING"'] },
);

test(
  "a sink's filter written as a YAML | block (a last newline) equals the trimmed filter Logging returns, and so does an exclusion's",
  compares,
  'sink',
  {
    name: 's',
    destination: 'd',
    filter: 'resource.type="cloud_run_revision" AND\nseverity>=ERROR\n',
    exclusions: [{ name: 'x', filter: '  severity<WARNING\n' }],
  },
  {
    name: 's',
    destination: 'd',
    filter: 'resource.type="cloud_run_revision" AND\nseverity>=ERROR',
    exclusions: [{ name: 'x', filter: 'severity<WARNING' }],
  },
  { mask: [], changes: [] },
);

test(
  "a sink's filter that differs inside, not only around, is still a change",
  compares,
  'sink',
  { name: 's', destination: 'd', filter: 'severity>=ERROR AND\nlogName:"x"\n' },
  { name: 's', destination: 'd', filter: 'severity>=ERROR AND logName:"x"' },
  {
    mask: ['filter'],
    changes: [
      'filter: "severity>=ERROR AND logName:\\"x\\"" → "severity>=ERROR AND\\nlogName:\\"x\\""',
    ],
  },
);

test(
  'a field the definition no longer has is cleared',
  compares,
  'sink',
  { name: 's', destination: 'd' },
  { name: 's', destination: 'd', description: 'old', includeChildren: true },
  {
    mask: ['description', 'include_children'],
    changes: ['description: "old" → unset', 'includeChildren: true → unset'],
  },
);

test(
  "a log metric's descriptor as Logging fills it (name, type, DELTA, INT64, unit 1) equals a definition that leaves them out",
  compares,
  'logMetric',
  {
    name: 'm',
    filter: 'jsonPayload.ok=false',
    metricDescriptor: { labels: [{ key: 'target', valueType: 'STRING' }] },
    labelExtractors: { target: 'EXTRACT(jsonPayload.target)' },
  },
  {
    name: 'm',
    filter: 'jsonPayload.ok=false',
    description: '',
    bucketName: '',
    disabled: false,
    valueExtractor: '',
    labelExtractors: { target: 'EXTRACT(jsonPayload.target)' },
    bucketOptions: null,
    version: 'V2',
    metricDescriptor: {
      name: 'projects/p/metricDescriptors/logging.googleapis.com/user/m',
      type: 'logging.googleapis.com/user/m',
      labels: [{ key: 'target', valueType: 'STRING', description: '' }],
      metricKind: 'DELTA',
      valueType: 'INT64',
      unit: '1',
      description: '',
      displayName: '',
      monitoredResourceTypes: [],
      launchStage: 'LAUNCH_STAGE_UNSPECIFIED',
    },
    createTime: stamp,
    updateTime: stamp,
  },
  { mask: [], changes: [] },
);

test(
  "a log metric's new label shows as that label, the labels in key order",
  compares,
  'logMetric',
  {
    name: 'm',
    filter: 'f',
    metricDescriptor: { labels: [{ key: 'target' }, { key: 'status' }] },
  },
  {
    name: 'm',
    filter: 'f',
    metricDescriptor: {
      labels: [{ key: 'target' }],
      metricKind: 'DELTA',
      valueType: 'INT64',
      unit: '1',
    },
  },
  {
    mask: ['metric_descriptor'],
    changes: ['metricDescriptor.labels: [{"key":"target"}] → [{"key":"status"},{"key":"target"}]'],
  },
);

test(
  "a log metric's filter with a last newline, and its labels in another order, equal what Logging returns",
  compares,
  'logMetric',
  {
    name: 'm',
    filter: 'jsonPayload.event="sweep.probe" AND jsonPayload.up=false\n',
    metricDescriptor: {
      labels: [
        { key: 'target', valueType: 'STRING' },
        { key: 'code', valueType: 'INT64' },
      ],
    },
    labelExtractors: { target: 'EXTRACT(jsonPayload.target)', code: 'EXTRACT(jsonPayload.code)' },
  },
  {
    name: 'm',
    filter: 'jsonPayload.event="sweep.probe" AND jsonPayload.up=false',
    labelExtractors: { code: 'EXTRACT(jsonPayload.code)', target: 'EXTRACT(jsonPayload.target)' },
    metricDescriptor: {
      labels: [
        { key: 'code', valueType: 'INT64', description: '' },
        { key: 'target', valueType: 'STRING', description: '' },
      ],
      metricKind: 'DELTA',
      valueType: 'INT64',
      unit: '1',
    },
  },
  { mask: [], changes: [] },
);

test(
  "a log metric's label whose type changed is still a change, found by key whatever the order",
  compares,
  'logMetric',
  {
    name: 'm',
    filter: 'f',
    metricDescriptor: { labels: [{ key: 'target' }, { key: 'code', valueType: 'INT64' }] },
  },
  {
    name: 'm',
    filter: 'f',
    metricDescriptor: {
      labels: [{ key: 'code' }, { key: 'target' }],
      metricKind: 'DELTA',
      valueType: 'INT64',
      unit: '1',
    },
  },
  {
    mask: ['metric_descriptor'],
    changes: ['metricDescriptor.labels[0].valueType: unset → "INT64"'],
  },
);

test(
  "a policy condition's filter is compared as written: Monitoring is not known to trim it",
  compares,
  'policy',
  {
    displayName: 'p',
    conditions: [
      { displayName: 'c', conditionAbsent: { filter: 'metric.type="x"\n', duration: '600s' } },
    ],
  },
  {
    displayName: 'p',
    enabled: { value: true },
    conditions: [
      { displayName: 'c', conditionAbsent: { filter: 'metric.type="x"', duration: '600s' } },
    ],
  },
  {
    mask: ['conditions'],
    changes: [
      'conditions[0].conditionAbsent.filter: "metric.type=\\"x\\"" → "metric.type=\\"x\\"\\n"',
    ],
  },
);

test(
  'a channel Monitoring stored (name, records, enabled, verification) equals its definition',
  compares,
  'channel',
  { type: 'pubsub', displayName: 'c', labels: { topic: 'projects/p/topics/t' } },
  {
    type: 'pubsub',
    name: 'projects/p/notificationChannels/123',
    displayName: 'c',
    description: '',
    labels: { topic: 'projects/p/topics/t' },
    userLabels: {},
    verificationStatus: 'VERIFIED',
    enabled: { value: true },
    creationRecord: record,
    mutationRecords: [record],
  },
  { mask: [], changes: [] },
);

test(
  'a channel disabled by hand is enabled again: enabled is a wrapper, false is a value',
  compares,
  'channel',
  { type: 'pubsub', displayName: 'c' },
  { type: 'pubsub', displayName: 'c', enabled: { value: false } },
  { mask: ['enabled'], changes: ['enabled: false → true'] },
);

const condition = (threshold: number) => ({
  displayName: '5xx',
  conditionThreshold: {
    filter: 'metric.type="run.googleapis.com/request_count"',
    comparison: 'COMPARISON_GT',
    thresholdValue: threshold,
    duration: '300s',
    trigger: { count: 1 },
  },
});

test(
  'a policy as Monitoring returns it (condition names, records, oneof discriminators) equals its definition',
  compares,
  'policy',
  {
    displayName: 'p',
    combiner: 'OR',
    conditions: [condition(0.05)],
    alertStrategy: { autoClose: '1800s' },
  },
  {
    name: 'projects/p/alertPolicies/1',
    displayName: 'p',
    combiner: 'OR',
    userLabels: {},
    notificationChannels: [],
    severity: 'SEVERITY_UNSPECIFIED',
    enabled: { value: true },
    validity: null,
    documentation: null,
    creationRecord: record,
    mutationRecord: record,
    conditions: [
      {
        name: 'projects/p/alertPolicies/1/conditions/2',
        displayName: '5xx',
        condition: 'conditionThreshold',
        conditionThreshold: {
          filter: 'metric.type="run.googleapis.com/request_count"',
          aggregations: [],
          denominatorFilter: '',
          denominatorAggregations: [],
          comparison: 'COMPARISON_GT',
          thresholdValue: 0.05,
          duration: { seconds: '300', nanos: 0 },
          trigger: { count: 1, type: 'count' },
          evaluationMissingData: 'EVALUATION_MISSING_DATA_UNSPECIFIED',
          forecastOptions: null,
        },
      },
    ],
    alertStrategy: {
      notificationPrompts: [],
      notificationChannelStrategy: [],
      notificationRateLimit: null,
      autoClose: { seconds: '1800', nanos: 0 },
    },
  },
  { mask: [], changes: [] },
);

test(
  "a policy's changed threshold is one leaf under conditions, and the mask names conditions",
  compares,
  'policy',
  { displayName: 'p', conditions: [condition(0.1)] },
  {
    name: 'projects/p/alertPolicies/1',
    displayName: 'p',
    enabled: { value: true },
    conditions: [{ name: 'projects/p/alertPolicies/1/conditions/2', ...condition(0.05) }],
  },
  {
    mask: ['conditions'],
    changes: ['conditions[0].conditionThreshold.thresholdValue: 0.05 → 0.1'],
  },
);

test(
  "a policy's rate limit and channels changing at once are two fields of the mask",
  compares,
  'policy',
  {
    displayName: 'p',
    notificationChannels: ['projects/p/notificationChannels/2'],
    alertStrategy: { notificationRateLimit: { period: '600s' } },
  },
  {
    displayName: 'p',
    enabled: { value: true },
    notificationChannels: ['projects/p/notificationChannels/1'],
    alertStrategy: { notificationRateLimit: { period: { seconds: '300' } } },
  },
  {
    mask: ['notification_channels', 'alert_strategy'],
    changes: [
      'notificationChannels[0]: "projects/p/notificationChannels/1" → "projects/p/notificationChannels/2"',
      'alertStrategy.notificationRateLimit.period: "300s" → "600s"',
    ],
  },
);
