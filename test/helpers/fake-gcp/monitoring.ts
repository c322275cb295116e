/**
 * A local gRPC test double of Cloud Monitoring's NotificationChannelService and
 * AlertPolicyService, served from the protos @google-cloud/monitoring ships (server.ts). In
 * memory, per project, with the API's behaviour where apply depends on it:
 *
 * - Monitoring names what it stores: a create assigns `projects/P/notificationChannels/<id>`,
 *   `projects/P/alertPolicies/<id>` and each condition's `.../conditions/<id>`, and records who
 *   and when (creationRecord, mutationRecord(s)). Display names need not be unique: a second
 *   create with the same one makes a second resource, as the real API does.
 * - `enabled` defaults to true; get of a missing resource is NOT_FOUND; lists page (pageSize,
 *   pageToken; `pageSize` of the double when the request has none) and refuse a filter or an
 *   order, which this double does not evaluate (UNIMPLEMENTED).
 * - An update copies exactly the update mask's paths (an empty mask replaces every field);
 *   conditions keep their names when the update keeps them, new ones get new names.
 * - Policies are checked as the API checks them: at least one condition, each of exactly one
 *   type; a log-match policy has one condition and a notificationRateLimit, a metric policy
 *   none; several conditions need a combiner; every notification channel must exist.
 * - With `logMetricVisibility`, Google's delay before Monitoring sees a log-based metric: a
 *   policy create or update whose conditions name `logging.googleapis.com/user/<id>` is refused
 *   NOT_FOUND "Cannot find metric(s) that match type = ...", as Monitoring refuses one for up to
 *   ten minutes after Logging created the metric (hashicorp/terraform-provider-google#11102),
 *   while the given Logging double's store has no metric <id> in the policy's project, made it
 *   less than `delayMs` ago, or this double has refused fewer than `refusals` calls on it (a
 *   count, for tests that must not depend on how fast a machine is).
 */
import { randomInt } from 'node:crypto';
import grpc from '@grpc/grpc-js';
import {
  copyMaskPath,
  type GrpcDouble,
  GrpcFault,
  type Json,
  maskField,
  page,
  parseName,
  startGrpcDouble,
  timestampNow,
} from './server.js';

export interface MonitoringDoubleOptions {
  /** The page size of a list whose request names none; 100 when absent. */
  readonly pageSize?: number;
  /** Refuse policies on log metrics as Monitoring does right after they are created (above). */
  readonly logMetricVisibility?: {
    /** A Logging double's metrics by full name (LoggingDouble.metrics). */
    readonly metrics: ReadonlyMap<string, Json>;
    /** Unseen for this long after the metric's createTime; 0 when absent. */
    readonly delayMs?: number;
    /** Unseen until this many calls naming it have been refused; 0 when absent. */
    readonly refusals?: number;
  };
}

export interface MonitoringDouble extends GrpcDouble {
  /** Stored channels by name, as the API would return them. */
  readonly channels: Map<string, Json>;
  /** Stored alert policies by name. */
  readonly policies: Map<string, Json>;
}

const PARENT = /^projects\/([a-z][a-z0-9-]{2,29})$/;
const CHANNEL_NAME = /^projects\/([a-z][a-z0-9-]{2,29})\/notificationChannels\/(\d+)$/;
const POLICY_NAME = /^projects\/([a-z][a-z0-9-]{2,29})\/alertPolicies\/(\d+)$/;
const CONDITION_TYPES = [
  'conditionThreshold',
  'conditionAbsent',
  'conditionMatchedLog',
  'conditionMonitoringQueryLanguage',
  'conditionPrometheusQueryLanguage',
  'conditionSql',
];
const CHANNEL_FIELDS = new Set(['displayName', 'description', 'labels', 'userLabels', 'enabled']);
const POLICY_FIELDS = new Set([
  'displayName',
  'documentation',
  'userLabels',
  'conditions',
  'combiner',
  'enabled',
  'notificationChannels',
  'alertStrategy',
  'severity',
]);
const MUTATED_BY = 'deployer@example-project.iam.gserviceaccount.com';
const USER_METRIC = /logging\.googleapis\.com\/user\/([A-Za-z0-9_.\-/]+)/g;

const invalid = (details: string) => new GrpcFault(grpc.status.INVALID_ARGUMENT, details);

/** A numeric id like Monitoring's (19 digits). */
const newId = (): string => `${randomInt(1, 10)}${String(randomInt(0, 2 ** 47)).padStart(18, '0')}`;

