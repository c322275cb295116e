/**
 * The inference service's configuration: a convict schema over environment variables, presets per
 * environment (production / staging / development) and per platform (Cloud Run / Kubernetes /
 * elsewhere), and the cross-key rules the seed system wrote down but never enforced.
 *
 * `loadServiceConfig(env)` takes the environment as an argument, so tests never touch
 * `process.env`; this module is the only place in the service that may read it.
 */
import { readFileSync } from 'node:fs';
import convict from 'convict';
import {
  anyString,
  booleanText,
  byEnvironment,
  byPlatform,
  type ConfigProblem,
  Expected,
  fixed,
  intRange,
  nonEmptyString,
  numberRange,
  oneOf,
  type PresetContext,
  ProblemList,
  type Setting,
  setting,
} from '../../lib/config-kit.js';
import { LOG_LEVELS, type LogLevel } from '../../lib/logger.js';
import { SecretKeys } from '../../lib/secrets.js';
import { RETRY_AFTER_S } from '../lifecycle/state.js';

/**
 * CORS_ORIGINS: comma-separated origins, each `scheme://host[:port]` (no path), or
 * `scheme://host:*` for any port of that host (development's localhost). Empty means none.
 */
const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(:(\d{1,5}|\*))?$/;

export function parseOrigins(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  for (const e of entries) {
    if (!ORIGIN.test(e)) {
      throw new Expected(
        `origins like https://app.example.com or http://localhost:* (scheme, host, optional port; no path), comma-separated; "${e}" is not one`,
      );
    }
  }
  return [...new Set(entries)];
}

function redisUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Expected('a redis:// or rediss:// URL, e.g. redis://10.0.0.3:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Expected('a redis:// or rediss:// URL, e.g. redis://10.0.0.3:6379');
  }
  return raw;
}

