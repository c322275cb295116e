/**
 * A local gRPC test double of Cloud Logging's ConfigServiceV2 (sinks) and MetricsServiceV2 (log
 * metrics), served from the protos @google-cloud/logging-api ships (server.ts). In memory, per
 * project, with the API's behaviour where apply depends on it:
 *
 * - get of a missing sink or metric is NOT_FOUND; create of an existing one is ALREADY_EXISTS;
 *   a name or parent of the wrong shape, a sink without a destination, a metric without a
 *   filter, and an update-mask path the API does not update are INVALID_ARGUMENT.
 * - A sink gets its writer identity (with uniqueWriterIdentity the project's Logging service
 *   agent `service-<number>@gcp-sa-logging`, else the shared `cloud-logs@system`), createTime
 *   and updateTime. UpdateSink copies exactly the mask's fields (an empty mask means
 *   destination, filter and include_children, as the API documents) and upgrades a shared
 *   writer identity to a unique one when asked.
 * - A metric's descriptor is filled as Logging does for a counter: its name and type, DELTA,
 *   INT64 and unit "1" where the metric leaves them out. UpdateLogMetric replaces the whole
 *   metric and creates a missing one ("creates or updates").
 * - Filters are stored without their surrounding whitespace (a sink's, its exclusions', a
 *   metric's), so a filter written as a YAML `|` block reads back without its last newline; and a
 *   descriptor's labels, a set to Logging, come back in an order of their own (here: by key,
 *   descending), not in the order written.
 */
import grpc from '@grpc/grpc-js';
import {
  copyMaskPath,
  type GrpcDouble,
  GrpcFault,
  type Json,
  maskField,
  parseName,
  startGrpcDouble,
  timestampNow,
} from './server.js';

export interface LoggingDouble extends GrpcDouble {
  /** The stored sinks by full name (`projects/P/sinks/S`), as the API would return them. */
  readonly sinks: Map<string, Json>;
  /** The stored metrics by full name (`projects/P/metrics/M`). */
  readonly metrics: Map<string, Json>;
  /** The project number in the writer identities this double hands out. */
  readonly projectNumber: string;
}

const SINK_NAME = /^projects\/([a-z][a-z0-9-]{2,29})\/sinks\/([A-Za-z0-9_.-]{1,100})$/;
const METRIC_NAME = /^projects\/([a-z][a-z0-9-]{2,29})\/metrics\/([A-Za-z0-9_./-]{1,100})$/;
const PARENT = /^projects\/([a-z][a-z0-9-]{2,29})$/;
const SINK_MASK_FIELDS = new Set([
  'destination',
  'filter',
  'description',
  'disabled',
  'exclusions',
  'includeChildren',
  'bigqueryOptions',
  'outputVersionFormat',
]);
const DEFAULT_SINK_MASK = ['destination', 'filter', 'include_children'];

const notFound = (what: string) => new GrpcFault(grpc.status.NOT_FOUND, `${what} does not exist`);

const trimmed = (filter: unknown): unknown => (typeof filter === 'string' ? filter.trim() : filter);

/** A sink as Logging stores it: its filters trimmed. */
function storedSink(sink: Json): Json {
  const out: Json = { ...sink, filter: trimmed(sink.filter) };
  if (out.filter === undefined) delete out.filter;
  if (Array.isArray(sink.exclusions)) {
    out.exclusions = (sink.exclusions as Json[]).map((x) => ({ ...x, filter: trimmed(x.filter) }));
  }
  return out;
}

/** A descriptor's labels in the order this double returns the set in: by key, descending. */
const labelSetOrder = (labels: unknown): unknown =>
  Array.isArray(labels)
    ? [...(labels as Json[])].sort((a, b) => String(b.key).localeCompare(String(a.key)))
    : labels;

