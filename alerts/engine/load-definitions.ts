/**
 * Loads `alerts/definitions/alerting.yaml` into the engine's `EngineConfig`: the routing tree,
 * receivers, inhibition rules, declared silences and flap control, in Alertmanager's names
 * (snake_case; docs/alerting-definitions.md has every field).
 *
 * Validation is ajv for the shape (an integration in two steps: its `type`, then that type's own
 * schema), then what a schema cannot say: matchers parse, every receiver a route names exists,
 * names and ids are unique, timers are positive, silences pass `checkSilenceSpec` and are at most
 * `MAX_ACTIVE_SILENCES`. The first
 * problem is thrown as ENGINE_DEFS_ERR_INVALID naming the file, the field (a JSON path), the
 * value and what was expected. A webhook URL is a secret reference, never a literal: a literal is
 * refused without being shown, and nothing under a `url` is ever quoted.
 *
 * Loading reads no environment: a webhook's `{env: NAME}` is resolved when it delivers.
 *
 * Route children inherit `receiver`, `group_by` and the three timers from their parent; the root
 * takes Alertmanager's defaults (30s, 5m, 4h, no grouping labels). A route's id hashes its
 * matcher path, receiver and group_by (routes.ts `routeId`); two routes alike in all three would
 * share groups and are refused. `repeat_interval` is rounded
 * up to a multiple of its route's `group_interval`: a group is only looked at on its
 * `group_interval` ticks, so that is when a repeat really goes out (Alertmanager does the same
 * implicitly); the loaded value says so.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeValue } from '../../lib/errors.js';
import { valueAt } from '../../lib/json-pointer.js';
import { parseRfc3339, RFC3339_EXPECTED } from '../../lib/rfc3339.js';
import { TOPICS } from '../pubsub/topology.js';
import { DURATION_PATTERN, durationMs } from '../trends/rule.js';
import {
  ENGINE_DEFS_ERR_INVALID,
  ENGINE_DEFS_ERR_UNREADABLE,
  EngineDefinitionsError,
} from './definition-errors.js';
import { LABEL_NAME_PATTERN, parseMatchers } from './matchers.js';
import { routeId } from './routes.js';
import { checkSilenceSpec, MAX_ACTIVE_SILENCES } from './silences.js';
import {
  DEFAULT_RESOLVE_TIMEOUT_MS,
  type EngineConfig,
  type FlapControl,
  type GroupBy,
  type InhibitRule,
  type IntegrationConfig,
  type Matcher,
  type ReceiverConfig,
  ROUTE_DEFAULTS,
  type Route,
  type SilenceSpec,
} from './types.js';

/** The committed definitions, resolved from this module (build/alerts/engine/ → alerts/definitions/). */
export const DEFINITIONS_FILE = fileURLToPath(
  new URL('../../../alerts/definitions/alerting.yaml', import.meta.url),
);

export const WEBHOOK_DEFAULTS = {
  format: 'alertmanager',
  timeoutMs: 10_000,
  maxAttempts: 3,
  maxAlerts: 0,
} as const;

export const DEFINITION_LIMITS = {
  maxAttempts: 10,
  routeDepth: 8,
} as const;

/** Alertmanager's `group_by: ['...']`: group by every label. */
export const GROUP_BY_ALL = '...';

const DURATION = { type: 'string', pattern: DURATION_PATTERN } as const;
const MATCHERS = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const LABEL_NAMES = { type: 'array', items: { type: 'string', pattern: LABEL_NAME_PATTERN } };
const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' } as const;
const RFC3339 =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$';

const ajv = new Ajv({ allErrors: false, strict: true });

