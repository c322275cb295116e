/**
 * The services a health sweep probes: `alerts/definitions/targets.yaml` (`{ targets: [...] }`), or, when set,
 * `SWEEP_TARGETS` (a JSON array of `{name, url}`, every other field defaulted), which replaces
 * the file. Both are schema-validated with ajv; the first problem is thrown as
 * `TARGET_ERR_INVALID`, naming the source, the target, the field (JSON path), the value and what
 * was expected. Pure over its inputs: the caller (the functions' config module) reads the file
 * and the environment.
 *
 * Beyond the schema: an `iam: true` target, or one with an `admin_key`, must be `https://` unless
 * its host is loopback, since its requests carry a credential that anyone on the path could replay
 * against the service.
 *
 * `admin_key` names where the target's admin key is (`{env: NAME}`, an environment variable, which
 * Cloud Run fills from Secret Manager with `--set-secrets=NAME=secret:version`; or `{file: PATH}`,
 * a Secret Manager volume mount), never the key itself: a string there is refused. The sweep sends
 * it as `X-API-Key` on the metrics probe only, since the service keeps `/metrics` behind it.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeValue, type ErrorSpec, RunwatchError } from '../../lib/errors.js';
import { valueAt } from '../../lib/json-pointer.js';

export class TargetError extends RunwatchError {}

export const TARGET_ERR_INVALID = 'TARGET_ERR_INVALID';

export const TARGET_ERRORS: readonly ErrorSpec[] = [
  {
    code: TARGET_ERR_INVALID,
    statusCode: 400,
    surface: 'start',
    meaning:
      'A sweep target in `alerts/definitions/targets.yaml` or `SWEEP_TARGETS` fails its schema or repeats a name; the message names the source, target, field, value and expectation.',
  },
];

export interface SweepTarget {
  /** Unique; the `target` of every sample and finding. */
  readonly name: string;
  /** Base URL, no trailing slash. */
  readonly url: string;
  readonly probes: {
    /** Answered 200 when the service is alive; its latency is `probe_latency_ms`. */
    readonly live: string;
    /** The /health JSON: status and check values. */
    readonly health: string;
    /** Prometheus text; null when the target exposes none. */
    readonly metrics: string | null;
  };
  /** Per-request deadline. */
  readonly timeoutMs: number;
  /** Cloud Run IAM: send an ID token for `url` as audience (https://, or http:// on loopback). */
  readonly iam: boolean;
  /**
   * Where the admin key sent with the metrics probe is (a reference the caller resolves); absent
   * or null: none is sent.
   */
  readonly adminKey?: SecretRef | null;
  /** Bounds on what one scrape of `/metrics` may hold; past any, the scrape is refused whole. */
  readonly limits: ScrapeLimits;
  readonly slo: {
    /** Availability objective for the burn-rate rules, e.g. 0.995. */
    readonly availability: number;
    readonly latencyP95Ms: number;
  };
}

/** Where a secret is: an environment variable's name, or a file's absolute path. */
export type SecretRef = { readonly env: string } | { readonly file: string };

/**
 * What one scrape of a target's `/metrics` may hold, like Prometheus's `body_size_limit`,
 * `sample_limit` and (for the per-instance counter state the sweep keeps) a bound on instances.
 * Past any of them the scrape is that target's problem (SCRAPE_ERR_TOO_LARGE, _TOO_MANY_SAMPLES,
 * _TOO_MANY_INSTANCES), reading stops, and nothing of it is recorded but up and health.
 */
export interface ScrapeLimits {
  /** Body bytes, counted as they stream (and refused at once by a larger Content-Length). */
  readonly metricsBytes: number;
  /** Samples, and also `# TYPE` / `# HELP` families. */
  readonly samples: number;
  /** Distinct `instance` label values: each costs a counter-state read and write per sweep. */
  readonly instances: number;
}

export const TARGET_DEFAULTS = {
  probes: { live: '/health/live', health: '/health', metrics: '/metrics' },
  timeoutMs: 2000,
  iam: false,
  adminKey: null,
  // Two orders of magnitude above what our service exposes from its one instance, and small
  // enough that a sweep at the limits stays a small multiple of a normal one in memory
  // (docs/benchmarks.md, sweep).
  limits: { metricsBytes: 4 * 1024 * 1024, samples: 20_000, instances: 64 },
  slo: { availability: 0.995, latencyP95Ms: 500 },
} as const;