function checkMask(req: Json, allowed: ReadonlySet<string>): string[] {
  const paths = (req.updateMask as { paths?: string[] } | undefined)?.paths ?? [];
  for (const path of paths) {
    if (!allowed.has(maskField(path))) {
      throw invalid(`Field ${path} of the update mask cannot be updated`);
    }
  }
  return paths;
}

/** A protobuf Timestamp as the Logging double stores one, in ms since the epoch. */
const timestampMs = (t: unknown): number => {
  const { seconds, nanos } = (t ?? {}) as { seconds?: unknown; nanos?: unknown };
  return Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1_000_000);
};

export async function startMonitoringDouble(
  options: MonitoringDoubleOptions = {},
): Promise<MonitoringDouble> {
  const pageSize = options.pageSize ?? 100;
  const channels = new Map<string, Json>();
  const policies = new Map<string, Json>();
  const record = () => ({ mutateTime: timestampNow(), mutatedBy: MUTATED_BY });
  /** Per metric name: the policy calls refused for not seeing it. */
  const refusedCalls = new Map<string, number>();

  const list = (store: Map<string, Json>, req: Json, kind: string, key: string): Json => {
    const [, project] = parseName(req.name, PARENT, 'project name');
    if ((req.filter ?? '') !== '' || (req.orderBy ?? '') !== '') {
      throw new GrpcFault(
        grpc.status.UNIMPLEMENTED,
        'this test double does not evaluate filter or orderBy',
      );
    }
    const prefix = `projects/${project}/${kind}/`;
    const mine = [...store.values()].filter((r) => String(r.name).startsWith(prefix));
    const { items, nextPageToken } = page(mine, req, pageSize);
    return { [key]: items, nextPageToken, totalSize: mine.length };
  };

  const checkPolicy = (policy: Json): void => {
    if (typeof policy.displayName !== 'string' || policy.displayName === '') {
      throw invalid('alert_policy.display_name is required');
    }
    const conditions = (policy.conditions as Json[] | undefined) ?? [];
    if (conditions.length === 0) throw invalid('alert_policy.conditions must not be empty');
    conditions.forEach((c, i) => {
      const types = CONDITION_TYPES.filter((t) => c[t] !== undefined);
      if (types.length !== 1) {
        throw invalid(`conditions[${i}] must set exactly one condition type, not ${types.length}`);
      }
    });
    const logMatch = conditions.some((c) => c.conditionMatchedLog !== undefined);
    const rateLimit = (policy.alertStrategy as Json | undefined)?.notificationRateLimit;
    if (logMatch && conditions.length > 1) {
      throw invalid(
        'Alert policies with a log matching condition can only have a single condition',
      );
    }
    if (logMatch && rateLimit === undefined) {
      throw invalid(
        'alert_strategy.notification_rate_limit is required for log-based alert policies',
      );
    }
    if (!logMatch && rateLimit !== undefined) {
      throw invalid('metric-based alert policies must not specify a notification rate limit');
    }
    if (
      conditions.length > 1 &&
      (policy.combiner ?? 'COMBINE_UNSPECIFIED') === 'COMBINE_UNSPECIFIED'
    ) {
      throw invalid('alert_policy.combiner is required when there are several conditions');
    }
    for (const channel of (policy.notificationChannels as string[] | undefined) ?? []) {
      if (!channels.has(channel)) throw invalid(`Notification channel ${channel} does not exist`);
    }
  };

  /** Refuses a policy on a log metric Monitoring would not see yet (logMetricVisibility). */
  const checkLogMetricsVisible = (project: string, policy: Json): void => {
    const visibility = options.logMetricVisibility;
    if (visibility === undefined) return;
    for (const [type, id] of JSON.stringify(policy.conditions ?? []).matchAll(USER_METRIC)) {
      const name = `projects/${project}/metrics/${id}`;
      const metric = visibility.metrics.get(name);
      const refused = refusedCalls.get(name) ?? 0;
      if (
        metric === undefined ||
        Date.now() - timestampMs(metric.createTime) < (visibility.delayMs ?? 0) ||
        refused < (visibility.refusals ?? 0)
      ) {
        refusedCalls.set(name, refused + 1);
        throw new GrpcFault(
          grpc.status.NOT_FOUND,
          `Cannot find metric(s) that match type = "${type}". If a metric was created recently, it could take up to 10 minutes to become available. Please try again soon.`,
        );
      }
    }
  };

  /** Names the conditions that have none; keeps the names of those that do. */
  const nameConditions = (policyName: string, policy: Json): void => {
    const conditions = (policy.conditions as Json[] | undefined) ?? [];
    policy.conditions = conditions.map((c) =>
      typeof c.name === 'string' && c.name.startsWith(`${policyName}/conditions/`)
        ? c
        : { ...c, name: `${policyName}/conditions/${newId()}` },
    );
  };

  const double = await startGrpcDouble([
    {
      path: 'google.monitoring.v3.NotificationChannelService',
      handlers: {
        listNotificationChannels: (req) =>
          list(channels, req, 'notificationChannels', 'notificationChannels'),
        getNotificationChannel(req) {
          parseName(req.name, CHANNEL_NAME, 'notification channel name');
          const channel = channels.get(req.name as string);
          if (channel === undefined) {
            throw new GrpcFault(grpc.status.NOT_FOUND, `${String(req.name)} does not exist`);
          }
          return channel;
        },
        createNotificationChannel(req) {
          const [, project] = parseName(req.name, PARENT, 'project name');
          const channel = structuredClone((req.notificationChannel ?? {}) as Json);
          if (typeof channel.type !== 'string' || channel.type === '') {
            throw invalid('notification_channel.type is required');
          }
          const name = `projects/${project}/notificationChannels/${newId()}`;
          const created = record();
          const stored = {
            ...channel,
            name,
            enabled: channel.enabled ?? { value: true },
            creationRecord: created,
            mutationRecords: [created],
          };
          channels.set(name, stored);
          return stored;
        },
        updateNotificationChannel(req) {
          const channel = (req.notificationChannel ?? {}) as Json;
          parseName(channel.name, CHANNEL_NAME, 'notification channel name');
          const current = channels.get(channel.name as string);
          if (current === undefined) {
            throw new GrpcFault(grpc.status.NOT_FOUND, `${String(channel.name)} does not exist`);
          }
          const mask = checkMask(req, CHANNEL_FIELDS);
          const paths = mask.length > 0 ? mask : [...CHANNEL_FIELDS];
          const next = structuredClone(current);
          for (const path of paths) copyMaskPath(next, channel, path);
          next.enabled ??= { value: true };
          next.mutationRecords = [...((current.mutationRecords as Json[]) ?? []), record()];
          channels.set(next.name as string, next);
          return next;
        },
      },
    },
    {
      path: 'google.monitoring.v3.AlertPolicyService',
      handlers: {
        listAlertPolicies: (req) => list(policies, req, 'alertPolicies', 'alertPolicies'),
        getAlertPolicy(req) {
          parseName(req.name, POLICY_NAME, 'alert policy name');
          const policy = policies.get(req.name as string);
          if (policy === undefined) {
            throw new GrpcFault(grpc.status.NOT_FOUND, `${String(req.name)} does not exist`);
          }
          return policy;
        },
        createAlertPolicy(req) {
          const [, project] = parseName(req.name, PARENT, 'project name');
          const policy = structuredClone((req.alertPolicy ?? {}) as Json);
          checkPolicy(policy);
          checkLogMetricsVisible(project as string, policy);
          const name = `projects/${project}/alertPolicies/${newId()}`;
          const created = record();
          const stored: Json = {
            ...policy,
            name,
            enabled: policy.enabled ?? { value: true },
            creationRecord: created,
            mutationRecord: created,
          };
          nameConditions(name, stored);
          policies.set(name, stored);
          return stored;
        },
        updateAlertPolicy(req) {
          const policy = (req.alertPolicy ?? {}) as Json;
          const [, project] = parseName(policy.name, POLICY_NAME, 'alert policy name');
          const current = policies.get(policy.name as string);
          if (current === undefined) {
            throw new GrpcFault(grpc.status.NOT_FOUND, `${String(policy.name)} does not exist`);
          }
          const mask = checkMask(req, POLICY_FIELDS);
          const paths = mask.length > 0 ? mask : [...POLICY_FIELDS];
          const next = structuredClone(current);
          for (const path of paths) copyMaskPath(next, policy, path);
          next.enabled ??= { value: true };
          checkPolicy(next);
          checkLogMetricsVisible(project as string, next);
          nameConditions(next.name as string, next);
          next.mutationRecord = record();
          policies.set(next.name as string, next);
          return next;
        },
      },
    },
  ]);
  return Object.assign(double, { channels, policies });
}