const validateFile = ajv.compile({
  type: 'object',
  required: ['route', 'receivers'],
  additionalProperties: false,
  $defs: {
    route: {
      type: 'object',
      additionalProperties: false,
      properties: {
        receiver: NAME,
        group_by: {
          type: 'array',
          items: { type: 'string', pattern: '^(?:[a-zA-Z_:][a-zA-Z0-9_:]*|\\.\\.\\.)$' },
        },
        group_wait: DURATION,
        group_interval: DURATION,
        repeat_interval: DURATION,
        continue: { type: 'boolean' },
        matchers: MATCHERS,
        routes: { type: 'array', items: { $ref: '#/$defs/route' } },
      },
    },
  },
  properties: {
    global: {
      type: 'object',
      additionalProperties: false,
      properties: { resolve_timeout: DURATION },
    },
    route: { $ref: '#/$defs/route' },
    receivers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'integrations'],
        additionalProperties: false,
        properties: {
          name: NAME,
          send_resolved: { type: 'boolean' },
          integrations: {
            type: 'array',
            items: {
              type: 'object',
              required: ['type'],
              properties: { type: { enum: ['log', 'pubsub', 'webhook'] } },
            },
          },
        },
      },
    },
    inhibit_rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source_matchers', 'target_matchers'],
        additionalProperties: false,
        properties: {
          source_matchers: { ...MATCHERS, minItems: 1 },
          target_matchers: { ...MATCHERS, minItems: 1 },
          equal: LABEL_NAMES,
        },
      },
    },
    silences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'matchers', 'starts_at', 'ends_at', 'created_by', 'comment'],
        additionalProperties: false,
        properties: {
          id: NAME,
          matchers: { ...MATCHERS, minItems: 1 },
          starts_at: { type: 'string', pattern: RFC3339 },
          ends_at: { type: 'string', pattern: RFC3339 },
          created_by: { type: 'string', minLength: 1 },
          comment: { type: 'string', minLength: 1 },
        },
      },
    },
    flap_control: {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaults: {
          type: 'object',
          additionalProperties: false,
          properties: { for: DURATION, keep_firing_for: DURATION, min_flip_interval: DURATION },
        },
        overrides: {
          type: 'array',
          items: {
            type: 'object',
            required: ['matchers'],
            additionalProperties: false,
            properties: {
              matchers: { ...MATCHERS, minItems: 1 },
              for: DURATION,
              keep_firing_for: DURATION,
              min_flip_interval: DURATION,
            },
          },
        },
      },
    },
  },
});

const SECRET_REF = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    file: { type: 'string', minLength: 1 },
  },
} as const;

const integrationValidators: Readonly<Record<IntegrationConfig['type'], ValidateFunction>> = {
  log: ajv.compile({
    type: 'object',
    additionalProperties: false,
    properties: { type: { const: 'log' } },
  }),
  pubsub: ajv.compile({
    type: 'object',
    additionalProperties: false,
    properties: { type: { const: 'pubsub' }, topic: { type: 'string', minLength: 1 } },
  }),
  webhook: ajv.compile({
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      type: { const: 'webhook' },
      url: SECRET_REF,
      format: { enum: ['alertmanager', 'slack'] },
      timeout: DURATION,
      max_attempts: { type: 'integer', minimum: 1, maximum: DEFINITION_LIMITS.maxAttempts },
      max_alerts: { type: 'integer', minimum: 0 },
    },
  }),
};

interface RawRoute {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  matchers?: string[];
  routes?: RawRoute[];
}
interface RawIntegration {
  type: IntegrationConfig['type'];
  topic?: string;
  url?: { env: string } | { file: string };
  format?: 'alertmanager' | 'slack';
  timeout?: string;
  max_attempts?: number;
  max_alerts?: number;
}
interface RawReceiver {
  name: string;
  send_resolved?: boolean;
  integrations: RawIntegration[];
}
interface RawFlap {
  matchers?: string[];
  for?: string;
  keep_firing_for?: string;
  min_flip_interval?: string;
}
interface RawDefinitions {
  global?: { resolve_timeout?: string };
  route: RawRoute;
  receivers: RawReceiver[];
  inhibit_rules?: { source_matchers: string[]; target_matchers: string[]; equal?: string[] }[];
  silences?: {
    id: string;
    matchers: string[];
    starts_at: string;
    ends_at: string;
    created_by: string;
    comment: string;
  }[];
  flap_control?: { defaults?: RawFlap; overrides?: RawFlap[] };
}

