/**
 * The service's Prometheus metrics, on its own prom-client `Registry` (never the global one).
 *
 * Every series carries `instance`: the Cloud Run revision plus a random id per process, also sent
 * as `X-Instance-Id`, so a sweeper that reaches a random instance behind one URL can take counter
 * deltas per instance and see a restart as a new instance rather than a counter reset.
 *
 * Two registries: `own` holds what runwatch defines (and passes `promtool check metrics`); the
 * process default metrics live apart, because some of prom-client's do not pass promtool's lint.
 * `/metrics` serves both.
 *
 * Gauges that mirror state (queue depth, in flight, model loaded, health, drain) are read at
 * scrape time through `collect`, so no request path has to keep them up to date.
 */

import { randomBytes } from 'node:crypto';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { codePointLength } from '../../lib/text.js';
import type { BatcherObserver } from '../inference/batcher.js';
import type { ShedReason } from '../protection/pressure.js';

export interface MetricsSources {
  /** Texts admitted and not yet scored, or null before the model is served. */
  readonly queueDepth: () => number | null;
  /** HTTP requests being handled, the scrape itself excluded. */
  readonly inFlight: () => number;
  readonly modelLoaded: () => boolean;
  /** healthy | degraded | unhealthy | draining. */
  readonly healthStatus: () => string;
  readonly draining: () => boolean;
}

/** requests_shed_total's reasons: the pressure monitor's measures, and the batcher's full queue. */
const SHED_REASON_SET: Readonly<Record<ShedReason | 'queue_full', true>> = {
  event_loop_delay: true,
  event_loop_utilization: true,
  queue_depth: true,
  queue_full: true,
};
export const SHED_REASONS = Object.keys(SHED_REASON_SET) as (ShedReason | 'queue_full')[];

export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'draining'] as const;

/** Latency buckets in seconds: 1 ms to 10 s, dense where inference requests land. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const RUN_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const SCORE_BUCKETS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
const LENGTH_BUCKETS = [8, 16, 32, 64, 128, 256, 512, 1024];

/** `<revision or "local">-<8 hex>`: unique per process, stable for its life. */
export function newInstanceId(revision: string | null): string {
  return `${revision ?? 'local'}-${randomBytes(4).toString('hex')}`;
}

/**
 * The two HTTP series every request (but probes and /metrics) is counted in; exported so bench
 * targets that stand in for the service expose the same series.
 */