export const AUTH_MODES = ['none', 'api-key', 'iam'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const ENVIRONMENTS = ['production', 'staging', 'development'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const PLATFORMS = ['cloud-run', 'kubernetes', 'local'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * How long the platform waits between SIGTERM and SIGKILL, less a margin for exit itself. The
 * three drain keys must add up to less than this. Cloud Run's window is a fixed 10 s; Kubernetes'
 * default terminationGracePeriodSeconds is 30 s.
 */
export const PLATFORM_DRAIN_LIMIT_MS: Readonly<Record<Platform, number | null>> = {
  'cloud-run': 9500,
  kubernetes: 30000,
  local: null,
};

const MIN_API_KEY_LENGTH = 16;

const S = {
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: 'Minimum log level written to stdout.',
    parse: oneOf(LOG_LEVELS),
    ...byEnvironment<LogLevel>('info', 'debug', 'debug'),
  }),
  port: setting({
    env: 'PORT',
    doc: 'TCP port to listen on (0 picks a free one; Cloud Run injects it).',
    parse: intRange(0, 65535),
    ...fixed(8080),
  }),
  host: setting({
    env: 'HOST',
    doc: 'Address to listen on. Cloud Run needs 0.0.0.0.',
    parse: nonEmptyString,
    ...fixed('0.0.0.0'),
  }),
  project: setting({
    env: 'GOOGLE_CLOUD_PROJECT',
    doc: 'Project id, used to build Cloud Logging trace names (projects/P/traces/T).',
    parse: nonEmptyString,
    preset: () => null,
    defaultDoc: '(none)',
  }),
  modelPath: setting({
    env: 'MODEL_PATH',
    doc: 'Directory of the model package (model.onnx + model.json).',
    parse: nonEmptyString,
    ...fixed('models/emotion-ekman'),
  }),
  memoryLimitMb: setting({
    env: 'MEMORY_LIMIT_MB',
    doc: "Instance memory in MB (Cloud Run --memory); the RSS check's 100 %.",
    parse: intRange(512, 8192),
    ...byEnvironment(2048, 1024, 512),
  }),
  cpuLimit: setting({
    env: 'CPU_LIMIT',
    doc: "Instance CPUs (Cloud Run --cpu); the CPU check's 100 %.",
    parse: intRange(1, 8),
    ...byEnvironment(2, 1, 1),
  }),
  minInstances: setting({
    env: 'MIN_INSTANCES',
    doc: 'Minimum instances (Cloud Run --min-instances); at most MAX_INSTANCES.',
    parse: intRange(0, 100),
    ...byEnvironment(1, 0, 0),
  }),
  maxInstances: setting({
    env: 'MAX_INSTANCES',
    doc: 'Maximum instances (Cloud Run --max-instances).',
    parse: intRange(1, 100),
    ...byEnvironment(10, 5, 2),
  }),
  concurrency: setting({
    env: 'CONCURRENCY',
    doc: 'Requests per instance (Cloud Run --concurrency).',
    parse: intRange(1, 1000),
    ...byEnvironment(80, 40, 20),
  }),
  timeoutSeconds: setting({
    env: 'TIMEOUT_SECONDS',
    doc: "Request timeout in seconds (Cloud Run --timeout; 3600 is Cloud Run's maximum).",
    parse: intRange(10, 3600),
    ...byEnvironment(300, 180, 120),
  }),
  rateLimitPerMinute: setting({
    env: 'RATE_LIMIT_PER_MINUTE',
    doc: 'Requests per minute per client on inference routes; 0 turns rate limiting off.',
    parse: intRange(0, 1_000_000),
    ...byEnvironment(1000, 500, 0),
  }),
  trustProxyHops: setting({
    env: 'TRUST_PROXY_HOPS',
    doc: "Proxies in front of the service that append to X-Forwarded-For; the client address is that many entries from the right (the left-most is whatever the client wrote). 1 on Cloud Run (Google's front end), 2 behind an external load balancer, 0 when clients connect directly.",
    parse: intRange(0, 10),
    ...byPlatform(1, 0, 0),
  }),
  rateLimitRedisUrl: setting({
    env: 'RATE_LIMIT_REDIS_URL',
    doc: 'redis:// URL of a Redis shared by all instances for rate-limit buckets; unset keeps buckets in each instance (the effective limit is then RATE_LIMIT_PER_MINUTE x instances). Sensitive (may hold a password).',
    parse: redisUrl,
    preset: () => null,
    defaultDoc: '(none: per instance)',
    sensitive: true,
  }),
  rateLimitNamespace: setting({
    env: 'RATE_LIMIT_NAMESPACE',
    doc: 'Key prefix of the rate-limit buckets in Redis, so services can share one Redis.',
    parse: nonEmptyString,
    ...fixed('runwatch-rl:'),
  }),
  maxRequestsPerMinute: setting({
    env: 'MAX_REQUESTS_PER_MINUTE',
    doc: 'Deprecated alias of RATE_LIMIT_PER_MINUTE (the seed name); must agree with it when both are set.',
    parse: intRange(0, 1_000_000),
    preset: () => null,
    defaultDoc: '(alias)',
  }),
  drainPreCloseDelayMs: setting({
    env: 'DRAIN_PRE_CLOSE_DELAY_MS',
    doc: 'After SIGTERM, keep serving (readiness 503) this long before closing the listener, so load balancers stop routing here.',
    parse: intRange(0, 60000),
    ...byPlatform(0, 5000, 0),
  }),
  drainTimeoutMs: setting({
    env: 'DRAIN_TIMEOUT_MS',
    doc: 'Time in-flight requests get to finish after the listener closes; then the rest are cut and counted as abandoned.',
    parse: intRange(0, 600000),
    ...byPlatform(8000, 23000, 25000),
  }),
  shutdownHandlersTimeoutMs: setting({
    env: 'SHUTDOWN_HANDLERS_TIMEOUT_MS',
    doc: 'Total time for the shutdown handlers (close the model, flush logs) after the drain.',
    parse: intRange(0, 60000),
    ...byPlatform(1000, 1000, 1000),
  }),
  keepAliveTimeoutMs: setting({
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    doc: 'How long an idle keep-alive connection stays open.',
    parse: intRange(1000, 600000),
    ...fixed(5000),
  }),
  corsOrigins: setting({
    env: 'CORS_ORIGINS',
    doc: 'Browser origins allowed to call the API (CORS), comma-separated; host:* allows any port. Empty allows none: no Access-Control-Allow-* headers.',
    parse: parseOrigins,
    ...byEnvironment<string[]>([], [], ['http://localhost:*', 'http://127.0.0.1:*']),
    defaultDoc: '(none) / (none) / http://localhost:*, http://127.0.0.1:* (prod / staging / dev)',
  }),
  bodyLimitBytes: setting({
    env: 'BODY_LIMIT_BYTES',
    doc: 'Largest request body accepted; a larger one gets 413 SVC_ERR_BODY_TOO_LARGE. The default fits a full /predict_batch of 4-byte characters.',
    parse: intRange(1024, 10 * 1024 * 1024),
    ...fixed(262144),
  }),
  headersTimeoutMs: setting({
    env: 'HEADERS_TIMEOUT_MS',
    doc: 'Time a client gets to send the request headers; a slower one is cut off (slowloris).',
    parse: intRange(1000, 600000),
    ...fixed(10000),
  }),
  requestTimeoutMs: setting({
    env: 'REQUEST_TIMEOUT_MS',
    doc: 'Time a client gets to send the whole request, body included; at least HEADERS_TIMEOUT_MS.',
    parse: intRange(1000, 3600000),
    ...fixed(30000),
  }),
  connectionsCheckIntervalMs: setting({
    env: 'CONNECTIONS_CHECK_INTERVAL_MS',
    doc: "How often Node checks the two timeouts above (Node's default, 30 s, lets a slow client hold a socket that long).",
    parse: intRange(100, 60000),
    ...fixed(1000),
  }),
  maxInputLength: setting({
    env: 'MAX_INPUT_LENGTH',
    doc: 'Longest text accepted, in Unicode code points; longer texts get 400, never truncation.',
    parse: intRange(1, 100000),
    ...fixed(512),
  }),
  maxBatchSize: setting({
    env: 'MAX_BATCH_SIZE',
    doc: 'Most texts accepted by one /predict_batch request.',
    parse: intRange(1, 1000),
    ...fixed(100),
  }),
  maxBatchSizeInfer: setting({
    env: 'MAX_BATCH_SIZE_INFER',
    doc: 'Most texts scored in one session.run; texts queued together share a run. 1 turns micro-batching off.',
    parse: intRange(1, 1024),
    ...fixed(8),
  }),
  maxBatchDelayMs: setting({
    env: 'MAX_BATCH_DELAY_MS',
    doc: 'How long the first queued text waits for others to share its run, in ms; 0 waits one event-loop turn.',
    parse: intRange(0, 1000),
    ...fixed(2),
  }),
  maxQueueDepth: setting({
    env: 'MAX_QUEUE_DEPTH',
    doc: 'Most texts waiting for a run; a request that would overflow it gets 503 SVC_ERR_OVERLOADED. At least MAX_BATCH_SIZE.',
    parse: intRange(1, 1_000_000),
    ...fixed(256),
  }),
  healthIntervalMs: setting({
    env: 'HEALTH_CHECK_INTERVAL_MS',
    doc: 'How often the health checks run; probes read the cached result.',
    parse: intRange(100, 300000),
    ...fixed(5000),
  }),
  healthCheckTimeoutMs: setting({
    env: 'HEALTH_CHECK_TIMEOUT_MS',
    doc: 'Deadline for one health check; a check past it counts as unhealthy.',
    parse: intRange(10, 60000),
    ...fixed(1000),
  }),
  memoryDegradedRatio: setting({
    env: 'MEMORY_DEGRADED_RATIO',
    doc: 'RSS / MEMORY_LIMIT_MB above which the memory check is degraded.',
    parse: numberRange(0.01, 1),
    ...fixed(0.75),
  }),
  memoryUnhealthyRatio: setting({
    env: 'MEMORY_UNHEALTHY_RATIO',
    doc: 'RSS / MEMORY_LIMIT_MB above which the memory check is unhealthy.',
    parse: numberRange(0.01, 1),
    ...fixed(0.9),
  }),
  eventLoopDegradedMs: setting({
    env: 'EVENT_LOOP_DELAY_DEGRADED_MS',
    doc: 'Event-loop delay p99 (ms, per check interval) above which the check is degraded.',
    parse: intRange(1, 60000),
    ...fixed(200),
  }),
  eventLoopUnhealthyMs: setting({
    env: 'EVENT_LOOP_DELAY_UNHEALTHY_MS',
    doc: 'Event-loop delay p99 (ms, per check interval) above which the check is unhealthy.',
    parse: intRange(1, 60000),
    ...fixed(1000),
  }),
  cpuDegradedRatio: setting({
    env: 'CPU_DEGRADED_RATIO',
    doc: 'Process CPU time / (interval x CPU_LIMIT) above which the CPU check is degraded. High CPU alone never makes the service unhealthy.',
    parse: numberRange(0.01, 1),
    ...fixed(0.8),
  }),
  authMode: setting({
    env: 'AUTH_MODE',
    doc: 'Who may call the inference routes: none (anyone), api-key (X-API-Key from API_KEYS) or iam (Cloud Run IAM checks the caller before the request arrives; deploy with --no-allow-unauthenticated). Production refuses none.',
    parse: oneOf(AUTH_MODES),
    ...byEnvironment<AuthMode>('api-key', 'api-key', 'none'),
  }),
  shedEventLoopDelayMs: setting({
    env: 'SHED_EVENT_LOOP_DELAY_MS',
    doc: 'Refuse inference requests (503 SVC_ERR_OVERLOADED) while the event-loop delay over the last second, or a block in progress, exceeds this many ms; 0 turns it off. Unlike EVENT_LOOP_DELAY_* (which only report), this refuses work now; at most EVENT_LOOP_DELAY_UNHEALTHY_MS. Off in development, where a debugger pause looks like a block.',
    parse: intRange(0, 60000),
    ...byEnvironment(200, 200, 0),
  }),
  shedEventLoopUtilization: setting({
    env: 'SHED_EVENT_LOOP_UTILIZATION',
    doc: 'Refuse inference requests while event-loop utilization (busy share of wall time) over the last second exceeds this; 0 (the default) turns it off. A saturated batching server runs its loop ~100 % busy while still meeting its latency, so utilization alone cannot tell saturation from overload (measured: 0.98 shed everything at 4x load, goodput 0); queue depth and loop delay decide instead. Reported in /health and /security_status either way.',
    parse: numberRange(0, 1),
    ...fixed(0),
  }),
  shedQueueDepth: setting({
    env: 'SHED_QUEUE_DEPTH',
    doc: 'Refuse inference requests before reading their body while at least this many texts are admitted and unscored; 0 turns it off. At most MAX_QUEUE_DEPTH (which still refuses a request that does not fit whole). A shallow queue serves more under overload than a deep one: queued requests that outlive a scavenge cost garbage collection (measured at 4x over 512 connections: 64 served ~0.83x of an 80-connection pass on the same server, 256 ~0.75x).',
    parse: intRange(0, 1_000_000),
    preset: () => null,
    defaultDoc: '64 (or MAX_QUEUE_DEPTH if smaller)',
  }),
  shedHoldMs: setting({
    env: 'SHED_HOLD_MS',
    doc: 'After shedding a request (503 SVC_ERR_OVERLOADED, Retry-After: 2), read nothing more from its keep-alive connection for between half this many ms and this many (drawn per connection, so connections shed in one burst come back spread out; by default up to the Retry-After it was sent): a client that retries at once, ignoring Retry-After, waits in its own socket (its request unread, not lost) instead of costing the overloaded instance the CPU it needs to catch up. 0 turns it off. At most KEEP_ALIVE_TIMEOUT_MS less 1000, or Node could close a held connection as idle, its request unread. Released at once when a drain starts. At 4x over 512 connections, 2000 halved the refusals of 1000 (~330 against ~600 a second) and served a median 0.94x of capacity against 0.84x.',
    parse: intRange(0, 10000),
    ...fixed(RETRY_AFTER_S.overloaded * 1000),
  }),
  shedSampleIntervalMs: setting({
    env: 'SHED_SAMPLE_INTERVAL_MS',
    doc: 'How often event-loop delay and utilization are sampled for shedding, in ms.',
    parse: intRange(10, 1000),
    ...fixed(100),
  }),
  apiKeys: setting({
    env: 'API_KEYS',
    doc: 'Comma-separated API keys for inference routes. Sensitive: logs show key ids only.',
    parse: anyString,
    preset: () => null,
    defaultDoc: '(none)',
    sensitive: true,
  }),
  apiKeysFile: setting({
    env: 'API_KEYS_FILE',
    doc: 'File holding API keys, one per line or comma-separated (a Secret Manager volume mount).',
    parse: nonEmptyString,
    preset: () => null,
    defaultDoc: '(none)',
  }),
  adminApiKeys: setting({
    env: 'ADMIN_API_KEYS',
    doc: 'Comma-separated admin keys for /model_status, /security_status and /metrics. Sensitive.',
    parse: anyString,
    preset: () => null,
    defaultDoc: '(none)',
    sensitive: true,
  }),
  adminApiKey: setting({
    env: 'ADMIN_API_KEY',
    doc: 'Deprecated alias of ADMIN_API_KEYS (the seed name, one key). Sensitive.',
    parse: anyString,
    preset: () => null,
    defaultDoc: '(alias)',
    sensitive: true,
  }),
  adminApiKeysFile: setting({
    env: 'ADMIN_API_KEYS_FILE',
    doc: 'File holding admin keys (a Secret Manager volume mount).',
    parse: nonEmptyString,
    preset: () => null,
    defaultDoc: '(none)',
  }),
  enableFaultInjection: setting({
    env: 'ENABLE_FAULT_INJECTION',
    doc: 'Register POST /admin/faults (admin key) to make the model fail on demand, for demos and monitoring tests. Development only.',
    parse: booleanText,
    ...fixed(false),
  }),
  metricsEnabled: setting({
    env: 'METRICS_ENABLED',
    doc: 'Serve /metrics and count HTTP requests for it. false removes the route and the per-request counting (benchmarks compare the two).',
    parse: booleanText,
    ...fixed(true),
  }),
  metricsPublic: setting({
    env: 'METRICS_PUBLIC',
    doc: 'Serve /metrics and the details of /health without the admin key. Set true for a sidecar that scrapes localhost.',
    parse: booleanText,
    ...byEnvironment(false, false, true),
  }),
  serviceName: setting({
    env: 'K_SERVICE',
    doc: 'Set by Cloud Run: the service name. Its presence selects the Cloud Run platform.',
    parse: nonEmptyString,
    preset: () => null,
    defaultDoc: '(platform)',
  }),
  revision: setting({
    env: 'K_REVISION',
    doc: 'Set by Cloud Run: the revision name, reported in /health and logs, and the first part of the X-Instance-Id header and the metrics instance label.',
    // It goes into a response header on every request: a character Node refuses there would
    // fail every request instead of the start.
    parse: (raw) => {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(raw)) {
        throw new Expected(
          'a revision name: 1 to 100 letters, digits, dots, hyphens or underscores',
        );
      }
      return raw;
    },
    preset: () => null,
    defaultDoc: '(platform)',
  }),
  kubernetesHost: setting({
    env: 'KUBERNETES_SERVICE_HOST',
    doc: 'Set by Kubernetes; its presence selects the Kubernetes platform.',
    parse: nonEmptyString,
    preset: () => null,
    defaultDoc: '(platform)',
  }),
  prettyLogs: setting({
    env: 'LOG_PRETTY',
    doc: 'Human-readable logs instead of JSON. Defaults to true only in development on a TTY.',
    parse: booleanText,
    preset: () => null,
    defaultDoc: '(auto)',
  }),
} as const;