/** Whether the field at `path` is or lies under a webhook URL, whose value is never shown. */
const isSecretPath = (path: string): boolean => /\/url(\/|$)/.test(path);

function shown(doc: unknown, path: string): string {
  return isSecretPath(path)
    ? 'is set (value not shown)'
    : `is ${describeValue(valueAt(doc, path))}`;
}

/** An ENGINE_DEFS_ERR_INVALID for the field at `path`. */
function refuse(
  file: string,
  path: string,
  what: string,
  expected: string,
): EngineDefinitionsError {
  return new EngineDefinitionsError(
    ENGINE_DEFS_ERR_INVALID,
    400,
    `${file}: field ${path} ${what}; expected ${expected}`,
    { field: path },
  );
}

function expectation(path: string, e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (/\/url$/.test(path)) return '{env: NAME} or {file: PATH}, one of the two';
  if (e.keyword === 'enum') return `one of ${(params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'const') return `${String(params.allowedValue)}`;
  if (e.keyword === 'pattern') return `a string matching ${String(params.pattern)}`;
  if (e.keyword === 'additionalProperties')
    return 'no such property (see docs/alerting-definitions.md)';
  if (e.keyword === 'type') return `a value of type ${String(params.type)}`;
  if (e.keyword === 'minimum') return `a value >= ${String(params.limit)}`;
  if (e.keyword === 'maximum') return `a value <= ${String(params.limit)}`;
  return (e.message ?? e.keyword).replace(/^must (be |have )?/, 'a value ');
}

function schemaError(file: string, doc: unknown, base: string, e: ErrorObject) {
  let path = base + e.instancePath;
  if (e.keyword === 'required') path += `/${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties') path += `/${String(e.params.additionalProperty)}`;
  // minProperties/maxProperties/additionalProperties under `url` are about the url object.
  if (/\/url\/[^/]+$/.test(path) && e.keyword === 'additionalProperties')
    path = path.replace(/\/[^/]+$/, '');
  if (e.keyword === 'required') return refuse(file, path, 'is missing', 'it to be present');
  return refuse(file, path, shown(doc, path), expectation(path, e));
}

/** Matchers of the YAML list at `path`, each entry one or more comma-separated matchers. */
function matchersAt(file: string, path: string, texts: readonly string[] = []): Matcher[] {
  return texts.flatMap((text, i) => {
    try {
      return parseMatchers(text);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw refuse(
        file,
        `${path}/${i}`,
        `is ${describeValue(text)}`,
        `a valid matcher (${reason})`,
      );
    }
  });
}

function durationAt(file: string, path: string, text: string, positive: boolean): number {
  const ms = durationMs(text);
  if (positive && ms <= 0) throw refuse(file, path, `is ${describeValue(text)}`, 'a duration > 0');
  return ms;
}

function groupByAt(file: string, path: string, raw: readonly string[]): GroupBy {
  if (raw.includes(GROUP_BY_ALL)) {
    if (raw.length > 1)
      throw refuse(file, path, `is ${describeValue(raw.join(', '))}`, `'...' alone or label names`);
    return 'all';
  }
  const seen = new Set<string>();
  raw.forEach((name, i) => {
    if (seen.has(name))
      throw refuse(file, `${path}/${i}`, `is ${describeValue(name)}`, 'a label not already listed');
    seen.add(name);
  });
  return [...raw];
}

interface Inherited {
  readonly receiver: string | undefined;
  readonly groupBy: GroupBy;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
}

/** Where the route tree is being built: the parent's matcher path, and the ids taken so far. */
interface TreeContext {
  readonly matcherPath: readonly (readonly Matcher[])[];
  /** Route id → the JSON path of the route that has it. */
  readonly ids: Map<string, string>;
}

function buildRoute(
  file: string,
  raw: RawRoute,
  path: string,
  parent: Inherited,
  receivers: ReadonlySet<string>,
  tree: TreeContext,
): Route {
  const depth = tree.matcherPath.length + 1;
  if (depth > DEFINITION_LIMITS.routeDepth)
    throw refuse(
      file,
      path,
      `is nested ${depth} deep`,
      `routes at most ${DEFINITION_LIMITS.routeDepth} deep`,
    );
  const receiver = raw.receiver ?? parent.receiver;
  if (receiver === undefined)
    throw refuse(file, `${path}/receiver`, 'is missing', 'the root route to name a receiver');
  if (!receivers.has(receiver))
    throw refuse(
      file,
      raw.receiver === undefined ? path : `${path}/receiver`,
      `${raw.receiver === undefined ? 'inherits' : 'is'} ${describeValue(receiver)}`,
      `the name of a receiver of this file (${[...receivers].join(', ')})`,
    );
  const groupIntervalMs =
    raw.group_interval === undefined
      ? parent.groupIntervalMs
      : durationAt(file, `${path}/group_interval`, raw.group_interval, true);
  const repeatGivenMs =
    raw.repeat_interval === undefined
      ? parent.repeatIntervalMs
      : durationAt(file, `${path}/repeat_interval`, raw.repeat_interval, true);
  const own: Inherited = {
    receiver,
    groupBy:
      raw.group_by === undefined
        ? parent.groupBy
        : groupByAt(file, `${path}/group_by`, raw.group_by),
    groupWaitMs:
      raw.group_wait === undefined
        ? parent.groupWaitMs
        : durationAt(file, `${path}/group_wait`, raw.group_wait, false),
    groupIntervalMs,
    repeatIntervalMs: Math.ceil(repeatGivenMs / groupIntervalMs) * groupIntervalMs,
  };
  const matchers = matchersAt(file, `${path}/matchers`, raw.matchers);
  const matcherPath = [...tree.matcherPath, matchers];
  const id = routeId(matcherPath, receiver, own.groupBy);
  const twin = tree.ids.get(id);
  if (twin !== undefined)
    throw refuse(
      file,
      path,
      `has the same matchers (its own and its parents'), receiver and group_by as ${twin}`,
      'a route that differs from every other in one of them (two such routes would share groups)',
    );
  tree.ids.set(id, path);
  return {
    id,
    receiver,
    matchers,
    groupBy: own.groupBy,
    continue: raw.continue ?? false,
    groupWaitMs: own.groupWaitMs,
    groupIntervalMs: own.groupIntervalMs,
    repeatIntervalMs: own.repeatIntervalMs,
    routes: (raw.routes ?? []).map((child, i) =>
      buildRoute(file, child, `${path}/routes/${i}`, own, receivers, { ...tree, matcherPath }),
    ),
  };
}

function buildIntegration(file: string, doc: unknown, path: string, raw: RawIntegration) {
  // Checked before the schema, whose messages would quote the string.
  if (raw.type === 'webhook' && typeof raw.url === 'string')
    throw refuse(
      file,
      `${path}/url`,
      'is a literal URL (value not shown: a URL may carry a token)',
      '{env: NAME} or {file: PATH}, resolved when the webhook delivers',
    );
  const validate = integrationValidators[raw.type];
  if (!validate(raw)) throw schemaError(file, doc, path, (validate.errors ?? [])[0] as ErrorObject);
  switch (raw.type) {
    case 'log':
      return { type: 'log' } as const;
    case 'pubsub': {
      const topic = raw.topic ?? TOPICS.alerts;
      const known = Object.values(TOPICS);
      if (!known.includes(topic))
        throw refuse(
          file,
          `${path}/topic`,
          `is ${describeValue(topic)}`,
          `a topic of alerts/definitions/pubsub.yaml (${known.join(', ')})`,
        );
      return { type: 'pubsub', topic } as const;
    }
    case 'webhook':
      return {
        type: 'webhook',
        url: raw.url as { env: string } | { file: string },
        format: raw.format ?? WEBHOOK_DEFAULTS.format,
        timeoutMs:
          raw.timeout === undefined
            ? WEBHOOK_DEFAULTS.timeoutMs
            : durationAt(file, `${path}/timeout`, raw.timeout, true),
        maxAttempts: raw.max_attempts ?? WEBHOOK_DEFAULTS.maxAttempts,
        maxAlerts: raw.max_alerts ?? WEBHOOK_DEFAULTS.maxAlerts,
      } as const;
  }
}

function buildReceivers(file: string, doc: unknown, raws: readonly RawReceiver[]) {
  const receivers = new Map<string, ReceiverConfig>();
  raws.forEach((raw, i) => {
    if (receivers.has(raw.name))
      throw refuse(
        file,
        `/receivers/${i}/name`,
        `is ${describeValue(raw.name)}`,
        'a name not already used by another receiver',
      );
    receivers.set(raw.name, {
      name: raw.name,
      sendResolved: raw.send_resolved ?? true,
      integrations: raw.integrations.map((integration, j) =>
        buildIntegration(file, doc, `/receivers/${i}/integrations/${j}`, integration),
      ),
    });
  });
  return receivers;
}

function flapAt(
  file: string,
  path: string,
  raw: RawFlap,
  base: Omit<FlapControl, 'matchers'>,
): Omit<FlapControl, 'matchers'> {
  const at = (key: 'for' | 'keep_firing_for' | 'min_flip_interval', fallback: number) => {
    const text = raw[key];
    return text === undefined ? fallback : durationAt(file, `${path}/${key}`, text, false);
  };
  return {
    forMs: at('for', base.forMs),
    keepFiringForMs: at('keep_firing_for', base.keepFiringForMs),
    minFlipIntervalMs: at('min_flip_interval', base.minFlipIntervalMs),
  };
}

// Where checkSilenceSpec's field names are in the file.
const SILENCE_FIELDS: Readonly<Record<string, string>> = {
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  createdBy: 'created_by',
  comment: 'comment',
  matchers: 'matchers',
};

function buildSilences(file: string, raws: NonNullable<RawDefinitions['silences']>) {
  if (raws.length > MAX_ACTIVE_SILENCES)
    throw refuse(
      file,
      '/silences',
      `has ${raws.length} silences`,
      `at most ${MAX_ACTIVE_SILENCES} (the most silences the engine keeps active at once)`,
    );
  const ids = new Set<string>();
  return raws.map((raw, i) => {
    const path = `/silences/${i}`;
    if (ids.has(raw.id))
      throw refuse(
        file,
        `${path}/id`,
        `is ${describeValue(raw.id)}`,
        'an id not already used by another silence',
      );
    ids.add(raw.id);
    const time = (key: 'starts_at' | 'ends_at'): number => {
      const ms = parseRfc3339(raw[key]);
      if (ms === null)
        throw refuse(file, `${path}/${key}`, `is ${describeValue(raw[key])}`, RFC3339_EXPECTED);
      return ms;
    };
    const spec: SilenceSpec = {
      matchers: matchersAt(file, `${path}/matchers`, raw.matchers),
      startsAt: time('starts_at'),
      endsAt: time('ends_at'),
      createdBy: raw.created_by,
      comment: raw.comment,
    };
    try {
      return { id: raw.id, ...checkSilenceSpec(spec) };
    } catch (cause) {
      const e = cause as EngineDefinitionsError;
      const [, key = '', rest = ''] = /^\/([A-Za-z]+)(.*)$/.exec(e.field ?? '') ?? [];
      const field = `${path}/${SILENCE_FIELDS[key] ?? key}${rest}`;
      throw new EngineDefinitionsError(
        ENGINE_DEFS_ERR_INVALID,
        400,
        `${file}: silence ${raw.id}: ${e.message.replace(/^field \S+/, `field ${field}`)}`,
        { field, cause },
      );
    }
  });
}

/** Parses and validates the definitions' text; `fileName` is used in messages. */
export function parseEngineDefinitions(text: string, fileName: string): EngineConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new EngineDefinitionsError(
      ENGINE_DEFS_ERR_UNREADABLE,
      400,
      `${fileName}: not valid YAML (${String(cause).split('\n')[0]})`,
      { cause },
    );
  }
  // A literal webhook URL is refused before the schema, whose message would quote it.
  const receiversRaw = (doc as { receivers?: unknown } | null)?.receivers;
  if (Array.isArray(receiversRaw)) {
    receiversRaw.forEach((r, i) => {
      const integrations = (r as { integrations?: unknown } | null)?.integrations;
      if (!Array.isArray(integrations)) return;
      integrations.forEach((x, j) => {
        if (typeof (x as { url?: unknown } | null)?.url === 'string')
          buildIntegration(fileName, doc, `/receivers/${i}/integrations/${j}`, {
            type: 'webhook',
            url: (x as { url: never }).url,
          });
      });
    });
  }
  if (!validateFile(doc))
    throw schemaError(fileName, doc, '', (validateFile.errors ?? [])[0] as ErrorObject);
  const raw = doc as RawDefinitions;

  const resolveText = raw.global?.resolve_timeout;
  const resolveTimeoutMs =
    resolveText === undefined
      ? DEFAULT_RESOLVE_TIMEOUT_MS
      : durationAt(fileName, '/global/resolve_timeout', resolveText, true);

  const receivers = buildReceivers(fileName, doc, raw.receivers);

  if (raw.route.matchers !== undefined && raw.route.matchers.length > 0)
    throw refuse(
      fileName,
      '/route/matchers',
      `is ${describeValue(raw.route.matchers)}`,
      'no matchers on the root route (it takes every alert)',
    );
  if (raw.route.continue !== undefined)
    throw refuse(
      fileName,
      '/route/continue',
      `is ${describeValue(raw.route.continue)}`,
      'no continue on the root route (it has no siblings)',
    );
  const route = buildRoute(
    fileName,
    raw.route,
    '/route',
    { receiver: undefined, groupBy: [], ...ROUTE_DEFAULTS },
    new Set(receivers.keys()),
    { matcherPath: [], ids: new Map() },
  );

  const inhibitRules: InhibitRule[] = (raw.inhibit_rules ?? []).map((r, i) => ({
    sourceMatchers: matchersAt(fileName, `/inhibit_rules/${i}/source_matchers`, r.source_matchers),
    targetMatchers: matchersAt(fileName, `/inhibit_rules/${i}/target_matchers`, r.target_matchers),
    equal: [...(r.equal ?? [])],
  }));

  const zero = { forMs: 0, keepFiringForMs: 0, minFlipIntervalMs: 0 };
  const flapDefaults = flapAt(
    fileName,
    '/flap_control/defaults',
    raw.flap_control?.defaults ?? {},
    zero,
  );
  const flapControl: FlapControl[] = (raw.flap_control?.overrides ?? []).map((o, i) => ({
    matchers: matchersAt(fileName, `/flap_control/overrides/${i}/matchers`, o.matchers),
    ...flapAt(fileName, `/flap_control/overrides/${i}`, o, flapDefaults),
  }));

  return {
    resolveTimeoutMs,
    route,
    receivers,
    inhibitRules,
    flapControl,
    flapDefaults,
    silences: buildSilences(fileName, raw.silences ?? []),
  };
}

/** Reads and parses the definitions file (default the committed one). */
export function loadEngineDefinitions(path: string = DEFINITIONS_FILE): EngineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EngineDefinitionsError(ENGINE_DEFS_ERR_UNREADABLE, 400, `${path}: cannot be read`, {
      cause,
    });
  }
  return parseEngineDefinitions(text, path);
}
