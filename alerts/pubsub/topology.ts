/**
 * The alert flow's Pub/Sub topology: `alerts/definitions/pubsub.yaml`, parsed and validated once.
 * Topics and subscriptions are keyed by role (the roles below, all required, no others); code
 * names a topic by its role (`TOPICS.ingest`), never by a literal, so the file is the one place a
 * name is written, and the deploy reads the same file.
 *
 * Validation is ajv for the shape, then the rules a schema cannot say: bounds between fields,
 * unique names, references to declared topics, and a dead-letter and retry policy on every push
 * subscription (without them Pub/Sub retries a poison message until its retention runs out). The
 * first problem is thrown as TOPOLOGY_ERR_INVALID naming the file, the field (a JSON path), the
 * value and what was expected.
 *
 * A subscription's dead-letter topic is not written on the subscription: it is its topic's
 * `deadLetterTopic`, so every subscription of a topic dead-letters to the same place. The
 * message schemas a topic can name, and their definition files, are schemas.ts's part.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { refuseField, schemaFieldError, TOPOLOGY_ERR_UNREADABLE, TopologyError } from './errors.js';
import {
  type RawSchema,
  type SchemaSpec,
  schemaEntrySchema,
  schemaSpecs,
  type TopicSchemaSetting,
  topicSchemaSetting,
  topicSchemaSettingSchema,
} from './schemas.js';

export const TOPIC_ROLES = ['ingest', 'ingestDeadLetter', 'alerts', 'alertsDeadLetter'] as const;
export type TopicRole = (typeof TOPIC_ROLES)[number];

export const SUBSCRIPTION_ROLES = [
  'ingestPush',
  'ingestDeadLetterKeep',
  'alertsDeadLetterKeep',
] as const;
export type SubscriptionRole = (typeof SUBSCRIPTION_ROLES)[number];

/** The topology file, resolved from this module (build/alerts/pubsub/ → alerts/definitions/). */
export const TOPOLOGY_FILE = fileURLToPath(
  new URL('../../../alerts/definitions/pubsub.yaml', import.meta.url),
);

/** Where the committed topology's schema definitions are. */
export const DEFINITIONS_DIR = dirname(TOPOLOGY_FILE);

/** Pub/Sub's defaults for what a subscription leaves out, and the bounds it accepts. */
export const SUBSCRIPTION_DEFAULTS = {
  ackDeadlineSeconds: 10,
  messageRetentionSeconds: 7 * 86_400,
  maxDeliveryAttempts: 5,
} as const;

export const LIMITS = {
  ackDeadlineSeconds: { min: 10, max: 600 },
  messageRetentionSeconds: { min: 600, max: 7 * 86_400 },
  maxDeliveryAttempts: { min: 5, max: 100 },
  backoffSeconds: { min: 0, max: 600 },
  expirationTtlSeconds: { min: 86_400 },
} as const;

export interface TopicSpec {
  readonly role: TopicRole;
  readonly name: string;
  /** Where this topic's subscriptions dead-letter (a topic name of this file), or null. */
  readonly deadLetterTopic: string | null;
  /** The schema its messages must match (a schema of this file), or null. */
  readonly schema: TopicSchemaSetting | null;
}

export interface SubscriptionSpec {
  readonly role: SubscriptionRole;
  readonly name: string;
  /** The topic name (of this file). */
  readonly topic: string;
  /** A push subscription's endpoint, by name: its URL is given to ensure per environment. */
  readonly push: { readonly endpoint: string } | null;
  readonly ackDeadlineSeconds: number;
  readonly messageRetentionSeconds: number;
  /** Deleted after this long without activity; null: never (the default here, unlike Pub/Sub's 31 days). */
  readonly expirationTtlSeconds: number | null;
  /** Immutable once created. */
  readonly enableMessageOrdering: boolean;
  /** `deadLetterTopic` is its topic's, a topic name of this file. */
  readonly deadLetterPolicy: {
    readonly deadLetterTopic: string;
    readonly maxDeliveryAttempts: number;
  } | null;
  readonly retryPolicy: {
    readonly minimumBackoffSeconds: number;
    readonly maximumBackoffSeconds: number;
  } | null;
}

