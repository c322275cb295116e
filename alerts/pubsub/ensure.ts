/**
 * Makes a Pub/Sub project (or the emulator: the same calls) hold the topology: every schema,
 * topic and subscription is described first, created when missing (schemas first, then topics
 * with their schema settings; ensure-schemas.ts says what a differing schema means), and a
 * subscription whose push config,
 * ack deadline, retention, expiration, dead-letter or retry policy differs is updated in place
 * (`updateSubscription` with a mask of exactly the differing fields). Each resource is reported
 * `created`, `updated` or `unchanged`, so a second run reports every one unchanged.
 *
 * Nothing is changed unless everything can be: push endpoints are checked before any call
 * (PUBSUB_ERR_ENDPOINT_INVALID), and every resource is described before the first create, so a
 * subscription whose immutable fields (topic, message ordering) differ stops the run with
 * PUBSUB_ERR_CONFLICT. Anything else a call refuses is PUBSUB_ERR_ENSURE_FAILED; what was done
 * before it stays done, and a rerun continues from there. A create that loses a race with
 * another run (ALREADY_EXISTS) is described again and treated as found.
 *
 * Every name goes out in full (`projects/P/topics/T`), so the client's own project detection
 * never decides where resources land; the dead-letter policy needs the full name anyway.
 * IAM is not touched: on a real project, dead-lettering also needs the Pub/Sub service agent to
 * publish to the dead-letter topic and subscribe to the source subscription (docs/pubsub.md).
 *
 * With `dryRun`, only the describes are made: each result says what a run would do (`created`
 * for a resource a run would create), the conflicts stop it the same way, and nothing is
 * changed. `subscriptions` narrows the run to some subscription roles (a deployed environment
 * has no `alert-ingest-push`: its trigger's subscription stands in, and
 * `ensureSubscriptionPolicies` gives that one the dead-letter and retry policy).
 */
import type { PubSub, SubscriptionMetadata, TopicMetadata } from '@google-cloud/pubsub';
import { grpcCode } from './client.js';
import {
  createSchema,
  describeSchema,
  renderSchemaSettings,
  schemaConflict,
  schemaPath,
  schemaSettingsOf,
  topicSchemaPlan,
} from './ensure-schemas.js';
import {
  PUBSUB_ERR_CONFLICT,
  PUBSUB_ERR_ENDPOINT_INVALID,
  PUBSUB_ERR_ENSURE_FAILED,
  PubSubEnsureError,
} from './errors.js';
import {
  type SubscriptionRole,
  type SubscriptionSpec,
  subscriptionPath,
  type Topology,
  topicPath,
} from './topology.js';

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

export interface EnsureResult {
  readonly kind: 'schema' | 'topic' | 'subscription';
  /** The role in the topology file. */
  readonly role: string;
  /** The full resource name. */
  readonly name: string;
  readonly outcome: EnsureOutcome;
  /** What an update changed, each as `field: was → now`; empty otherwise. */
  readonly changes: readonly string[];
}

/** Where a push subscription delivers, in one environment. */
export interface PushEndpoint {
  /** An http(s) URL; a real project wants https. */
  readonly url: string;
  /** Push with an OIDC ID token of this service account (Cloud Run IAM); the emulator sends none. */
  readonly oidc?: { readonly serviceAccountEmail: string; readonly audience?: string };
}

export interface EnsureOptions {
  readonly projectId: string;
  /** Every push endpoint the topology names (`push.endpoint`), by that name. */
  readonly endpoints: Readonly<Record<string, PushEndpoint>>;
  /** The deadline of each call, its retries included (the gax `timeout`); default 10 s. */
  readonly timeoutMs?: number;
  /** Describe only, and report what a run would do; default false. */
  readonly dryRun?: boolean;
  /** The subscription roles to ensure; default every one of the topology. */
  readonly subscriptions?: readonly SubscriptionRole[];
}