const PATH = { type: 'string', pattern: '^/' } as const;

const targetSchema = {
  type: 'object',
  required: ['name', 'url'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    url: { type: 'string', pattern: '^https?://[^/?#]+(/[^?#]*)?$' },
    probes: {
      type: 'object',
      additionalProperties: false,
      properties: { live: PATH, health: PATH, metrics: { anyOf: [PATH, { type: 'null' }] } },
    },
    timeout_ms: { type: 'integer', minimum: 50, maximum: 60000 },
    iam: { type: 'boolean' },
    admin_key: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      properties: {
        env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
        file: { type: 'string', pattern: '^/' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        metrics_bytes: { type: 'integer', minimum: 1024, maximum: 256 * 1024 * 1024 },
        samples: { type: 'integer', minimum: 1, maximum: 10_000_000 },
        instances: { type: 'integer', minimum: 1, maximum: 100_000 },
      },
    },
    slo: {
      type: 'object',
      additionalProperties: false,
      properties: {
        availability: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        latency_p95_ms: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
const validateFile = ajv.compile({
  type: 'object',
  required: ['targets'],
  additionalProperties: false,
  properties: { targets: { type: 'array', minItems: 1, items: targetSchema } },
});
const validateEnv = ajv.compile({
  type: 'array',
  minItems: 1,
  items: {
    ...targetSchema,
    // The variable's short form: name and url; the rest comes from the defaults.
    properties: { name: targetSchema.properties.name, url: targetSchema.properties.url },
  },
});

function expectation(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return `a field "${String(e.params.missingProperty)}"`;
    case 'additionalProperties':
      return `no field "${String(e.params.additionalProperty)}"`;
    case 'pattern':
      return `a string matching ${String(e.params.pattern)}`;
    default:
      return e.message ?? 'a valid value';
  }
}

function invalid(source: string, root: unknown, e: ErrorObject): TargetError {
  const field =
    e.keyword === 'required' || e.keyword === 'additionalProperties'
      ? e.instancePath || '/'
      : e.instancePath;
  const match = /^\/(?:targets\/)?(\d+)/.exec(e.instancePath);
  const index = match ? Number(match[1]) : null;
  const list = Array.isArray(root) ? root : (root as { targets?: unknown[] } | null)?.targets;
  const name = index === null ? undefined : (list?.[index] as { name?: unknown } | undefined)?.name;
  const where =
    index === null ? '' : ` target ${index}${typeof name === 'string' ? ` (${name})` : ''}:`;
  return new TargetError(
    TARGET_ERR_INVALID,
    400,
    `${source}:${where} field ${field || '/'} is ${describeValue(valueAt(root, e.instancePath))}; expected ${expectation(e)}`,
    { field: field || '/' },
  );
}

function build(raw: Record<string, unknown>): SweepTarget {
  const probes = (raw.probes ?? {}) as Partial<SweepTarget['probes']>;
  const slo = (raw.slo ?? {}) as { availability?: number; latency_p95_ms?: number };
  const limits = (raw.limits ?? {}) as {
    metrics_bytes?: number;
    samples?: number;
    instances?: number;
  };
  return {
    name: raw.name as string,
    url: (raw.url as string).replace(/\/+$/, ''),
    probes: {
      live: probes.live ?? TARGET_DEFAULTS.probes.live,
      health: probes.health ?? TARGET_DEFAULTS.probes.health,
      metrics: probes.metrics === undefined ? TARGET_DEFAULTS.probes.metrics : probes.metrics,
    },
    timeoutMs: (raw.timeout_ms as number | undefined) ?? TARGET_DEFAULTS.timeoutMs,
    iam: (raw.iam as boolean | undefined) ?? TARGET_DEFAULTS.iam,
    adminKey: (raw.admin_key as SecretRef | undefined) ?? TARGET_DEFAULTS.adminKey,
    limits: {
      metricsBytes: limits.metrics_bytes ?? TARGET_DEFAULTS.limits.metricsBytes,
      samples: limits.samples ?? TARGET_DEFAULTS.limits.samples,
      instances: limits.instances ?? TARGET_DEFAULTS.limits.instances,
    },
    slo: {
      availability: slo.availability ?? TARGET_DEFAULTS.slo.availability,
      latencyP95Ms: slo.latency_p95_ms ?? TARGET_DEFAULTS.slo.latencyP95Ms,
    },
  };
}

/** Loopback as a URL's hostname spells it: localhost, 127.0.0.0/8, [::1]. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * No credential over plaintext: a target that sends an ID token or an admin key is https://, or
 * http:// to this machine only.
 */
function credentialsOverTls(source: string, prefix: string, targets: SweepTarget[]): SweepTarget[] {
  for (const [i, t] of targets.entries()) {
    const url = new URL(t.url);
    const sends = t.iam
      ? 'an iam target (an ID token'
      : t.adminKey
        ? 'a target with an admin_key (the key'
        : null;
    if (sends !== null && url.protocol === 'http:' && !isLoopback(url.hostname)) {
      const field = `${prefix}/${i}/url`;
      throw new TargetError(
        TARGET_ERR_INVALID,
        400,
        `${source}: target ${i} (${t.name}): field ${field} is ${describeValue(t.url)}; expected an https:// URL for ${sends} is never sent in plaintext), or http:// to a loopback host`,
        { field },
      );
    }
  }
  return targets;
}

/** A literal key where a reference belongs is refused before the schema, with what to write. */
function noLiteralKeys(source: string, doc: unknown): void {
  const list = (doc as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(list)) return;
  for (const [i, raw] of list.entries()) {
    const key = (raw as { admin_key?: unknown } | null)?.admin_key;
    if (typeof key === 'string') {
      const field = `/targets/${i}/admin_key`;
      throw new TargetError(
        TARGET_ERR_INVALID,
        400,
        `${source}: target ${i}: field ${field} is a string (not shown); expected a reference, {env: VARIABLE} or {file: /path}, never the key itself in the targets file`,
        { field },
      );
    }
  }
}

function unique(source: string, targets: SweepTarget[]): SweepTarget[] {
  const seen = new Map<string, number>();
  for (const [i, t] of targets.entries()) {
    const first = seen.get(t.name);
    if (first !== undefined) {
      throw new TargetError(
        TARGET_ERR_INVALID,
        400,
        `${source}: target ${i}: field /${i}/name is ${JSON.stringify(t.name)}; expected a name distinct from target ${first}`,
        { field: `/${i}/name` },
      );
    }
    seen.set(t.name, i);
  }
  return targets;
}

/**
 * The sweep targets: from `sweepTargets` (the SWEEP_TARGETS value) when it is set and not empty,
 * else from the YAML `fileText` of `filePath`.
 */
export function loadTargets(
  fileText: string,
  filePath: string,
  sweepTargets?: string,
): SweepTarget[] {
  if (sweepTargets !== undefined && sweepTargets.trim() !== '') {
    let json: unknown;
    try {
      json = JSON.parse(sweepTargets);
    } catch (cause) {
      throw new TargetError(
        TARGET_ERR_INVALID,
        400,
        `SWEEP_TARGETS is not valid JSON (${(cause as Error).message}); expected an array of {"name", "url"}`,
        { field: 'SWEEP_TARGETS', cause },
      );
    }
    if (!validateEnv(json))
      throw invalid('SWEEP_TARGETS', json, validateEnv.errors?.[0] as ErrorObject);
    return unique('SWEEP_TARGETS', (json as Record<string, unknown>[]).map(build));
  }
  let doc: unknown;
  try {
    doc = parseYaml(fileText);
  } catch (cause) {
    throw new TargetError(
      TARGET_ERR_INVALID,
      400,
      `${filePath} is not valid YAML (${(cause as Error).message.split('\n')[0]}); expected {targets: [...]}`,
      { field: '/', cause },
    );
  }
  noLiteralKeys(filePath, doc);
  if (!validateFile(doc)) throw invalid(filePath, doc, validateFile.errors?.[0] as ErrorObject);
  const targets = (doc as { targets: Record<string, unknown>[] }).targets.map(build);
  return credentialsOverTls(filePath, '/targets', unique(filePath, targets));
}