export interface Topology {
  /** Where it was read from, for messages. */
  readonly file: string;
  /** Created before the topics that use them. */
  readonly schemas: readonly SchemaSpec[];
  readonly topics: Readonly<Record<TopicRole, TopicSpec>>;
  readonly subscriptions: Readonly<Record<SubscriptionRole, SubscriptionSpec>>;
}

// Pub/Sub's resource-name rule: 3–255 characters, a letter first, not starting with "goog".
const NAME = { type: 'string', pattern: '^(?!goog)[A-Za-z][A-Za-z0-9._~+%-]{2,254}$' } as const;
const DURATION_PATTERN = '^[0-9]{1,9}(s|m|h|d)$';
const DURATION = { type: 'string', pattern: DURATION_PATTERN } as const;

const topicSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: NAME, deadLetterTopic: NAME, schema: topicSchemaSettingSchema(NAME) },
} as const;

const subscriptionSchema = {
  type: 'object',
  required: ['name', 'topic'],
  additionalProperties: false,
  properties: {
    name: NAME,
    topic: NAME,
    push: {
      type: 'object',
      required: ['endpoint'],
      additionalProperties: false,
      properties: { endpoint: { type: 'string', pattern: '^[a-z][A-Za-z0-9]{0,62}$' } },
    },
    ackDeadlineSeconds: {
      type: 'integer',
      minimum: LIMITS.ackDeadlineSeconds.min,
      maximum: LIMITS.ackDeadlineSeconds.max,
    },
    messageRetentionDuration: DURATION,
    expirationTtl: { type: 'string', pattern: `^never$|${DURATION_PATTERN}` },
    enableMessageOrdering: { type: 'boolean' },
    deadLetterPolicy: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxDeliveryAttempts: {
          type: 'integer',
          minimum: LIMITS.maxDeliveryAttempts.min,
          maximum: LIMITS.maxDeliveryAttempts.max,
        },
      },
    },
    retryPolicy: {
      type: 'object',
      required: ['minimumBackoff', 'maximumBackoff'],
      additionalProperties: false,
      properties: { minimumBackoff: DURATION, maximumBackoff: DURATION },
    },
  },
} as const;

const byRole = (roles: readonly string[], schema: object) => ({
  type: 'object',
  required: [...roles],
  additionalProperties: false,
  properties: Object.fromEntries(roles.map((r) => [r, schema])),
});

const ajv = new Ajv({ allErrors: false, strict: true });
const validateFile = ajv.compile({
  type: 'object',
  required: ['topics', 'subscriptions'],
  additionalProperties: false,
  properties: {
    schemas: { type: 'array', items: schemaEntrySchema(NAME) },
    topics: byRole(TOPIC_ROLES, topicSchema),
    subscriptions: byRole(SUBSCRIPTION_ROLES, subscriptionSchema),
  },
});

