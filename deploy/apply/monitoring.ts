/**
 * Apply's Monitoring part, through @google-cloud/monitoring: notification channels
 * (NotificationChannelServiceClient), then alert policies (AlertPolicyServiceClient), whose
 * notificationChannels are the channels' real names, looked up from the policy's channelRefs.
 *
 * Monitoring assigns these resources' names and lets display names repeat, so a create-only
 * tool makes a duplicate per run. Here each kind is listed once, every definition is matched
 * against the list (ownership.ts: by its runwatch-id label, else by displayName), created when
 * nothing matches, updated with an update mask of exactly the differing fields when its own
 * resource differs (normalise.ts, diff.ts), and left alone, reported, when the match is someone
 * else's. A policy whose channel was not applied (failed, not touched) is not applied either
 * (DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE). A policy create or update that Monitoring refuses
 * because it does not see a log metric yet is tried again after a wait (metric-wait.ts).
 */
import type {
  AlertPolicyServiceClient,
  NotificationChannelServiceClient,
  protos,
} from '@google-cloud/monitoring';
import { ApiGuard } from './calls.js';
import type { ApplyContext } from './context.js';
import { diffResources, maskPaths } from './diff.js';
import {
  DEPLOY_APPLY_ERR_AMBIGUOUS,
  DEPLOY_APPLY_ERR_CALL_FAILED,
  DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE,
} from './errors.js';
import { MetricWait } from './metric-wait.js';
import { KINDS, normaliseActual, normaliseDesired, type ResourceKind } from './normalise.js';
import { findExisting, untouchedNote } from './ownership.js';
import type { PreparedResource } from './prepare.js';
import { fromProto3Json } from './proto-json.js';
import { type ApplyResult, result } from './report.js';

type Json = Record<string, unknown>;

/** A channel's real name by definition id; null: this dry run would create it. */
export type ChannelNames = ReadonlyMap<string, string | null>;

interface KindApi {
  readonly kind: 'channel' | 'policy';
  readonly what: string;
  readonly plural: string;
  list(): Promise<Json[]>;
  create(body: Json): Promise<Json>;
  update(body: Json, paths: string[]): Promise<Json>;
  /** Makes one create or update (`what` says which, for `body`), retrying where the kind must. */
  attempt<T>(what: string, body: Json, call: () => Promise<T>): Promise<T>;
}

const once = <T>(_what: string, _body: Json, call: () => Promise<T>): Promise<T> => call();

/** A definition with its body ready, or the row that says why it cannot be applied. */
type Item =
  | { readonly p: PreparedResource; readonly body: Json }
  | { readonly p: PreparedResource; readonly blocked: ApplyResult };

/** A client call's response (the first of what the gax call resolves to), as JSON. */
async function answer<R>(call: Promise<readonly [unknown, ...unknown[]]>): Promise<R> {
  return (await call)[0] as R;
}

function errorOf(e: unknown): { code: string; message: string } {
  const code = (e as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : DEPLOY_APPLY_ERR_CALL_FAILED,
    message: e instanceof Error ? e.message : String(e),
  };
}

/** Applies one kind's definitions against one listing of what exists. */
async function applyKind(
  api: KindApi,
  items: readonly Item[],
  ctx: ApplyContext,
  guard: ApiGuard,
): Promise<{ results: ApplyResult[]; names: Map<string, string | null> }> {
  const kind: ResourceKind = api.kind;
  const parent = `projects/${ctx.projectId}`;
  const results: ApplyResult[] = [];
  const names = new Map<string, string | null>();
  let existing: Json[];
  try {
    existing = await guard.run(`listing ${api.plural} of`, parent, () => api.list());
  } catch (e) {
    for (const { p } of items) {
      results.push(
        result({
          area: 'Monitoring',
          kind,
          id: p.id,
          name: null,
          action: 'failed',
          error: errorOf(e),
        }),
      );
    }
    return { results, names };
  }
  for (const item of items) {
    if ('blocked' in item) {
      results.push(item.blocked);
      continue;
    }
    const { p, body: desired } = item;
    const row = (fields: Partial<ApplyResult> & Pick<ApplyResult, 'action' | 'name'>) =>
      result({ area: 'Monitoring', kind, id: p.id, ...fields });
    const match = findExisting(
      existing as { name?: string; displayName?: string }[],
      p.id,
      p.key,
      ctx.adopt,
    );
    try {
      if (match.kind === 'ambiguous') {
        results.push(
          row({
            action: 'failed',
            name: null,
            error: {
              code: DEPLOY_APPLY_ERR_AMBIGUOUS,
              message: `${match.why}: ${match.names.join(', ')}; delete all but one and run again (none was touched)`,
            },
          }),
        );
        continue;
      }
      if (match.kind === 'unmanaged') {
        results.push(
          row({
            action: 'untouched',
            name: match.existing.map((r) => r.name).join(', '),
            notes: [untouchedNote(match.existing, p.key)],
          }),
        );
        continue;
      }
      if (match.kind === 'none') {
        if (ctx.dryRun) {
          names.set(p.id, null);
          results.push(row({ action: 'create', name: null }));
          continue;
        }
        const call = `creating ${api.what}`;
        const created = await guard.run(call, `${JSON.stringify(p.key)} (${p.file})`, () =>
          api.attempt(`${call} ${JSON.stringify(p.key)}`, desired, () => api.create(desired)),
        );
        names.set(p.id, String(created.name));
        results.push(row({ action: 'create', name: String(created.name) }));
        continue;
      }
      const current = match.existing as Json;
      const name = String(current.name);
      const diff = diffResources(
        normaliseDesired(ctx.schema, kind, desired),
        normaliseActual(ctx.schema, kind, current),
      );
      if (diff.fields.length > 0 && !ctx.dryRun) {
        const call = `updating ${diff.fields.join(', ')} of ${api.what}`;
        await guard.run(call, name, () =>
          api.attempt(`${call} ${name}`, desired, () =>
            api.update({ ...desired, name }, maskPaths(diff.fields)),
          ),
        );
      }
      names.set(p.id, name);
      results.push(
        row({
          action: diff.fields.length > 0 ? 'update' : 'unchanged',
          name,
          changes: diff.changes,
          notes: match.adopted ? [`adopted: it had no runwatch labels and carries them now`] : [],
        }),
      );
    } catch (e) {
      results.push(row({ action: 'failed', name: null, error: errorOf(e) }));
    }
  }
  return { results, names };
}