/** The environment variable that picks the preset. Not in `S`: every other default depends on it. */
const ENVIRONMENT_SETTING = setting({
  env: 'ENVIRONMENT',
  doc: 'Preset: production, staging or development. Anything else is an error. Required on Cloud Run; development elsewhere.',
  parse: oneOf(ENVIRONMENTS),
  preset: () => 'development' as Environment,
  defaultDoc: 'development (required on Cloud Run)',
});

/**
 * Seed variables that no platform reads. Setting one is not an error (old deploy scripts still
 * pass them) but logs a warning that names what replaced it.
 */
/** How much shorter than the keep-alive timeout a shed connection's hold must be. */
const SHED_HOLD_MARGIN_MS = 1000;

export const RETIRED_VARIABLES: Readonly<Record<string, string>> = {
  TARGET_CPU_UTILIZATION:
    'Cloud Run scales on CONCURRENCY and CPU by itself; tune CONCURRENCY and MAX_INSTANCES',
  TARGET_MEMORY_UTILIZATION:
    'Cloud Run has no memory scaling target; tune MEMORY_LIMIT_MB and MEMORY_DEGRADED_RATIO',
  SCALE_UP_COOLDOWN_SECONDS: 'Cloud Run has no cooldowns; keep warm instances with MIN_INSTANCES',
  SCALE_DOWN_COOLDOWN_SECONDS: 'Cloud Run has no cooldowns; keep warm instances with MIN_INSTANCES',
  GRACEFUL_SHUTDOWN_TIMEOUT:
    'DRAIN_TIMEOUT_MS (with DRAIN_PRE_CLOSE_DELAY_MS and SHUTDOWN_HANDLERS_TIMEOUT_MS), in milliseconds',
  HEALTH_CHECK_INTERVAL: 'HEALTH_CHECK_INTERVAL_MS, in milliseconds',
};

