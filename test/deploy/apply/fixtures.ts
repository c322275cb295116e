/**
 * A resolved alerting-as-code set for one project, written here as the loader would resolve it
 * (deploy/monitoring/types.ts): the Pub/Sub notification channel on alert-ingest, a log sink of
 * the service's ERROR logs to that topic, a counter log metric of failed sweep probes, a
 * log-match policy with a notificationRateLimit, and a 5xx-ratio threshold policy.
 */
import type { ResolvedMonitoring, ResolvedResource } from '../../../deploy/monitoring/types.js';

type Json = Record<string, unknown>;

export function channel(project: string): ResolvedResource {
  return {
    kind: 'channels',
    id: 'alert-ingest',
    file: 'alerts/definitions/monitoring/channels/alert-ingest.yaml',
    resource: {
      type: 'pubsub',
      displayName: 'runwatch alert-ingest',
      description: 'Cloud Monitoring incidents into alertIngest',
      labels: { topic: `projects/${project}/topics/alert-ingest` },
    },
    channelRefs: [],
  };
}

export function sink(project: string): ResolvedResource {
  return {
    kind: 'sinks',
    id: 'service-errors',
    file: 'alerts/definitions/monitoring/sinks/service-errors.yaml',
    resource: {
      name: 'runwatch-service-errors',
      destination: `pubsub.googleapis.com/projects/${project}/topics/alert-ingest`,
      filter:
        'resource.type="cloud_run_revision" AND resource.labels.service_name="runwatch" AND severity>=ERROR',
      description: "The service's ERROR logs, one alert each",
    },
    channelRefs: [],
  };
}

export function metric(): ResolvedResource {
  return {
    kind: 'logMetrics',
    id: 'sweep-probe-failures',
    file: 'alerts/definitions/monitoring/logMetrics/sweep-probe-failures.yaml',
    resource: {
      name: 'runwatch_sweep_probe_failures',
      description: 'Failed health-sweep probes per target',
      filter: 'jsonPayload.event="sweep.probe" AND jsonPayload.ok=false',
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'INT64',
        labels: [{ key: 'target', valueType: 'STRING', description: 'the probed target' }],
      },
      labelExtractors: { target: 'EXTRACT(jsonPayload.target)' },
    },
    channelRefs: [],
  };
}

export function logMatchPolicy(): ResolvedResource {
  return {
    kind: 'policies',
    id: 'service-error-logs',
    file: 'alerts/definitions/monitoring/policies/service-error-logs.yaml',
    resource: {
      displayName: 'runwatch service ERROR logs',
      severity: 'ERROR',
      combiner: 'OR',
      userLabels: { team: 'ml-platform' },
      documentation: { mimeType: 'text/markdown', content: 'The service logged an ERROR.' },
      conditions: [
        {
          displayName: 'ERROR log entry',
          conditionMatchedLog: {
            filter: 'resource.type="cloud_run_revision" AND severity>=ERROR',
            labelExtractors: { event: 'EXTRACT(jsonPayload.event)' },
          },
        },
      ],
      alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800s' },
    },
    channelRefs: ['alert-ingest'],
  };
}

export function thresholdPolicy(): ResolvedResource {
  const aggregation = {
    alignmentPeriod: '60s',
    perSeriesAligner: 'ALIGN_RATE',
    crossSeriesReducer: 'REDUCE_SUM',
    groupByFields: ['resource.label.service_name'],
  };
  return {
    kind: 'policies',
    id: 'service-5xx-ratio',
    file: 'alerts/definitions/monitoring/policies/service-5xx-ratio.yaml',
    resource: {
      displayName: 'runwatch 5xx ratio > 5%',
      severity: 'CRITICAL',
      combiner: 'OR',
      conditions: [
        {
          displayName: '5xx ratio',
          conditionThreshold: {
            filter:
              'resource.type = "cloud_run_revision" AND metric.type = "run.googleapis.com/request_count" AND metric.labels.response_code_class = "5xx"',
            denominatorFilter:
              'resource.type = "cloud_run_revision" AND metric.type = "run.googleapis.com/request_count"',
            aggregations: [aggregation],
            denominatorAggregations: [aggregation],
            comparison: 'COMPARISON_GT',
            thresholdValue: 0.05,
            duration: '300s',
            trigger: { count: 1 },
            evaluationMissingData: 'EVALUATION_MISSING_DATA_INACTIVE',
          },
        },
      ],
      alertStrategy: { autoClose: '1800s', notificationPrompts: ['OPENED', 'CLOSED'] },
    },
    channelRefs: ['alert-ingest'],
  };
}

/** A threshold policy on the log metric of metric(): Monitoring sees it only a while after its create. */
export function logMetricPolicy(): ResolvedResource {
  return {
    kind: 'policies',
    id: 'sweep-probe-failures',
    file: 'alerts/definitions/monitoring/policies/sweep-probe-failures.yaml',
    resource: {
      displayName: 'runwatch probe failures',
      severity: 'ERROR',
      combiner: 'OR',
      conditions: [
        {
          displayName: 'probes failing',
          conditionThreshold: {
            filter:
              'resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/runwatch_sweep_probe_failures"',
            aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_DELTA' }],
            comparison: 'COMPARISON_GT',
            thresholdValue: 2,
            duration: '0s',
          },
        },
      ],
    },
    channelRefs: ['alert-ingest'],
  };
}

export function resolvedFixture(project: string): ResolvedMonitoring {
  return {
    channels: [channel(project)],
    sinks: [sink(project)],
    logMetrics: [metric()],
    policies: [logMatchPolicy(), thresholdPolicy()],
  };
}

/** `r` with its resource changed by `change` (on a deep copy). */
export function changed(r: ResolvedResource, change: (resource: Json) => void): ResolvedResource {
  const resource = structuredClone(r.resource) as Json;
  change(resource);
  return { ...r, resource };
}