interface RawTopic {
  name: string;
  deadLetterTopic?: string;
  schema?: TopicSchemaSetting;
}
interface RawSubscription {
  name: string;
  topic: string;
  push?: { endpoint: string };
  ackDeadlineSeconds?: number;
  messageRetentionDuration?: string;
  expirationTtl?: string;
  enableMessageOrdering?: boolean;
  deadLetterPolicy?: { maxDeliveryAttempts?: number };
  retryPolicy?: { minimumBackoff: string; maximumBackoff: string };
}
interface RawTopology {
  schemas?: RawSchema[];
  topics: Record<TopicRole, RawTopic>;
  subscriptions: Record<SubscriptionRole, RawSubscription>;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `90s`, `10m`, `1h`, `7d` → seconds (the schema has checked the shape). */
function seconds(duration: string): number {
  const unit = duration.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(duration.slice(0, -1)) * UNIT_SECONDS[unit];
}

function checkUnique(file: string, kind: 'topics' | 'subscriptions', raw: RawTopology): void {
  const seen = new Map<string, string>();
  for (const [role, entry] of Object.entries(raw[kind]) as [string, { name: string }][]) {
    const first = seen.get(entry.name);
    if (first !== undefined) {
      throw refuseField(
        file,
        `/${kind}/${role}/name`,
        entry.name,
        `a name not already used by /${kind}/${first}`,
      );
    }
    seen.set(entry.name, role);
  }
}

function topicSpecs(
  file: string,
  raw: RawTopology,
  schemas: readonly SchemaSpec[],
): Record<TopicRole, TopicSpec> {
  const names = new Set(Object.values(raw.topics).map((t) => t.name));
  const specs = {} as Record<TopicRole, TopicSpec>;
  for (const role of TOPIC_ROLES) {
    const t = raw.topics[role];
    const dlt = t.deadLetterTopic;
    if (dlt !== undefined && (!names.has(dlt) || dlt === t.name)) {
      throw refuseField(
        file,
        `/topics/${role}/deadLetterTopic`,
        dlt,
        `the name of another topic of this file (${[...names].filter((n) => n !== t.name).join(', ')})`,
      );
    }
    specs[role] = {
      role,
      name: t.name,
      deadLetterTopic: dlt ?? null,
      schema: topicSchemaSetting(file, `/topics/${role}/schema`, t.schema, schemas),
    };
  }
  return specs;
}

function subscriptionSpec(
  file: string,
  role: SubscriptionRole,
  s: RawSubscription,
  topics: readonly TopicSpec[],
): SubscriptionSpec {
  const at = `/subscriptions/${role}`;
  const topic = topics.find((t) => t.name === s.topic);
  if (topic === undefined) {
    throw refuseField(
      file,
      `${at}/topic`,
      s.topic,
      `the name of a topic of this file (${topics.map((t) => t.name).join(', ')})`,
    );
  }
  const retention =
    s.messageRetentionDuration === undefined
      ? SUBSCRIPTION_DEFAULTS.messageRetentionSeconds
      : seconds(s.messageRetentionDuration);
  const { min: rMin, max: rMax } = LIMITS.messageRetentionSeconds;
  if (retention < rMin || retention > rMax) {
    throw refuseField(
      file,
      `${at}/messageRetentionDuration`,
      s.messageRetentionDuration,
      'a duration from 10m to 7d',
    );
  }
  let ttl: number | null = null;
  if (s.expirationTtl !== undefined && s.expirationTtl !== 'never') {
    ttl = seconds(s.expirationTtl);
    if (ttl < LIMITS.expirationTtlSeconds.min) {
      throw refuseField(
        file,
        `${at}/expirationTtl`,
        s.expirationTtl,
        'never, or a duration of 1d or more',
      );
    }
  }
  let retryPolicy: SubscriptionSpec['retryPolicy'] = null;
  if (s.retryPolicy !== undefined) {
    const min = seconds(s.retryPolicy.minimumBackoff);
    const max = seconds(s.retryPolicy.maximumBackoff);
    const { max: bMax } = LIMITS.backoffSeconds;
    if (min > bMax) {
      throw refuseField(
        file,
        `${at}/retryPolicy/minimumBackoff`,
        s.retryPolicy.minimumBackoff,
        'a duration from 0s to 600s',
      );
    }
    if (max > bMax || max < min) {
      throw refuseField(
        file,
        `${at}/retryPolicy/maximumBackoff`,
        s.retryPolicy.maximumBackoff,
        `a duration from minimumBackoff (${s.retryPolicy.minimumBackoff}) to 600s`,
      );
    }
    retryPolicy = { minimumBackoffSeconds: min, maximumBackoffSeconds: max };
  }
  let deadLetterPolicy: SubscriptionSpec['deadLetterPolicy'] = null;
  if (s.deadLetterPolicy !== undefined) {
    if (topic.deadLetterTopic === null) {
      throw refuseField(
        file,
        `/topics/${topic.role}/deadLetterTopic`,
        undefined,
        `a dead-letter topic for ${topic.name}, since ${at} has a deadLetterPolicy`,
      );
    }
    deadLetterPolicy = {
      deadLetterTopic: topic.deadLetterTopic,
      maxDeliveryAttempts:
        s.deadLetterPolicy.maxDeliveryAttempts ?? SUBSCRIPTION_DEFAULTS.maxDeliveryAttempts,
    };
  }
  if (s.push !== undefined) {
    if (deadLetterPolicy === null) {
      throw refuseField(
        file,
        `${at}/deadLetterPolicy`,
        undefined,
        'a deadLetterPolicy on a push subscription (else a poison message is retried until its retention runs out)',
      );
    }
    if (retryPolicy === null) {
      throw refuseField(
        file,
        `${at}/retryPolicy`,
        undefined,
        'a retryPolicy on a push subscription (else a failing endpoint is retried at once, without backoff)',
      );
    }
  }
  return {
    role,
    name: s.name,
    topic: s.topic,
    push: s.push === undefined ? null : { endpoint: s.push.endpoint },
    ackDeadlineSeconds: s.ackDeadlineSeconds ?? SUBSCRIPTION_DEFAULTS.ackDeadlineSeconds,
    messageRetentionSeconds: retention,
    expirationTtlSeconds: ttl,
    enableMessageOrdering: s.enableMessageOrdering ?? false,
    deadLetterPolicy,
    retryPolicy,
  };
}

/**
 * Parses and validates a topology file's text; `file` is used in messages and kept. Schema
 * definition files are read from `definitionsDir`.
 */
export function parseTopology(
  text: string,
  file: string,
  definitionsDir: string = DEFINITIONS_DIR,
): Topology {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new TopologyError(
      TOPOLOGY_ERR_UNREADABLE,
      400,
      `${file}: not valid YAML (${String(cause).split('\n')[0]})`,
      { cause },
    );
  }
  if (!validateFile(doc))
    throw schemaFieldError(file, doc, (validateFile.errors ?? [])[0] as ErrorObject);
  const raw = doc as RawTopology;
  checkUnique(file, 'topics', raw);
  checkUnique(file, 'subscriptions', raw);
  const schemas = schemaSpecs(file, raw.schemas ?? [], definitionsDir);
  const topics = topicSpecs(file, raw, schemas);
  const subscriptions = {} as Record<SubscriptionRole, SubscriptionSpec>;
  for (const role of SUBSCRIPTION_ROLES) {
    subscriptions[role] = subscriptionSpec(
      file,
      role,
      raw.subscriptions[role],
      Object.values(topics),
    );
  }
  return { file, schemas, topics, subscriptions };
}

