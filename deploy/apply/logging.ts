/**
 * Apply's Logging part, through @google-cloud/logging's v2 clients (the @google-cloud/logging-api
 * package it re-exports as `v2`): log sinks with ConfigServiceV2Client and log-based metrics with
 * MetricsServiceV2Client. Both are named by their definitions, so each is described by name
 * (`getSink`, `getLogMetric`), created when NOT_FOUND, and otherwise compared (normalise.ts,
 * diff.ts) and updated only where it differs: a sink with an update mask of exactly the
 * differing fields, a metric whole (UpdateLogMetric takes no mask). A create that loses a race
 * (ALREADY_EXISTS) is described again and compared.
 *
 * Sinks are created and updated with `uniqueWriterIdentity`, so each writes as the project's
 * Logging service agent rather than a shared identity; that identity needs
 * `roles/pubsub.publisher` on a Pub/Sub destination, which apply does not grant: each sink's
 * row says which identity and prints the command.
 */
import type { ConfigServiceV2Client, MetricsServiceV2Client } from '@google-cloud/logging-api';
import type { google } from '@google-cloud/logging-api/build/protos/protos.js';
import { ALREADY_EXISTS, ApiGuard, NOT_FOUND } from './calls.js';
import type { ApplyContext } from './context.js';
import { diffResources, maskPaths } from './diff.js';
import { KINDS, normaliseActual, normaliseDesired } from './normalise.js';
import type { PreparedResource } from './prepare.js';
import { fromProto3Json } from './proto-json.js';
import { type ApplyResult, result } from './report.js';

type Json = Record<string, unknown>;

const PUBSUB_DESTINATION = /^pubsub\.googleapis\.com\/projects\/([^/]+)\/topics\/([^/]+)$/;

/** The grant a sink's writer identity needs on its destination, as a note; null if none. */
export function writerGrantNote(
  destination: unknown,
  writerIdentity: string | null,
): string | null {
  const m = typeof destination === 'string' ? PUBSUB_DESTINATION.exec(destination) : null;
  if (m === null) return null;
  const [, project, topic] = m;
  const topicName = `projects/${project}/topics/${topic}`;
  if (writerIdentity === null || writerIdentity === '') {
    return `its writer identity is assigned when it is created; it then needs roles/pubsub.publisher on ${topicName}`;
  }
  return `writer identity ${writerIdentity} needs roles/pubsub.publisher on ${topicName}: gcloud pubsub topics add-iam-policy-binding ${topic} --project=${project} --member='${writerIdentity}' --role=roles/pubsub.publisher`;
}

/** Describes with `get`, null when NOT_FOUND. */
async function describe(
  guard: ApiGuard,
  what: string,
  name: string,
  get: () => Promise<Json>,
): Promise<Json | null> {
  try {
    return await guard.run(`describing ${what}`, name, get);
  } catch (e) {
    if ((e as { cause?: { code?: unknown } }).cause?.code === NOT_FOUND) return null;
    throw e;
  }
}

const isAlreadyExists = (e: unknown) =>
  (e as { cause?: { code?: unknown } }).cause?.code === ALREADY_EXISTS;

const failedRow = (
  kind: ApplyResult['kind'],
  p: PreparedResource,
  name: string,
  e: unknown,
): ApplyResult =>
  result({
    area: 'Logging',
    kind,
    id: p.id,
    name,
    action: 'failed',
    error: {
      code: (e as { code?: string }).code ?? 'DEPLOY_APPLY_ERR_CALL_FAILED',
      message: e instanceof Error ? e.message : String(e),
    },
  });

/** Where one run's calls go and how long each may take. */
interface CallSite {
  readonly parent: string;
  readonly opts: { readonly timeout: number };
}

/**
 * One Logging kind: how its calls name it, where its resources live, the calls for one
 * definition (given its body in the client's form), and its row's notes.
 */
interface LoggingKind<B, T> {
  readonly kind: 'sink' | 'logMetric';
  /** How calls name the kind: `describing log metric …`. */
  readonly what: string;
  /** The collection under the project: `projects/P/<collection>/<key>`. */
  readonly collection: 'sinks' | 'metrics';
  calls(body: B, name: string, site: CallSite): ResourceCalls<T>;
  /** The row's notes, from what was described and what the create or update answered. */
  notes(p: PreparedResource, r: Reconciled<T>): string[];
}

/** One resource's calls; `create` and `update` resolve to the API's answer. */
interface ResourceCalls<T> {
  get(): Promise<Json>;
  create(): Promise<T>;
  /** Given the fields that differ. */
  update(fields: readonly string[]): Promise<T>;
}

/** What reconciling one resource did or, in a dry run, would do. */
interface Reconciled<T> {
  readonly action: 'create' | 'update' | 'unchanged';
  readonly changes: readonly string[];
  /** The resource as described; null when it did not exist. */
  readonly actual: Json | null;
  /** The create's or update's answer; null when no such call was made. */
  readonly returned: T | null;
}

