/**
 * The watch domain's shared vocabulary (samples, rollup buckets, findings), used by the health
 * sweep, the trend store and the trend rules, and by the alert flow to come.
 *
 * A sample is one observation of one metric of one target at one time. Counter-derived metrics
 * (`requests_delta`, `errors_delta`) are per Cloud Run instance (`instance`, from the service's
 * `X-Instance-Id` / `instance` label), because one URL reaches a random instance; the others are
 * per target (`instance` null).
 */
export const METRICS = [
  'up',
  'probe_latency_ms',
  'latency_p50_ms',
  'latency_p95_ms',
  'error_ratio',
  'requests_delta',
  'errors_delta',
  'health_status',
] as const;
export type MetricName = (typeof METRICS)[number];

/** `health_status` values: the service's /health verdict as a number, worse is higher. */
export const HEALTH_STATUS_VALUE = { healthy: 0, degraded: 1, unhealthy: 2, down: 3 } as const;

export interface Sample {
  readonly target: string;
  readonly metric: MetricName;
  /** The service instance for per-instance counters, else null. */
  readonly instance: string | null;
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly value: number;
}

/**
 * The additive metrics the store also keeps as hourly sums (store migration 4), and the span of
 * one sum. Adding a metric here needs a new migration (the store's triggers name them).
 */
export const ROLLUP_METRICS = ['requests_delta', 'errors_delta'] as const;
export type RollupMetric = (typeof ROLLUP_METRICS)[number];
export const ROLLUP_SPAN_MS = 3_600_000;

/**
 * The sum (`value`) and number (`count`) of one additive metric's samples of one target, all
 * instances together, with ts in (ts − spanMs, ts]: `ts` is the end of the span, inclusive, like
 * the rules' own windows (t − W, t], so a window with edges on the hour is whole buckets.
 */
export interface Bucket {
  readonly target: string;
  readonly metric: RollupMetric;
  readonly ts: number;
  readonly spanMs: number;
  readonly value: number;
  readonly count: number;
}

export type Severity = 'critical' | 'warning' | 'info';

/**
 * What a rule concludes about one target at one evaluation. Labels identify the alert (its
 * fingerprint later, in the alert engine); annotations explain it.
 */
export interface Finding {
  readonly alertname: string;
  readonly target: string;
  readonly severity: Severity;
  readonly state: 'firing' | 'resolved';
  /** Evaluation time, epoch ms. */
  readonly ts: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: {
    readonly summary: string;
    readonly observed?: number;
    readonly threshold?: number;
    /** Forecast value or time (epoch ms), for slope rules. */
    readonly forecast?: number;
    readonly runbook_url?: string;
  };
}

/**
 * One Pub/Sub message as alert ingest receives it, whatever carried it (an Eventarc binary-mode
 * CloudEvent, a structured-mode one, the Functions Framework's conversion of a push body, or the
 * sweep calling ingest in-process). `data` is the decoded payload bytes.
 */
export interface PubSubMessage {
  readonly messageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms. */
  readonly publishTime: number;
  readonly orderingKey?: string;
  /** The subscription it came through, when the carrier says (Eventarc and plain push do). */
  readonly subscription?: string;
}

export type AlertSource = 'monitoring' | 'log' | 'runwatch';

/**
 * One alert event, normalised from any source into Alertmanager's shape (labels identify the
 * alert, annotations explain it; the engine fingerprints the labels).
 */
export interface IncomingAlert {
  readonly source: AlertSource;
  /**
   * Content identity: every delivery of the same event has the same key, whatever its messageId
   * (`monitoring:<incident_id>:<state>`, `log:<logName>:<timestamp>:<insertId>`,
   * `runwatch:<sweepId>:<alertname>:<target>:<state>`; a Monitoring test notification, whose
   * incident is always the same made-up one, is `monitoring:test:<messageId>:<state>`).
   * docs/ingest-formats.md says why each is what it is.
   */
  readonly dedupeKey: string;
  /**
   * Set for events of a one-shot lifecycle (a Monitoring incident: once closed it never reopens),
   * so a firing event that arrives after its resolution is stale; null otherwise.
   */
  readonly lifecycleId: string | null;
  readonly status: 'firing' | 'resolved';
  /** Always holds `alertname` and `severity`. */
  readonly labels: Readonly<Record<string, string>>;
  /** e.g. summary, description, runbook_url, url. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Epoch ms. */
  readonly startsAt: number;
  /** Epoch ms; null while firing. */
  readonly endsAt: number | null;
}