export function loadTopology(file: string = TOPOLOGY_FILE): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TopologyError(TOPOLOGY_ERR_UNREADABLE, 400, `${file}: cannot be read`, { cause });
  }
  return parseTopology(text, file, dirname(file));
}

/** The committed topology, loaded when this module is first imported. */
export const TOPOLOGY: Topology = loadTopology();

/** Topic names by role, from the committed topology: `TOPICS.ingest` is the input topic. */
export const TOPICS: Readonly<Record<TopicRole, string>> = roleNames(TOPOLOGY.topics);

/** Subscription names by role, from the committed topology. */
export const SUBSCRIPTIONS: Readonly<Record<SubscriptionRole, string>> = roleNames(
  TOPOLOGY.subscriptions,
);

function roleNames<R extends string>(
  specs: Readonly<Record<R, { name: string }>>,
): Record<R, string> {
  return Object.fromEntries(
    Object.entries<{ name: string }>(specs).map(([role, s]) => [role, s.name]),
  ) as Record<R, string>;
}

/** `projects/P/topics/T`: the form Pub/Sub wants wherever a topic is referred to. */
export const topicPath = (projectId: string, topic: string): string =>
  `projects/${projectId}/topics/${topic}`;

export const subscriptionPath = (projectId: string, subscription: string): string =>
  `projects/${projectId}/subscriptions/${subscription}`;