const PUBSUB_TOPIC = /^projects\/([^/]+)\/topics\/([^/]+)$/;

/** What a Pub/Sub channel needs before Monitoring can publish to it. */
function channelNote(p: PreparedResource): string[] {
  const labels = (p.body.labels as Record<string, string> | undefined) ?? {};
  const m = p.body.type === 'pubsub' && labels.topic ? PUBSUB_TOPIC.exec(labels.topic) : null;
  if (m === null) return [];
  const [, project, topic] = m;
  return [
    `Monitoring's notification service agent needs roles/pubsub.publisher on ${labels.topic}: gcloud pubsub topics add-iam-policy-binding ${topic} --project=${project} --member="serviceAccount:service-$(gcloud projects describe ${project} --format='value(projectNumber)')@gcp-sa-monitoring-notification.iam.gserviceaccount.com" --role=roles/pubsub.publisher`,
  ];
}

export async function applyChannels(
  client: NotificationChannelServiceClient,
  channels: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Monitoring'),
): Promise<{ results: ApplyResult[]; names: ChannelNames }> {
  const opts = { timeout: ctx.timeoutMs };
  const parent = `projects/${ctx.projectId}`;
  const toApi = (body: Json) =>
    fromProto3Json(
      ctx.schema,
      KINDS.channel.type,
      body,
    ) as protos.google.monitoring.v3.INotificationChannel;
  const api: KindApi = {
    kind: 'channel',
    what: 'notification channel',
    plural: 'notification channels',
    list: () => answer(client.listNotificationChannels({ name: parent }, opts)),
    create: (body) =>
      answer(
        client.createNotificationChannel({ name: parent, notificationChannel: toApi(body) }, opts),
      ),
    update: (body, paths) =>
      answer(
        client.updateNotificationChannel(
          { notificationChannel: toApi(body), updateMask: { paths } },
          opts,
        ),
      ),
    attempt: once,
  };
  const { results, names } = await applyKind(
    api,
    channels.map((p) => ({ p, body: p.body }) as Item),
    ctx,
    guard,
  );
  const withNotes = results.map((r) => {
    const p = channels.find((c) => c.id === r.id);
    return p === undefined || r.action === 'failed' || r.action === 'untouched'
      ? r
      : { ...r, notes: [...r.notes, ...channelNote(p)] };
  });
  return { results: withNotes, names };
}

/** A policy's body with its channels' names, or the row that says why it cannot have them. */
function withChannels(
  p: PreparedResource,
  names: ChannelNames,
  channelRows: readonly ApplyResult[],
): Item {
  if (p.channelRefs.length === 0) return { p, body: p.body };
  const resolved: string[] = [];
  for (const ref of p.channelRefs) {
    const name = names.get(ref);
    if (name === undefined) {
      const row = channelRows.find((r) => r.id === ref);
      const why =
        row === undefined
          ? 'it was not applied'
          : `it is ${row.action === 'untouched' ? 'not touched' : row.action}`;
      const blocked = result({
        area: 'Monitoring',
        kind: 'policy',
        id: p.id,
        name: null,
        action: 'failed',
        error: {
          code: DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE,
          message: `${p.file} routes to notification channel ${ref}, and ${why} in this run; the policy was not applied`,
        },
      });
      return { p, blocked };
    }
    resolved.push(name ?? `(channel ${ref}, created by this run)`);
  }
  return { p, body: { ...p.body, notificationChannels: resolved } };
}

export async function applyPolicies(
  client: AlertPolicyServiceClient,
  policies: readonly PreparedResource[],
  channels: { readonly names: ChannelNames; readonly results: readonly ApplyResult[] },
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Monitoring'),
  wait: MetricWait = new MetricWait(ctx.metricWaitMs, ctx.progress),
): Promise<ApplyResult[]> {
  const opts = { timeout: ctx.timeoutMs };
  const parent = `projects/${ctx.projectId}`;
  const toApi = (body: Json) =>
    fromProto3Json(ctx.schema, KINDS.policy.type, body) as protos.google.monitoring.v3.IAlertPolicy;
  const api: KindApi = {
    kind: 'policy',
    what: 'alert policy',
    plural: 'alert policies',
    list: () => answer(client.listAlertPolicies({ name: parent }, opts)),
    create: (body) =>
      answer(client.createAlertPolicy({ name: parent, alertPolicy: toApi(body) }, opts)),
    update: (body, paths) =>
      answer(client.updateAlertPolicy({ alertPolicy: toApi(body), updateMask: { paths } }, opts)),
    attempt: (what, body, call) => wait.run(what, body, call),
  };
  const { results } = await applyKind(
    api,
    policies.map((p) => withChannels(p, channels.names, channels.results)),
    ctx,
    guard,
  );
  return results;
}
