/**
 * The contract between the alerting-as-code definitions (alerts/definitions/monitoring/) and the
 * deploy tools that print (deploy/plan) and reconcile (deploy/apply) them.
 *
 * A definition file holds one resource in proto3 JSON form (camelCase field names, Durations as
 * "300s", enum names as strings), exactly what the Cloud API takes, except for the placeholders
 * that `resolveMonitoringDefinitions` fills per environment (project, region, environment,
 * service name, and notification channels referred to by their definition id).
 */

/** The resource kinds, each one folder under alerts/definitions/monitoring/. */
export const MONITORING_KINDS = ['channels', 'logMetrics', 'sinks', 'policies'] as const;
export type MonitoringKind = (typeof MONITORING_KINDS)[number];

/** One definition file. */
export interface MonitoringDefinition {
  /** The file's stem: stable across environments, the key apply reconciles by. */
  readonly id: string;
  /** The file, relative to the repository root, for error messages. */
  readonly file: string;
  /** The resource as written (placeholders unresolved), proto3 JSON. */
  readonly resource: Readonly<Record<string, unknown>>;
}

export type MonitoringDefinitions = {
  readonly [K in MonitoringKind]: readonly MonitoringDefinition[];
};

/** What a definition is resolved against: one environment of one project. */
export interface MonitoringContext {
  readonly project: string;
  readonly region: string;
  readonly environment: string;
  readonly serviceName: string;
  /**
   * The environment's Cloud Run MAX_INSTANCES (the service's resolved configuration): the
   * ceiling the instance-count policy's threshold is a share of.
   */
  readonly maxInstances: number;
  /**
   * The published repository root (e.g. `https://github.com/<owner>/runwatch/blob/main`): when
   * given, a policy's runbook link `docs/runbooks/<alertname>.md` becomes an absolute URL under
   * it (`absoluteRunbookUrl`, alerts/runbooks.ts); without it the repository path is kept.
   */
  readonly runbookBaseUrl?: string;
}

/**
 * One resolved resource, ready for its API: `displayName` (channels, policies) or `name`
 * (log metrics, sinks) identifies it within the project, since Monitoring assigns its own
 * resource names to channels and policies.
 */
export interface ResolvedResource {
  readonly kind: MonitoringKind;
  readonly id: string;
  readonly file: string;
  /** The proto3 JSON the API is called with; policies name channels by `channelRefs` below. */
  readonly resource: Readonly<Record<string, unknown>>;
  /** Policies only: the channel definition ids its notificationChannels point at, in order. */
  readonly channelRefs: readonly string[];
}

export type ResolvedMonitoring = {
  readonly [K in MonitoringKind]: readonly ResolvedResource[];
};
