/**
 * Apply's Logging and Monitoring parts run in process against the local gRPC test doubles
 * (test/helpers/fake-gcp/), through the real client libraries pointed at them.
 */
import { ConfigServiceV2Client, MetricsServiceV2Client } from '@google-cloud/logging-api';
import {
  AlertPolicyServiceClient,
  NotificationChannelServiceClient,
} from '@google-cloud/monitoring';
import type { ApplyContext } from '../../../deploy/apply/context.js';
import { applyLogMetrics, applySinks } from '../../../deploy/apply/logging.js';
import { applyChannels, applyPolicies } from '../../../deploy/apply/monitoring.js';
import { prepareMonitoring } from '../../../deploy/apply/prepare.js';
import { ProtoSchema } from '../../../deploy/apply/proto-json.js';
import type { ApplyResult } from '../../../deploy/apply/report.js';
import type { ResolvedMonitoring } from '../../../deploy/monitoring/types.js';
import { type LoggingDouble, startLoggingDouble } from '../../helpers/fake-gcp/logging.js';
import { type MonitoringDouble, startMonitoringDouble } from '../../helpers/fake-gcp/monitoring.js';

export const SCHEMA = ProtoSchema.shipped();

export interface Doubles {
  readonly logging: LoggingDouble;
  readonly monitoring: MonitoringDouble;
  readonly clients: {
    readonly sinks: ConfigServiceV2Client;
    readonly metrics: MetricsServiceV2Client;
    readonly channels: NotificationChannelServiceClient;
    readonly policies: AlertPolicyServiceClient;
  };
}

/** When the Monitoring double sees the Logging double's metrics (fake-gcp/monitoring.ts). */
export interface LogMetricVisibility {
  readonly delayMs?: number;
  readonly refusals?: number;
}

/**
 * Both doubles and real clients on them, for the length of `fn`. With `logMetrics`, the
 * Monitoring double refuses a policy on one of the Logging double's metrics until it sees it,
 * as Monitoring does for a while after a metric's create.
 */
export async function withDoubles<T>(
  fn: (d: Doubles) => Promise<T>,
  options: { readonly pageSize?: number; readonly logMetrics?: LogMetricVisibility } = {},
): Promise<T> {
  const logging = await startLoggingDouble();
  const monitoring = await startMonitoringDouble({
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.logMetrics === undefined
      ? {}
      : { logMetricVisibility: { metrics: logging.metrics, ...options.logMetrics } }),
  });
  const clients = {
    sinks: new ConfigServiceV2Client(logging.clientOptions()),
    metrics: new MetricsServiceV2Client(logging.clientOptions()),
    channels: new NotificationChannelServiceClient(monitoring.clientOptions()),
    policies: new AlertPolicyServiceClient(monitoring.clientOptions()),
  };
  try {
    return await fn({ logging, monitoring, clients });
  } finally {
    await Promise.allSettled(Object.values(clients).map((c) => c.close()));
    await Promise.all([logging.stop(), monitoring.stop()]);
  }
}

/** A run's context; by default it does not wait for log metrics and prints no progress. */
export function context(projectId: string, overrides: Partial<ApplyContext> = {}): ApplyContext {
  return {
    projectId,
    dryRun: false,
    adopt: false,
    timeoutMs: 5_000,
    metricWaitMs: 0,
    progress: () => {},
    schema: SCHEMA,
    ...overrides,
  };
}

/** Sinks, log metrics, channels, then policies, as a run does after Pub/Sub. */
export async function applyMonitoringSide(
  d: Doubles,
  resolved: ResolvedMonitoring,
  ctx: ApplyContext,
): Promise<ApplyResult[]> {
  const prepared = prepareMonitoring(SCHEMA, resolved);
  const sinks = await applySinks(d.clients.sinks, prepared.sink, ctx);
  const metrics = await applyLogMetrics(d.clients.metrics, prepared.logMetric, ctx);
  const channels = await applyChannels(d.clients.channels, prepared.channel, ctx);
  const policies = await applyPolicies(d.clients.policies, prepared.policy, channels, ctx);
  return [...sinks, ...metrics, ...channels.results, ...policies];
}

/** `kind id action` per row, for comparing a run's outcome at a glance. */
export const actions = (results: readonly ApplyResult[]): string[] =>
  results.map((r) => `${r.kind} ${r.id} ${r.action}`);

/** The calls that change something, by method name. */
export const MUTATING = /^(create|update|delete)/;