/**
 * Describes the resource; creates it when NOT_FOUND (describing it again and comparing when the
 * create loses a race, ALREADY_EXISTS), otherwise compares it and updates it when it differs. A
 * dry run only describes.
 */
async function reconcile<T>(
  kind: LoggingKind<unknown, T>['kind'],
  what: string,
  calls: ResourceCalls<T>,
  p: PreparedResource,
  name: string,
  ctx: ApplyContext,
  guard: ApiGuard,
): Promise<Reconciled<T>> {
  let actual = await describe(guard, what, name, calls.get);
  if (actual === null && ctx.dryRun) {
    return { action: 'create', changes: [], actual: null, returned: null };
  }
  if (actual === null) {
    try {
      const created = await guard.run(`creating ${what}`, name, calls.create);
      return { action: 'create', changes: [], actual: null, returned: created };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      actual = await describe(guard, what, name, calls.get);
      if (actual === null) throw e;
    }
  }
  const diff = diffResources(
    normaliseDesired(ctx.schema, kind, p.body),
    normaliseActual(ctx.schema, kind, actual),
  );
  const differs = diff.fields.length > 0;
  const returned =
    differs && !ctx.dryRun
      ? await guard.run(`updating ${diff.fields.join(', ')} of ${what}`, name, () =>
          calls.update(diff.fields),
        )
      : null;
  return { action: differs ? 'update' : 'unchanged', changes: diff.changes, actual, returned };
}

/**
 * Applies one kind's definitions in turn; a failure is that definition's row, and the rest still
 * apply. A body the client form cannot take throws before that definition's first call.
 */
async function applyKind<B, T>(
  spec: LoggingKind<B, T>,
  resources: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard,
): Promise<ApplyResult[]> {
  const parent = `projects/${ctx.projectId}`;
  const site: CallSite = { parent, opts: { timeout: ctx.timeoutMs } };
  const out: ApplyResult[] = [];
  for (const p of resources) {
    const name = `${parent}/${spec.collection}/${p.key}`;
    const body = fromProto3Json(ctx.schema, KINDS[spec.kind].type, p.body) as B;
    const calls = spec.calls(body, name, site);
    try {
      const r = await reconcile(spec.kind, spec.what, calls, p, name, ctx, guard);
      out.push(
        result({
          area: 'Logging',
          kind: spec.kind,
          id: p.id,
          name,
          action: r.action,
          changes: r.changes,
          notes: spec.notes(p, r),
        }),
      );
    } catch (e) {
      out.push(failedRow(spec.kind, p, name, e));
    }
  }
  return out;
}

const sinkKind = (
  client: ConfigServiceV2Client,
): LoggingKind<google.logging.v2.ILogSink, google.logging.v2.ILogSink> => ({
  kind: 'sink',
  what: 'sink',
  collection: 'sinks',
  calls: (sink, sinkName, { parent, opts }) => ({
    get: async () => (await client.getSink({ sinkName }, opts))[0] as unknown as Json,
    create: async () =>
      (await client.createSink({ parent, sink, uniqueWriterIdentity: true }, opts))[0],
    update: async (fields) =>
      (
        await client.updateSink(
          { sinkName, sink, uniqueWriterIdentity: true, updateMask: { paths: maskPaths(fields) } },
          opts,
        )
      )[0],
  }),
  notes: (p, r) => {
    const writerIdentity =
      r.returned?.writerIdentity ?? (r.actual?.writerIdentity as string | null | undefined) ?? null;
    const note = writerGrantNote(p.body.destination, writerIdentity);
    return note === null ? [] : [note];
  },
});

const logMetricKind = (
  client: MetricsServiceV2Client,
): LoggingKind<google.logging.v2.ILogMetric, unknown> => ({
  kind: 'logMetric',
  what: 'log metric',
  collection: 'metrics',
  calls: (metric, metricName, { parent, opts }) => ({
    get: async () => (await client.getLogMetric({ metricName }, opts))[0] as unknown as Json,
    create: () => client.createLogMetric({ parent, metric }, opts),
    // UpdateLogMetric takes no mask: the metric is replaced whole.
    update: () => client.updateLogMetric({ metricName, metric }, opts),
  }),
  notes: () => [],
});

export function applySinks(
  client: ConfigServiceV2Client,
  sinks: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Logging'),
): Promise<ApplyResult[]> {
  return applyKind(sinkKind(client), sinks, ctx, guard);
}

export function applyLogMetrics(
  client: MetricsServiceV2Client,
  metrics: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Logging'),
): Promise<ApplyResult[]> {
  return applyKind(logMetricKind(client), metrics, ctx, guard);
}