type Settings = typeof S;
type ValueOf<K extends keyof Settings> = Settings[K] extends Setting<infer T> ? T : never;

export interface ServiceConfig {
  readonly environment: Environment;
  readonly platform: Platform;
  readonly logLevel: LogLevel;
  /** null: decide from the TTY (pretty only in development on a TTY). */
  readonly prettyLogs: boolean | null;
  readonly port: number;
  readonly host: string;
  readonly project: string | null;
  readonly serviceName: string | null;
  readonly revision: string | null;
  readonly modelPath: string;
  readonly resources: {
    readonly memoryLimitMb: number;
    readonly cpuLimit: number;
    readonly minInstances: number;
    readonly maxInstances: number;
    readonly concurrency: number;
    readonly timeoutSeconds: number;
  };
  readonly rateLimitPerMinute: number;
  readonly rateLimit: {
    readonly perMinute: number;
    readonly trustProxyHops: number;
    readonly redisUrl: string | null;
    readonly namespace: string;
  };
  readonly drain: {
    readonly preCloseDelayMs: number;
    readonly timeoutMs: number;
    readonly handlersTimeoutMs: number;
  };
  readonly http: {
    readonly keepAliveTimeoutMs: number;
    readonly corsOrigins: readonly string[];
    readonly bodyLimitBytes: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly connectionsCheckIntervalMs: number;
  };
  readonly input: { readonly maxInputLength: number; readonly maxBatchSize: number };
  readonly inference: {
    readonly maxBatchSize: number;
    readonly maxBatchDelayMs: number;
    readonly maxQueueDepth: number;
  };
  readonly health: {
    readonly intervalMs: number;
    readonly checkTimeoutMs: number;
    readonly memoryDegradedRatio: number;
    readonly memoryUnhealthyRatio: number;
    readonly eventLoopDegradedMs: number;
    readonly eventLoopUnhealthyMs: number;
    readonly cpuDegradedRatio: number;
  };
  /** Load shedding on inference routes; a limit of 0 is off (see service/protection/pressure.ts). */
  readonly shedding: {
    readonly eventLoopDelayMs: number;
    readonly eventLoopUtilization: number;
    readonly queueDepth: number;
    readonly sampleIntervalMs: number;
    readonly holdMs: number;
  };
  readonly auth: {
    readonly mode: AuthMode;
    readonly apiKeys: SecretKeys;
    readonly adminApiKeys: SecretKeys;
  };
  /** POST /admin/faults is registered (development only). */
  readonly faultInjection: boolean;
  /** /metrics and the per-request HTTP series; false removes both. */
  readonly metricsEnabled: boolean;
  /** /metrics and the details of /health without the admin key. */
  readonly metricsPublic: boolean;
}

