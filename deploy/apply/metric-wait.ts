/**
 * Waiting for Cloud Monitoring to see a log-based metric that Logging has just created.
 * Monitoring refuses an alert policy whose filter names `logging.googleapis.com/user/<metric>`
 * for up to about ten minutes after the metric's create: NOT_FOUND, `Cannot find metric(s) that
 * match type = "logging.googleapis.com/user/<metric>". If a metric was created recently, it could
 * take up to 10 minutes to become available.` (hashicorp/terraform-provider-google#11102). A
 * first deploy creates the metrics and, seconds later, the policies on them; so a policy create
 * or update refused that way is tried again after a wait, until the run's budget is spent, and
 * then fails DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE. Any other failure, another NOT_FOUND included,
 * passes through at once.
 *
 * The budget is the run's, not each call's: every wait draws on it, so a metric that never
 * appears (its create failed) costs the budget once, not once per policy on it. The waits double
 * from a hundredth of the budget to a tenth of it, at most 5 s and 60 s: against Google's
 * 10 minutes that is 5 s, 10 s, 20 s, 40 s, then 60 s; a test's budget of milliseconds gets the
 * same shape in milliseconds. The last wait is cut to what is left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { grpcCode } from '../../alerts/pubsub/client.js';
import { NOT_FOUND } from './calls.js';
import { DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE, DeployApplyError } from './errors.js';

const NOT_VISIBLE = /Cannot find metric/i;
const USER_METRIC = /logging\.googleapis\.com\/user\/([A-Za-z0-9_.\-/]+)/g;

const FIRST_WAIT_MAX_MS = 5_000;
const WAIT_MAX_MS = 60_000;

/** The API's own message of a gRPC error (its `details`), else the error's message. */
function apiMessage(e: unknown): string {
  const details = (e as { details?: unknown })?.details;
  if (typeof details === 'string' && details !== '') return details;
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` is Monitoring refusing a policy on a metric it does not see (yet). */
export function isMetricNotVisible(e: unknown): boolean {
  return grpcCode(e) === NOT_FOUND && NOT_VISIBLE.test(apiMessage(e));
}

/**
 * The log metrics (their ids) the refusal `message` names, else those the policy's conditions
 * name, in order and each once.
 */
export function metricsNamed(message: string, policy: Readonly<Record<string, unknown>>): string[] {
  const ids = (text: string) => [...new Set([...text.matchAll(USER_METRIC)].map((m) => m[1]))];
  const fromMessage = ids(message);
  return (
    fromMessage.length > 0 ? fromMessage : ids(JSON.stringify(policy.conditions ?? []))
  ) as string[];
}

/** `5s`, `1m 30s`, `20ms`: a wait as people read it. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m ${seconds}s`;
}

const metricWords = (ids: readonly string[]) =>
  ids.length === 0
    ? 'log metric (unnamed)'
    : `log metric${ids.length === 1 ? '' : 's'} ${ids.join(', ')}`;

/** One run's wait for log metrics; `progress` gets one line per wait, as it starts. */
export class MetricWait {
  #waitedMs = 0;
  readonly #firstMs: number;
  readonly #maxMs: number;

  constructor(
    readonly budgetMs: number,
    private readonly progress: (line: string) => void,
    private readonly pause: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
  ) {
    this.#firstMs = Math.min(FIRST_WAIT_MAX_MS, Math.max(1, Math.round(budgetMs / 100)));
    this.#maxMs = Math.min(WAIT_MAX_MS, Math.max(1, Math.round(budgetMs / 10)));
  }

  /** How long this run has waited so far. */
  get waitedMs(): number {
    return this.#waitedMs;
  }

  /**
   * Runs `call` (what `what` says, e.g. `creating alert policy "X"`, for the policy `policy`);
   * while Monitoring refuses it for a metric it does not see, waits and runs it again. Throws
   * DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE once the budget is spent, any other failure as it is.
   */
  async run<T>(
    what: string,
    policy: Readonly<Record<string, unknown>>,
    call: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (e) {
        if (!isMetricNotVisible(e)) throw e;
        const metrics = metricWords(metricsNamed(apiMessage(e), policy));
        const left = this.budgetMs - this.#waitedMs;
        if (left <= 0) throw this.#spent(what, metrics, e);
        const ms = Math.min(left, this.#maxMs, this.#firstMs * 2 ** Math.min(attempt, 30));
        this.progress(
          `waiting for ${metrics} to become visible to Monitoring, retry in ${formatMs(ms)} (${what})`,
        );
        await this.pause(ms);
        this.#waitedMs += ms;
      }
    }
  }

  #spent(what: string, metrics: string, cause: unknown): DeployApplyError {
    return new DeployApplyError(
      DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE,
      504,
      `${what}: Monitoring still cannot find ${metrics} after ${formatMs(this.#waitedMs)} of waiting in this run (the budget, --metric-wait-ms or DEPLOY_APPLY_METRIC_WAIT_MS, is ${formatMs(this.budgetMs)}); a new log metric becomes visible to Monitoring up to 10 minutes after its create: check that its row did not fail, then run apply again. Monitoring said: ${apiMessage(cause)}`,
      { cause },
    );
  }
}