export function httpRequestMetrics(registers: Registry[]) {
  const labelNames = ['method', 'route', 'status_class'] as const;
  return {
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template (never the raw URL); probes and /metrics excluded.',
      labelNames,
      registers,
    }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by route template; probes and /metrics excluded.',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

export class ServiceMetrics {
  readonly instance: string;
  readonly own: Registry;
  readonly process: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  readonly inferenceDuration: Histogram;
  readonly inferenceBatchSize: Histogram;
  readonly predictions: Counter<'label'>;
  readonly topScore: Histogram;
  readonly inputLength: Histogram;
  readonly drained: Counter;
  readonly abandoned: Counter;
  readonly shed: Counter<'reason'>;
  readonly rateLimited: Counter;
  readonly adminKeyFailures: Counter;
  readonly rateLimitFallbackChecks: Counter;
  readonly rateLimitFallback: Gauge;

  constructor(instance: string, sources: MetricsSources) {
    this.instance = instance;
    this.own = new Registry();
    this.own.setDefaultLabels({ instance });
    this.process = new Registry();
    this.process.setDefaultLabels({ instance });
    collectDefaultMetrics({ register: this.process });
    const registers = [this.own];

    ({ requests: this.httpRequests, duration: this.httpDuration } = httpRequestMetrics(registers));
    this.inferenceDuration = new Histogram({
      name: 'inference_duration_seconds',
      help: 'Duration of one model run (featurize and session.run) in seconds.',
      buckets: RUN_BUCKETS,
      registers,
    });
    this.inferenceBatchSize = new Histogram({
      name: 'inference_batch_size',
      help: 'Texts scored per model run.',
      buckets: BATCH_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'inference_queue_depth',
      help: 'Texts admitted and not yet scored.',
      registers,
      collect() {
        this.set(sources.queueDepth() ?? 0);
      },
    });
    this.predictions = new Counter({
      name: 'predictions_total',
      help: 'Predictions served, by top label.',
      labelNames: ['label'],
      registers,
    });
    this.topScore = new Histogram({
      name: 'prediction_top_score',
      help: 'Score of the top label of each prediction (drift: confidence shifting down).',
      buckets: SCORE_BUCKETS,
      registers,
    });
    this.inputLength = new Histogram({
      name: 'prediction_input_length_code_points',
      help: 'Length of each scored text in Unicode code points (drift: inputs changing shape).',
      buckets: LENGTH_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'model_loaded',
      help: '1 when the model is loaded and warmed up, else 0.',
      registers,
      collect() {
        this.set(sources.modelLoaded() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'health_status',
      help: '1 for the current health state, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        const current = sources.healthStatus();
        for (const state of HEALTH_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'requests_in_flight',
      help: 'HTTP requests being handled, the scrape itself excluded.',
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    new Gauge({
      name: 'drain_state',
      help: '1 once SIGTERM started the drain, else 0.',
      registers,
      collect() {
        this.set(sources.draining() ? 1 : 0);
      },
    });
    this.drained = new Counter({
      name: 'requests_drained_total',
      help: 'Requests that completed after the drain started.',
      registers,
    });
    this.abandoned = new Counter({
      name: 'requests_abandoned_total',
      help: 'Requests cut at the drain deadline.',
      registers,
    });
    this.shed = new Counter({
      name: 'requests_shed_total',
      help: 'Inference requests refused with 503 SVC_ERR_OVERLOADED, by reason.',
      labelNames: ['reason'],
      registers,
    });
    // Every reason is exposed from the start, at 0, so rate() and increase() see the first
    // refusal rather than a series appearing out of nothing.
    for (const reason of SHED_REASONS) this.shed.inc({ reason }, 0);
    this.rateLimited = new Counter({
      name: 'rate_limited_total',
      help: 'Inference requests refused with 429 by the rate limit.',
      registers,
    });
    this.rateLimitFallbackChecks = new Counter({
      name: 'rate_limit_store_fallback_total',
      help: "Rate-limit checks made in this instance's memory because Redis did not answer (timed out, refused or not connected).",
      registers,
    });
    this.rateLimitFallback = new Gauge({
      name: 'rate_limit_store_fallback',
      help: "1 while rate limits are checked in this instance's memory because Redis does not answer, else 0.",
      registers,
    });
    this.adminKeyFailures = new Counter({
      name: 'admin_key_failures_total',
      help: 'Requests with an X-API-Key that is not an admin key, on admin routes and /health.',
      registers,
    });
  }

  /** The batcher hooks that feed the inference and shedding series. */
  batcherObserver(): BatcherObserver {
    return {
      onRun: (run) => {
        this.inferenceDuration.observe(run.durationMs / 1000);
        this.inferenceBatchSize.observe(run.size);
      },
      onRefused: () => this.shed.inc({ reason: 'queue_full' }),
    };
  }

  /** Model telemetry for one scored batch: top label, top score and length of every text. */
  recordPredictions(labels: readonly string[], texts: readonly string[], rows: number[][]): void {
    for (const [i, row] of rows.entries()) {
      let top = 0;
      for (let k = 1; k < row.length; k++) if ((row[k] ?? 0) > (row[top] ?? 0)) top = k;
      this.predictions.inc({ label: labels[top] ?? 'unknown' });
      this.topScore.observe(row[top] ?? 0);
      this.inputLength.observe(codePointLength(texts[i] ?? ''));
    }
  }

  contentType(): string {
    return this.own.contentType;
  }

  /**
   * The exposition text of both registries, each with its default `instance` label (a merged
   * registry would drop them).
   */
  async text(): Promise<string> {
    const [own, proc] = await Promise.all([this.own.metrics(), this.process.metrics()]);
    return `${own}\n${proc}`;
  }
}