export interface LoadedConfig {
  readonly config: ServiceConfig;
  /** Non-fatal findings (retired or deprecated variables), one sentence each. */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The convict schema: names, docs, env mapping and sensitivity of every key. */
function convictSchema(): Record<string, convict.SchemaObj> {
  const schema: Record<string, convict.SchemaObj> = {};
  for (const [key, s] of [['environment', ENVIRONMENT_SETTING] as const, ...Object.entries(S)]) {
    schema[key] = {
      doc: s.doc,
      // Validation happens in `loadServiceConfig`, which keeps the raw text for messages.
      format: '*',
      default: null,
      nullable: true,
      env: s.env,
      ...(s.sensitive ? { sensitive: true } : {}),
    };
  }
  return schema;
}

export function detectPlatform(env: Env): Platform {
  if (env.K_SERVICE) return 'cloud-run';
  if (env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  return 'local';
}

/** SHED_QUEUE_DEPTH when unset (capped at MAX_QUEUE_DEPTH). */
const DEFAULT_SHED_QUEUE_DEPTH = 64;

/**
 * Loads and validates the service configuration from `env`. Throws `ConfigError` listing every
 * problem (variable, value, expected) when anything is wrong; the caller exits 78.
 */
export function loadServiceConfig(env: Env = process.env): LoadedConfig {
  // convict reads the env through the schema; the raw strings are validated below.
  const raw: { validate(o: object): void; getProperties(): Record<string, unknown> } = convict(
    convictSchema(),
    { env: { ...env } as NodeJS.ProcessEnv, args: [] },
  );
  raw.validate({ allowed: 'strict' });
  const values = raw.getProperties();
  const rawEnv: Record<string, string | undefined> = {};
  for (const [key, s] of [['environment', ENVIRONMENT_SETTING] as const, ...Object.entries(S)]) {
    const v = values[key];
    rawEnv[s.env] = typeof v === 'string' ? v : undefined;
  }

  const problems = new ProblemList();
  const warnings: string[] = [];
  const platform = detectPlatform(rawEnv);

  let environment = problems.read(rawEnv, 'ENVIRONMENT', ENVIRONMENT_SETTING.parse);
  if (environment === undefined && rawEnv.ENVIRONMENT === undefined) {
    if (platform === 'cloud-run') {
      problems.add(
        'ENVIRONMENT',
        undefined,
        `one of ${ENVIRONMENTS.join(', ')} (required on Cloud Run)`,
      );
    }
    environment = 'development';
  }
  const ctx: PresetContext = { environment: environment ?? 'development', platform };

  const get = <K extends keyof Settings>(key: K): ValueOf<K> => {
    const s = S[key] as unknown as Setting<ValueOf<K>>;
    const v = problems.read(rawEnv, s.env, s.parse, s.sensitive === true);
    return (v ?? s.preset(ctx)) as ValueOf<K>;
  };

  const resources = {
    memoryLimitMb: get('memoryLimitMb'),
    cpuLimit: get('cpuLimit'),
    minInstances: get('minInstances'),
    maxInstances: get('maxInstances'),
    concurrency: get('concurrency'),
    timeoutSeconds: get('timeoutSeconds'),
  };
  if (resources.minInstances > resources.maxInstances) {
    // Blame the variable the operator set; a preset value is not theirs to fix.
    if (rawEnv.MIN_INSTANCES !== undefined) {
      problems.add(
        'MIN_INSTANCES',
        rawEnv.MIN_INSTANCES,
        `at most MAX_INSTANCES (${resources.maxInstances})`,
      );
    } else {
      problems.add(
        'MAX_INSTANCES',
        rawEnv.MAX_INSTANCES,
        `at least MIN_INSTANCES (${resources.minInstances})`,
      );
    }
  }

  const rateLimitPerMinute = readRateLimit(rawEnv, problems, warnings, get('rateLimitPerMinute'));

  const drain = {
    preCloseDelayMs: get('drainPreCloseDelayMs'),
    timeoutMs: get('drainTimeoutMs'),
    handlersTimeoutMs: get('shutdownHandlersTimeoutMs'),
  };
  const limit = PLATFORM_DRAIN_LIMIT_MS[platform];
  const drainSum = drain.preCloseDelayMs + drain.timeoutMs + drain.handlersTimeoutMs;
  if (limit !== null && drainSum >= limit) {
    problems.add(
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS',
      `${drain.preCloseDelayMs} + ${drain.timeoutMs} + ${drain.handlersTimeoutMs} = ${drainSum}`,
      `a sum below ${limit} ms, the ${platform === 'cloud-run' ? 'Cloud Run SIGTERM-to-SIGKILL window (10 s) less a margin' : 'Kubernetes default termination grace period (30 s)'}`,
    );
  }

  const http = {
    keepAliveTimeoutMs: get('keepAliveTimeoutMs'),
    corsOrigins: get('corsOrigins'),
    bodyLimitBytes: get('bodyLimitBytes'),
    headersTimeoutMs: get('headersTimeoutMs'),
    requestTimeoutMs: get('requestTimeoutMs'),
    connectionsCheckIntervalMs: get('connectionsCheckIntervalMs'),
  };
  if (http.requestTimeoutMs < http.headersTimeoutMs) {
    problems.add(
      'REQUEST_TIMEOUT_MS',
      String(http.requestTimeoutMs),
      `at least HEADERS_TIMEOUT_MS (${http.headersTimeoutMs})`,
    );
  }

  const input = { maxInputLength: get('maxInputLength'), maxBatchSize: get('maxBatchSize') };
  const inference = {
    maxBatchSize: get('maxBatchSizeInfer'),
    maxBatchDelayMs: get('maxBatchDelayMs'),
    maxQueueDepth: get('maxQueueDepth'),
  };
  if (inference.maxQueueDepth < input.maxBatchSize) {
    // Otherwise a full-size /predict_batch could never be queued, however idle the instance.
    problems.add(
      rawEnv.MAX_QUEUE_DEPTH !== undefined ? 'MAX_QUEUE_DEPTH' : 'MAX_BATCH_SIZE',
      rawEnv.MAX_QUEUE_DEPTH !== undefined ? rawEnv.MAX_QUEUE_DEPTH : rawEnv.MAX_BATCH_SIZE,
      rawEnv.MAX_QUEUE_DEPTH !== undefined
        ? `at least MAX_BATCH_SIZE (${input.maxBatchSize})`
        : `at most MAX_QUEUE_DEPTH (${inference.maxQueueDepth})`,
    );
  }

  const health = {
    intervalMs: get('healthIntervalMs'),
    checkTimeoutMs: get('healthCheckTimeoutMs'),
    memoryDegradedRatio: get('memoryDegradedRatio'),
    memoryUnhealthyRatio: get('memoryUnhealthyRatio'),
    eventLoopDegradedMs: get('eventLoopDegradedMs'),
    eventLoopUnhealthyMs: get('eventLoopUnhealthyMs'),
    cpuDegradedRatio: get('cpuDegradedRatio'),
  };
  if (health.memoryDegradedRatio >= health.memoryUnhealthyRatio) {
    problems.add(
      'MEMORY_DEGRADED_RATIO',
      String(health.memoryDegradedRatio),
      `less than MEMORY_UNHEALTHY_RATIO (${health.memoryUnhealthyRatio})`,
    );
  }
  if (health.eventLoopDegradedMs >= health.eventLoopUnhealthyMs) {
    problems.add(
      'EVENT_LOOP_DELAY_DEGRADED_MS',
      String(health.eventLoopDegradedMs),
      `less than EVENT_LOOP_DELAY_UNHEALTHY_MS (${health.eventLoopUnhealthyMs})`,
    );
  }

  const shedding = {
    eventLoopDelayMs: get('shedEventLoopDelayMs'),
    eventLoopUtilization: get('shedEventLoopUtilization'),
    // Before the body is read, well before the batcher's own limit (see the setting's doc).
    queueDepth:
      get('shedQueueDepth') ?? Math.min(DEFAULT_SHED_QUEUE_DEPTH, inference.maxQueueDepth),
    sampleIntervalMs: get('shedSampleIntervalMs'),
    holdMs: get('shedHoldMs'),
  };
  if (shedding.holdMs > 0 && shedding.holdMs > http.keepAliveTimeoutMs - SHED_HOLD_MARGIN_MS) {
    // A held connection is not read, so nothing resets Node's keep-alive timer on it: past
    // KEEP_ALIVE_TIMEOUT_MS Node destroys the socket, and the unread request with it. The margin
    // covers a loop that is late to read the socket once the hold ends (it is shedding).
    problems.add(
      'SHED_HOLD_MS',
      String(shedding.holdMs),
      `at most KEEP_ALIVE_TIMEOUT_MS (${http.keepAliveTimeoutMs}) less ${SHED_HOLD_MARGIN_MS} ms: Node closes a connection idle that long, and a held one's unread request would be lost; or 0 (off)`,
    );
  }
  if (shedding.queueDepth > inference.maxQueueDepth) {
    // The batcher refuses past MAX_QUEUE_DEPTH first, so a deeper limit would never act.
    problems.add(
      'SHED_QUEUE_DEPTH',
      rawEnv.SHED_QUEUE_DEPTH,
      `at most MAX_QUEUE_DEPTH (${inference.maxQueueDepth}), or 0 (off)`,
    );
  }
  if (shedding.eventLoopDelayMs > health.eventLoopUnhealthyMs) {
    // Past that delay the instance already reports unhealthy; shedding later protects nothing.
    if (rawEnv.SHED_EVENT_LOOP_DELAY_MS !== undefined) {
      problems.add(
        'SHED_EVENT_LOOP_DELAY_MS',
        rawEnv.SHED_EVENT_LOOP_DELAY_MS,
        `at most EVENT_LOOP_DELAY_UNHEALTHY_MS (${health.eventLoopUnhealthyMs}), or 0 (off)`,
      );
    } else {
      problems.add(
        'EVENT_LOOP_DELAY_UNHEALTHY_MS',
        rawEnv.EVENT_LOOP_DELAY_UNHEALTHY_MS,
        `at least SHED_EVENT_LOOP_DELAY_MS (${shedding.eventLoopDelayMs}), or SHED_EVENT_LOOP_DELAY_MS=0`,
      );
    }
  }

  const apiKeys = readKeys(rawEnv, problems, 'API_KEYS', 'API_KEYS_FILE', null);
  const adminApiKeys = readKeys(
    rawEnv,
    problems,
    'ADMIN_API_KEYS',
    'ADMIN_API_KEYS_FILE',
    'ADMIN_API_KEY',
  );
  if (rawEnv.ADMIN_API_KEY !== undefined) {
    warnings.push(
      'ADMIN_API_KEY is deprecated; use ADMIN_API_KEYS (comma-separated) or ADMIN_API_KEYS_FILE',
    );
  }

  const rateLimit = {
    perMinute: rateLimitPerMinute,
    trustProxyHops: get('trustProxyHops'),
    redisUrl: get('rateLimitRedisUrl'),
    namespace: get('rateLimitNamespace'),
  };
  if (ctx.environment === 'production' && rateLimit.perMinute > 0 && rateLimit.redisUrl === null) {
    warnings.push(
      `RATE_LIMIT_REDIS_URL is not set: each instance keeps its own buckets, so a client may make up to RATE_LIMIT_PER_MINUTE (${rateLimit.perMinute}) x instances requests a minute`,
    );
  }

  const faultInjection = get('enableFaultInjection');
  if (faultInjection && ctx.environment !== 'development') {
    problems.add(
      'ENABLE_FAULT_INJECTION',
      rawEnv.ENABLE_FAULT_INJECTION,
      `false outside development (ENVIRONMENT is ${ctx.environment})`,
    );
  }

  const authMode = get('authMode');
  if (authMode === 'none' && ctx.environment === 'production') {
    problems.add(
      'AUTH_MODE',
      rawEnv.AUTH_MODE ?? 'none',
      'api-key or iam in production (none lets anyone call the model)',
    );
  }
  // An empty API_KEYS (a secret that was not injected, say) counts as none: refused at start,
  // not found out as a 401 on every request. A source that failed is reported already.
  if (
    authMode === 'api-key' &&
    apiKeys.size === 0 &&
    !problems.problems.some((p) => p.variable === 'API_KEYS' || p.variable === 'API_KEYS_FILE')
  ) {
    problems.add(
      'API_KEYS',
      rawEnv.API_KEYS === undefined ? undefined : '[redacted]',
      `at least one key, because AUTH_MODE is api-key${rawEnv.AUTH_MODE === undefined ? ` (the ${ctx.environment} default)` : ''}; or set AUTH_MODE=iam on Cloud Run`,
    );
  }
  if (authMode === 'iam' && platform !== 'cloud-run') {
    warnings.push(
      'AUTH_MODE=iam outside Cloud Run: nothing in front of this service checks callers',
    );
  }

  for (const [variable, replacement] of Object.entries(RETIRED_VARIABLES)) {
    if (env[variable] !== undefined) {
      warnings.push(`${variable} is no longer read; use ${replacement}`);
    }
  }

  const logLevel = get('logLevel');
  const config: ServiceConfig = {
    environment: ctx.environment as Environment,
    platform,
    logLevel,
    prettyLogs: problems.read(rawEnv, 'LOG_PRETTY', booleanText) ?? null,
    port: get('port'),
    host: get('host'),
    project: get('project'),
    serviceName: get('serviceName'),
    revision: get('revision'),
    modelPath: get('modelPath'),
    resources,
    rateLimitPerMinute,
    rateLimit,
    drain,
    http,
    input,
    inference,
    health,
    shedding,
    auth: { mode: authMode, apiKeys, adminApiKeys },
    faultInjection,
    metricsEnabled: get('metricsEnabled'),
    metricsPublic: get('metricsPublic'),
  };
  problems.throwIfAny();
  return { config, warnings };
}

function readRateLimit(
  env: Env,
  problems: ProblemList,
  warnings: string[],
  current: number,
): number {
  const alias = problems.read(env, 'MAX_REQUESTS_PER_MINUTE', S.maxRequestsPerMinute.parse);
  if (alias === undefined) return current;
  if (env.RATE_LIMIT_PER_MINUTE === undefined || env.RATE_LIMIT_PER_MINUTE === '') {
    warnings.push('MAX_REQUESTS_PER_MINUTE is deprecated; use RATE_LIMIT_PER_MINUTE');
    return alias;
  }
  if (alias !== current) {
    problems.add(
      'MAX_REQUESTS_PER_MINUTE',
      env.MAX_REQUESTS_PER_MINUTE,
      `the same value as RATE_LIMIT_PER_MINUTE (${current}), or unset: it is a deprecated alias`,
    );
  } else {
    warnings.push('MAX_REQUESTS_PER_MINUTE is deprecated; use RATE_LIMIT_PER_MINUTE');
  }
  return current;
}

function splitKeys(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

/**
 * Reads a key set from its variable, its `_FILE` form or a deprecated single-key alias. Setting
 * more than one source is an error: which one wins would be a guess.
 */
function readKeys(
  env: Env,
  problems: ProblemList,
  variable: string,
  fileVariable: string,
  aliasVariable: string | null,
): SecretKeys {
  const sources = [variable, fileVariable, aliasVariable].filter(
    (v): v is string => v !== null && env[v] !== undefined && env[v] !== '',
  );
  if (sources.length > 1) {
    for (const v of sources.slice(1)) {
      problems.add(
        v,
        v === fileVariable ? env[v] : '[redacted]',
        `unset when ${sources[0]} is set (use one source)`,
      );
    }
    return new SecretKeys([], null);
  }
  const source = sources[0];
  if (source === undefined) return new SecretKeys([], null);
  let keys: string[];
  let path: string | undefined;
  if (source === fileVariable) {
    path = env[fileVariable] as string;
    try {
      keys = splitKeys(readFileSync(path, 'utf8'));
    } catch (e) {
      problems.add(
        fileVariable,
        path,
        `a readable file (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
      return new SecretKeys([], null);
    }
  } else {
    keys = splitKeys(env[source] as string);
  }
  if (keys.length === 0) {
    problems.add(source, source === fileVariable ? path : '[redacted]', 'at least one key');
  }
  const short = keys.filter((k) => k.length < MIN_API_KEY_LENGTH).length;
  if (short > 0) {
    problems.add(
      source,
      source === fileVariable ? path : '[redacted]',
      `keys of at least ${MIN_API_KEY_LENGTH} characters (${short} shorter)`,
    );
  }
  return new SecretKeys(
    keys,
    path === undefined ? { variable: source } : { variable: source, path },
  );
}

/** Rows for the README's configuration table, from the schema's docs. */
export function configurationTable(): { variable: string; default: string; doc: string }[] {
  const schema = convict(convictSchema(), { env: {}, args: [] }).getSchema() as unknown as {
    _cvtProperties: Record<string, { doc: string; env: string }>;
  };
  const all = [ENVIRONMENT_SETTING, ...Object.values(S)] as Setting<unknown>[];
  return Object.values(schema._cvtProperties).map((p) => {
    const s = all.find((x) => x.env === p.env);
    return { variable: p.env, default: s?.defaultDoc ?? '', doc: p.doc };
  });
}

export type { ConfigProblem };
