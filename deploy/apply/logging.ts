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

export async function applySinks(
  client: ConfigServiceV2Client,
  sinks: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Logging'),
): Promise<ApplyResult[]> {
  const opts = { timeout: ctx.timeoutMs };
  const parent = `projects/${ctx.projectId}`;
  const out: ApplyResult[] = [];
  for (const p of sinks) {
    const sinkName = `${parent}/sinks/${p.key}`;
    const sink = fromProto3Json(ctx.schema, KINDS.sink.type, p.body) as google.logging.v2.ILogSink;
    const get = async () => (await client.getSink({ sinkName }, opts))[0] as unknown as Json;
    try {
      let actual = await describe(guard, 'sink', sinkName, get);
      if (actual === null && ctx.dryRun) {
        out.push(row(p, sinkName, 'create', [], writerGrantNote(p.body.destination, null)));
        continue;
      }
      if (actual === null) {
        try {
          const [created] = await guard.run('creating sink', sinkName, () =>
            client.createSink({ parent, sink, uniqueWriterIdentity: true }, opts),
          );
          out.push(
            row(
              p,
              sinkName,
              'create',
              [],
              writerGrantNote(p.body.destination, created.writerIdentity ?? null),
            ),
          );
          continue;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          actual = await describe(guard, 'sink', sinkName, get);
          if (actual === null) throw e;
        }
      }
      const diff = diffResources(
        normaliseDesired(ctx.schema, 'sink', p.body),
        normaliseActual(ctx.schema, 'sink', actual),
      );
      let writerIdentity = (actual.writerIdentity as string | undefined) ?? null;
      if (diff.fields.length > 0 && !ctx.dryRun) {
        const [updated] = await guard.run(
          `updating ${diff.fields.join(', ')} of sink`,
          sinkName,
          () =>
            client.updateSink(
              {
                sinkName,
                sink,
                uniqueWriterIdentity: true,
                updateMask: { paths: maskPaths(diff.fields) },
              },
              opts,
            ),
        );
        writerIdentity = updated.writerIdentity ?? writerIdentity;
      }
      out.push(
        row(
          p,
          sinkName,
          diff.fields.length > 0 ? 'update' : 'unchanged',
          diff.changes,
          writerGrantNote(p.body.destination, writerIdentity),
        ),
      );
    } catch (e) {
      out.push(failedRow('sink', p, sinkName, e));
    }
  }
  return out;

  function row(
    p: PreparedResource,
    name: string,
    action: ApplyResult['action'],
    changes: readonly string[],
    note: string | null,
  ): ApplyResult {
    return result({
      area: 'Logging',
      kind: 'sink',
      id: p.id,
      name,
      action,
      changes,
      notes: note === null ? [] : [note],
    });
  }
}

export async function applyLogMetrics(
  client: MetricsServiceV2Client,
  metrics: readonly PreparedResource[],
  ctx: ApplyContext,
  guard: ApiGuard = new ApiGuard('Cloud Logging'),
): Promise<ApplyResult[]> {
  const opts = { timeout: ctx.timeoutMs };
  const parent = `projects/${ctx.projectId}`;
  const out: ApplyResult[] = [];
  for (const p of metrics) {
    const metricName = `${parent}/metrics/${p.key}`;
    const metric = fromProto3Json(
      ctx.schema,
      KINDS.logMetric.type,
      p.body,
    ) as google.logging.v2.ILogMetric;
    const get = async () => (await client.getLogMetric({ metricName }, opts))[0] as unknown as Json;
    const row = (action: ApplyResult['action'], changes: readonly string[] = []) =>
      result({ area: 'Logging', kind: 'logMetric', id: p.id, name: metricName, action, changes });
    try {
      let actual = await describe(guard, 'log metric', metricName, get);
      if (actual === null && ctx.dryRun) {
        out.push(row('create'));
        continue;
      }
      if (actual === null) {
        try {
          await guard.run('creating log metric', metricName, () =>
            client.createLogMetric({ parent, metric }, opts),
          );
          out.push(row('create'));
          continue;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          actual = await describe(guard, 'log metric', metricName, get);
          if (actual === null) throw e;
        }
      }
      const diff = diffResources(
        normaliseDesired(ctx.schema, 'logMetric', p.body),
        normaliseActual(ctx.schema, 'logMetric', actual),
      );
      if (diff.fields.length > 0 && !ctx.dryRun) {
        await guard.run(`updating ${diff.fields.join(', ')} of log metric`, metricName, () =>
          client.updateLogMetric({ metricName, metric }, opts),
        );
      }
      out.push(row(diff.fields.length > 0 ? 'update' : 'unchanged', diff.changes));
    } catch (e) {
      out.push(failedRow('logMetric', p, metricName, e));
    }
  }
  return out;
}