export const DEFAULT_ENSURE_TIMEOUT_MS = 10_000;

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function failed(call: string, name: string, cause: unknown): PubSubEnsureError {
  const detail =
    (cause as { details?: unknown })?.details ??
    (cause instanceof Error ? cause.message : String(cause));
  const code = grpcCode(cause);
  return new PubSubEnsureError(
    PUBSUB_ERR_ENSURE_FAILED,
    502,
    `${call} ${name} failed${code === undefined ? '' : ` (gRPC status ${code})`}: ${String(detail)}`,
    { cause },
  );
}

/** Seconds of a protobuf Duration as the client returns it (seconds may be a string or Long). */
function durationSeconds(d: unknown): number | null {
  if (d === null || d === undefined || typeof d !== 'object') return null;
  const { seconds, nanos } = d as { seconds?: unknown; nanos?: unknown };
  return Number(seconds ?? 0) + Number(nanos ?? 0) / 1e9;
}

/** The fields ensure manages, each rendered as one comparable text and its API value. */
interface Field {
  /** The Subscription field (its camelCase key; the update mask is its snake_case). */
  readonly key: keyof SubscriptionMetadata;
  readonly render: (m: SubscriptionMetadata) => string;
  readonly value: unknown;
}

function renderPush(m: SubscriptionMetadata): string {
  const push = m.pushConfig;
  if (!push?.pushEndpoint) return 'pull';
  const oidc = push.oidcToken?.serviceAccountEmail
    ? ` with OIDC as ${push.oidcToken.serviceAccountEmail}${push.oidcToken.audience ? ` for ${push.oidcToken.audience}` : ''}`
    : '';
  return `push to ${push.pushEndpoint}${oidc}${push.noWrapper ? ' unwrapped' : ''}`;
}

function renderSeconds(d: unknown): string {
  const s = durationSeconds(d);
  return s === null ? 'unset' : `${s}s`;
}

function fieldsOf(
  spec: SubscriptionSpec,
  projectId: string,
  endpoint: PushEndpoint | null,
): Field[] {
  const desired: SubscriptionMetadata = {
    pushConfig:
      endpoint === null
        ? {}
        : {
            pushEndpoint: endpoint.url,
            ...(endpoint.oidc === undefined
              ? {}
              : {
                  oidcToken: {
                    serviceAccountEmail: endpoint.oidc.serviceAccountEmail,
                    audience: endpoint.oidc.audience ?? '',
                  },
                }),
          },
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    messageRetentionDuration: { seconds: spec.messageRetentionSeconds },
    // An expiration policy without a ttl never expires; without any policy Pub/Sub's default
    // (31 days of inactivity) applies.
    expirationPolicy:
      spec.expirationTtlSeconds === null ? {} : { ttl: { seconds: spec.expirationTtlSeconds } },
    deadLetterPolicy:
      spec.deadLetterPolicy === null
        ? null
        : {
            deadLetterTopic: topicPath(projectId, spec.deadLetterPolicy.deadLetterTopic),
            maxDeliveryAttempts: spec.deadLetterPolicy.maxDeliveryAttempts,
          },
    retryPolicy:
      spec.retryPolicy === null
        ? null
        : {
            minimumBackoff: { seconds: spec.retryPolicy.minimumBackoffSeconds },
            maximumBackoff: { seconds: spec.retryPolicy.maximumBackoffSeconds },
          },
  };
  const field = (key: keyof SubscriptionMetadata, render: Field['render']): Field => ({
    key,
    render,
    value: desired[key],
  });
  return [
    field('pushConfig', renderPush),
    field('ackDeadlineSeconds', (m) => `${m.ackDeadlineSeconds ?? 'unset'}s`),
    field('messageRetentionDuration', (m) => renderSeconds(m.messageRetentionDuration)),
    field('expirationPolicy', (m) => {
      if (m.expirationPolicy === null || m.expirationPolicy === undefined)
        return "Pub/Sub's default";
      const ttl = durationSeconds(m.expirationPolicy.ttl);
      return ttl === null ? 'never' : `after ${ttl}s idle`;
    }),
    field('deadLetterPolicy', (m) => {
      const p = m.deadLetterPolicy;
      return p?.deadLetterTopic
        ? `to ${p.deadLetterTopic} after ${p.maxDeliveryAttempts || 5} attempts`
        : 'none';
    }),
    field('retryPolicy', (m) => {
      const p = m.retryPolicy;
      return p === null || p === undefined
        ? 'none'
        : `backoff ${renderSeconds(p.minimumBackoff)} to ${renderSeconds(p.maximumBackoff)}`;
    }),
  ];
}

