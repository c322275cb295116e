/**
 * Request logs for shed requests (503 SVC_ERR_OVERLOADED from load shedding), sampled: the first
 * shed request of each window is logged in full, like any request, and the rest are counted and
 * reported in one `http.shed_summary` line when the window ends. Every shed request is still
 * counted in `requests_shed_total{reason}` and `http_requests_total`.
 *
 * Why: a request line per refusal made the refusals dearer. An overloaded instance sheds
 * hundreds of requests a second, and logging each of them cost a measurable share of the goodput
 * (docs/benchmarks.md).
 *
 * One sampler per app, built by `buildApp`; its timer is unref'd and `flush()` reports a window
 * that has not ended yet (the drain calls it before the process exits).
 */
import type { Logger } from '../../lib/logger.js';

export interface ShedLogClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref(): unknown };
}

const realClock: ShedLogClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
};

export class ShedLogSampler {
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #clock: ShedLogClock;
  /** Start of the current window (ms), or null when no shed request is waiting to be reported. */
  #windowStart: number | null = null;
  #unlogged = 0;
  #byReason: Record<string, number> = {};

  constructor(log: Logger, windowMs = 1000, clock: ShedLogClock = realClock) {
    this.#log = log;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  /**
   * Notes one shed request; true when the caller should log it in full (the first of a window),
   * false when it has been counted for the window's summary instead.
   */
  note(reason: string): boolean {
    if (this.#windowStart !== null) {
      this.#unlogged++;
      this.#byReason[reason] = (this.#byReason[reason] ?? 0) + 1;
      return false;
    }
    this.#windowStart = this.#clock.now();
    this.#clock.setTimeout(() => this.flush(), this.#windowMs).unref();
    return true;
  }

  /** Ends the current window: logs its summary when requests went unlogged in it. */
  flush(): void {
    if (this.#windowStart === null) return;
    const windowMs = this.#clock.now() - this.#windowStart;
    const shed = this.#unlogged;
    const byReason = this.#byReason;
    this.#windowStart = null;
    this.#unlogged = 0;
    this.#byReason = {};
    if (shed === 0) return;
    this.#log.info(
      { event: 'http.shed_summary', shed, byReason, windowMs },
      `load shedding: ${shed} more requests refused with 503 SVC_ERR_OVERLOADED in ${windowMs} ms (logged once each window; all counted in requests_shed_total)`,
    );
  }
}