export async function startLoggingDouble(
  options: { readonly projectNumber?: string } = {},
): Promise<LoggingDouble> {
  const projectNumber = options.projectNumber ?? '123456789012';
  const sinks = new Map<string, Json>();
  const metrics = new Map<string, Json>();
  const uniqueIdentity = `serviceAccount:service-${projectNumber}@gcp-sa-logging.iam.gserviceaccount.com`;
  const sharedIdentity = 'serviceAccount:cloud-logs@system.gserviceaccount.com';

  const checkSink = (sink: Json | undefined): Json => {
    if (sink === undefined) throw new GrpcFault(grpc.status.INVALID_ARGUMENT, 'sink is required');
    if (typeof sink.destination !== 'string' || sink.destination === '') {
      throw new GrpcFault(grpc.status.INVALID_ARGUMENT, 'sink.destination is required');
    }
    return sink;
  };

  const describeMetric = (project: string, metric: Json): Json => {
    const id = String(metric.name);
    const d = { ...((metric.metricDescriptor as Json | undefined) ?? {}) };
    if (d.labels !== undefined) d.labels = labelSetOrder(d.labels);
    d.name = `projects/${project}/metricDescriptors/logging.googleapis.com/user/${id}`;
    d.type = `logging.googleapis.com/user/${id}`;
    d.metricKind ??= 'DELTA';
    d.valueType ??= 'INT64';
    if (d.valueType === 'INT64') d.unit ??= '1';
    return { ...metric, filter: trimmed(metric.filter), metricDescriptor: d };
  };

  const checkMetric = (metric: Json | undefined): Json => {
    if (metric === undefined) {
      throw new GrpcFault(grpc.status.INVALID_ARGUMENT, 'metric is required');
    }
    if (typeof metric.name !== 'string' || metric.name === '') {
      throw new GrpcFault(grpc.status.INVALID_ARGUMENT, 'metric.name is required');
    }
    if (typeof metric.filter !== 'string' || metric.filter === '') {
      throw new GrpcFault(grpc.status.INVALID_ARGUMENT, 'metric.filter is required');
    }
    return metric;
  };

  const double = await startGrpcDouble([
    {
      path: 'google.logging.v2.ConfigServiceV2',
      handlers: {
        getSink(req) {
          parseName(req.sinkName, SINK_NAME, 'sink name');
          const sink = sinks.get(req.sinkName as string);
          if (sink === undefined) throw notFound(`Sink ${String(req.sinkName)}`);
          return sink;
        },
        createSink(req) {
          const [, project] = parseName(req.parent, PARENT, 'parent');
          const sink = checkSink(req.sink as Json | undefined);
          const name = `projects/${project}/sinks/${String(sink.name ?? '')}`;
          parseName(name, SINK_NAME, 'sink name');
          if (sinks.has(name)) {
            throw new GrpcFault(
              grpc.status.ALREADY_EXISTS,
              `Sink ${String(sink.name)} already exists`,
            );
          }
          const now = timestampNow();
          const stored = {
            ...storedSink(sink),
            writerIdentity: req.uniqueWriterIdentity === true ? uniqueIdentity : sharedIdentity,
            createTime: now,
            updateTime: now,
          };
          sinks.set(name, stored);
          return stored;
        },
        updateSink(req) {
          parseName(req.sinkName, SINK_NAME, 'sink name');
          const current = sinks.get(req.sinkName as string);
          if (current === undefined) throw notFound(`Sink ${String(req.sinkName)}`);
          const sink = (req.sink ?? {}) as Json;
          const mask = (req.updateMask as { paths?: string[] } | undefined)?.paths ?? [];
          const paths = mask.length === 0 ? DEFAULT_SINK_MASK : mask;
          for (const path of paths) {
            if (!SINK_MASK_FIELDS.has(maskField(path))) {
              throw new GrpcFault(
                grpc.status.INVALID_ARGUMENT,
                `Field ${path} of the update mask cannot be updated`,
              );
            }
          }
          const next = structuredClone(current);
          for (const path of paths) copyMaskPath(next, storedSink(sink), path);
          checkSink(next);
          if (req.uniqueWriterIdentity === true) next.writerIdentity = uniqueIdentity;
          next.updateTime = timestampNow();
          sinks.set(req.sinkName as string, next);
          return next;
        },
      },
    },
    {
      path: 'google.logging.v2.MetricsServiceV2',
      handlers: {
        getLogMetric(req) {
          parseName(req.metricName, METRIC_NAME, 'metric name');
          const metric = metrics.get(req.metricName as string);
          if (metric === undefined) throw notFound(`Metric ${String(req.metricName)}`);
          return metric;
        },
        createLogMetric(req) {
          const [, project] = parseName(req.parent, PARENT, 'parent');
          const metric = checkMetric(req.metric as Json | undefined);
          const name = `projects/${project}/metrics/${String(metric.name)}`;
          parseName(name, METRIC_NAME, 'metric name');
          if (metrics.has(name)) {
            throw new GrpcFault(
              grpc.status.ALREADY_EXISTS,
              `Metric ${String(metric.name)} already exists`,
            );
          }
          const now = timestampNow();
          const stored = {
            ...describeMetric(project as string, metric),
            createTime: now,
            updateTime: now,
          };
          metrics.set(name, stored);
          return stored;
        },
        updateLogMetric(req) {
          const [, project, id] = parseName(req.metricName, METRIC_NAME, 'metric name');
          const metric = checkMetric(req.metric as Json | undefined);
          if (metric.name !== id) {
            throw new GrpcFault(
              grpc.status.INVALID_ARGUMENT,
              `metric.name ${String(metric.name)} does not match ${String(req.metricName)}`,
            );
          }
          const now = timestampNow();
          const createTime = metrics.get(req.metricName as string)?.createTime ?? now;
          const stored = {
            ...describeMetric(project as string, metric),
            createTime,
            updateTime: now,
          };
          metrics.set(req.metricName as string, stored);
          return stored;
        },
      },
    },
  ]);
  return Object.assign(double, { sinks, metrics, projectNumber });
}