/** The desired subscription as a metadata object, for rendering and for create. */
function desiredMetadata(fields: readonly Field[]): SubscriptionMetadata {
  return Object.fromEntries(fields.map((f) => [f.key, f.value])) as SubscriptionMetadata;
}

function checkEndpoints(
  specs: readonly SubscriptionSpec[],
  endpoints: EnsureOptions['endpoints'],
): void {
  for (const spec of specs) {
    if (spec.push === null) continue;
    const endpoint = endpoints[spec.push.endpoint];
    let ok = false;
    try {
      ok = endpoint !== undefined && /^https?:$/.test(new URL(endpoint.url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new PubSubEnsureError(
        PUBSUB_ERR_ENDPOINT_INVALID,
        400,
        `subscription ${spec.name} pushes to endpoint "${spec.push.endpoint}", whose URL is ${endpoint === undefined ? 'not given' : JSON.stringify(endpoint.url)}; expected an http(s) URL for it`,
        { field: `endpoints.${spec.push.endpoint}` },
      );
    }
  }
}

export async function ensurePubSub(
  client: PubSub,
  topology: Topology,
  options: EnsureOptions,
): Promise<EnsureResult[]> {
  const { projectId, endpoints } = options;
  const dryRun = options.dryRun ?? false;
  const gaxOpts = { timeout: options.timeoutMs ?? DEFAULT_ENSURE_TIMEOUT_MS };
  const subscriptionSpecs = Object.values(topology.subscriptions).filter(
    (spec) => options.subscriptions === undefined || options.subscriptions.includes(spec.role),
  );
  checkEndpoints(subscriptionSpecs, endpoints);

  const describeTopic = async (name: string): Promise<TopicMetadata | null> => {
    try {
      const [metadata] = await client.topic(name).getMetadata(gaxOpts);
      return metadata as TopicMetadata;
    } catch (e) {
      if (grpcCode(e) === NOT_FOUND) return null;
      throw failed('describing topic', name, e);
    }
  };
  const describeSchemaOrFail = async (name: string) => {
    try {
      return await describeSchema(client, name, gaxOpts);
    } catch (e) {
      throw failed('describing schema', name, e);
    }
  };
  const describeSubscription = async (name: string): Promise<SubscriptionMetadata | null> => {
    try {
      const [metadata] = await client.subscription(name).getMetadata(gaxOpts);
      return metadata as SubscriptionMetadata;
    } catch (e) {
      if (grpcCode(e) === NOT_FOUND) return null;
      throw failed('describing subscription', name, e);
    }
  };

  const schemas = topology.schemas.map((spec) => ({
    spec,
    name: schemaPath(projectId, spec.name),
  }));
  const topics = Object.values(topology.topics).map((t) => ({
    role: t.role,
    name: topicPath(projectId, t.name),
    schema: t.schema,
  }));
  const subscriptions = subscriptionSpecs.map((spec) => ({
    spec,
    name: subscriptionPath(projectId, spec.name),
    topic: topicPath(projectId, spec.topic),
    fields: fieldsOf(
      spec,
      projectId,
      spec.push === null ? null : (endpoints[spec.push.endpoint] as PushEndpoint),
    ),
  }));

  const schemaFound = await Promise.all(schemas.map((s) => describeSchemaOrFail(s.name)));
  const topicFound = await Promise.all(topics.map((t) => describeTopic(t.name)));
  const found = await Promise.all(subscriptions.map((s) => describeSubscription(s.name)));
  schemas.forEach((s, i) => {
    const actual = schemaFound[i];
    const conflict = actual ? schemaConflict(s.name, s.spec, actual) : null;
    if (conflict !== null) throw conflict;
  });
  const topicPlans = topics.map((t, i) => {
    const actual = topicFound[i];
    if (actual === null || actual === undefined) return 'create';
    const plan = topicSchemaPlan(t.name, projectId, t.schema, actual);
    if (plan instanceof PubSubEnsureError) throw plan;
    return plan;
  });
  subscriptions.forEach((s, i) => {
    const actual = found[i];
    if (actual === null || actual === undefined) return;
    const conflicts: string[] = [];
    if (actual.topic !== s.topic) conflicts.push(`its topic is ${actual.topic}, not ${s.topic}`);
    if (Boolean(actual.enableMessageOrdering) !== s.spec.enableMessageOrdering) {
      conflicts.push(
        `message ordering is ${actual.enableMessageOrdering ? 'on' : 'off'}, not ${s.spec.enableMessageOrdering ? 'on' : 'off'}`,
      );
    }
    if (conflicts.length > 0) {
      throw new PubSubEnsureError(
        PUBSUB_ERR_CONFLICT,
        409,
        `subscription ${s.name} exists but ${conflicts.join(' and ')}, which Pub/Sub cannot update; delete it (gcloud pubsub subscriptions delete ${s.name}) and run again to recreate it`,
      );
    }
  });

  const results: EnsureResult[] = [];
  for (const [i, s] of schemas.entries()) {
    let outcome: EnsureOutcome = 'unchanged';
    if (!schemaFound[i] && dryRun) {
      outcome = 'created';
    } else if (!schemaFound[i]) {
      try {
        await createSchema(client, projectId, s.spec, gaxOpts);
        outcome = 'created';
      } catch (e) {
        if (grpcCode(e) !== ALREADY_EXISTS) throw failed('creating schema', s.name, e);
        const raced = await describeSchemaOrFail(s.name);
        const conflict = raced === null ? null : schemaConflict(s.name, s.spec, raced);
        if (conflict !== null) throw conflict;
      }
    }
    results.push({ kind: 'schema', role: s.spec.name, name: s.name, outcome, changes: [] });
  }

  for (const [i, t] of topics.entries()) {
    let outcome: EnsureOutcome = 'unchanged';
    const changes: string[] = [];
    const schemaSettings = t.schema === null ? undefined : schemaSettingsOf(projectId, t.schema);
    if (topicPlans[i] === 'create' && dryRun) {
      outcome = 'created';
    } else if (topicPlans[i] === 'create') {
      try {
        await client.createTopic({ name: t.name, schemaSettings: schemaSettings ?? null }, gaxOpts);
        outcome = 'created';
      } catch (e) {
        if (grpcCode(e) !== ALREADY_EXISTS) throw failed('creating topic', t.name, e);
      }
    } else if (topicPlans[i] === 'attach' && schemaSettings !== undefined) {
      try {
        if (!dryRun) await client.topic(t.name).setMetadata({ schemaSettings }, gaxOpts);
      } catch (e) {
        throw failed('attaching schema to topic', t.name, e);
      }
      outcome = 'updated';
      changes.push(
        `schemaSettings: ${renderSchemaSettings(topicFound[i] ?? null)} → ${renderSchemaSettings({ schemaSettings })}`,
      );
    }
    results.push({ kind: 'topic', role: t.role, name: t.name, outcome, changes });
  }

  for (const [i, s] of subscriptions.entries()) {
    let actual = found[i] ?? null;
    if (actual === null && dryRun) {
      results.push({
        kind: 'subscription',
        role: s.spec.role,
        name: s.name,
        outcome: 'created',
        changes: [],
      });
      continue;
    }
    if (actual === null) {
      try {
        await client.createSubscription(s.topic, s.name, {
          ...desiredMetadata(s.fields),
          enableMessageOrdering: s.spec.enableMessageOrdering,
          gaxOpts,
        });
        results.push({
          kind: 'subscription',
          role: s.spec.role,
          name: s.name,
          outcome: 'created',
          changes: [],
        });
        continue;
      } catch (e) {
        if (grpcCode(e) !== ALREADY_EXISTS) throw failed('creating subscription', s.name, e);
        actual = await describeSubscription(s.name);
        if (actual === null) throw failed('describing subscription', s.name, e);
      }
    }
    const { outcome, changes } = await reconcileFields(client, s.name, actual, s.fields, {
      gaxOpts,
      dryRun,
    });
    results.push({ kind: 'subscription', role: s.spec.role, name: s.name, outcome, changes });
  }
  return results;
}

/**
 * Updates the managed `fields` of the existing subscription `name` that differ from `current`
 * (its description), in one call whose mask names exactly those; with `dryRun`, only says so.
 */
async function reconcileFields(
  client: PubSub,
  name: string,
  current: SubscriptionMetadata,
  fields: readonly Field[],
  options: { readonly gaxOpts: { timeout: number }; readonly dryRun: boolean },
): Promise<{ outcome: EnsureOutcome; changes: string[] }> {
  const desired = desiredMetadata(fields);
  const differing = fields.filter((f) => f.render(current) !== f.render(desired));
  if (differing.length > 0 && !options.dryRun) {
    const update = Object.fromEntries(differing.map((f) => [f.key, f.value]));
    try {
      await client.subscription(name).setMetadata(update as SubscriptionMetadata, options.gaxOpts);
    } catch (e) {
      throw failed(`updating ${differing.map((f) => f.key).join(', ')} of subscription`, name, e);
    }
  }
  return {
    outcome: differing.length > 0 ? 'updated' : 'unchanged',
    changes: differing.map((f) => `${f.key}: ${f.render(current)} → ${f.render(desired)}`),
  };
}

/** The fields `ensureSubscriptionPolicies` manages on a subscription the topology does not name. */
export const POLICY_FIELDS = ['deadLetterPolicy', 'retryPolicy'] as const;

/**
 * Gives the existing subscription `name` (one the topology does not create, such as an Eventarc
 * trigger's) the dead-letter and retry policy of `spec`, and nothing else: its push config, ack
 * deadline and retention stay whatever its owner set. A missing subscription is
 * PUBSUB_ERR_ENSURE_FAILED (NOT_FOUND); so is any refused call.
 */
export async function ensureSubscriptionPolicies(
  client: PubSub,
  name: string,
  spec: SubscriptionSpec,
  options: {
    readonly projectId: string;
    readonly timeoutMs?: number;
    readonly dryRun?: boolean;
  },
): Promise<EnsureResult> {
  const gaxOpts = { timeout: options.timeoutMs ?? DEFAULT_ENSURE_TIMEOUT_MS };
  const fields = fieldsOf(spec, options.projectId, null).filter((f) =>
    (POLICY_FIELDS as readonly string[]).includes(f.key),
  );
  let current: SubscriptionMetadata;
  try {
    [current] = (await client.subscription(name).getMetadata(gaxOpts)) as [SubscriptionMetadata];
  } catch (e) {
    throw failed('describing subscription', name, e);
  }
  const { outcome, changes } = await reconcileFields(client, name, current, fields, {
    gaxOpts,
    dryRun: options.dryRun ?? false,
  });
  return { kind: 'subscription', role: spec.role, name, outcome, changes };
}

/** What a run did, for people: one aligned row per resource, each update's changes under it. */
export function renderEnsureTable(results: readonly EnsureResult[], heading: string): string {
  const w0 = Math.max(...results.map((r) => r.kind.length));
  const w1 = Math.max(...results.map((r) => r.outcome.length));
  const lines = results.flatMap((r) => [
    `  ${r.kind.padEnd(w0)}  ${r.outcome.padEnd(w1)}  ${r.name}`,
    ...r.changes.map((c) => `  ${''.padEnd(w0)}  ${''.padEnd(w1)}    ${c}`),
  ]);
  const count = (o: EnsureResult['outcome']) => results.filter((r) => r.outcome === o).length;
  return [
    heading,
    '',
    ...lines,
    '',
    `${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`,
    '',
  ].join('\n');
}
