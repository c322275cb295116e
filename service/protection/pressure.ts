/**
 * Load shedding's measures: event-loop delay, event-loop utilization and inference queue depth,
 * each against a limit (0 = off). Inference routes are refused while any limit is exceeded, and
 * readiness fails; liveness never does (a killed instance helps nobody).
 *
 * Contract:
 * - Delay and utilization are judged over the last `WINDOW_MS` of samples taken every
 *   `sampleIntervalMs` on an unref'd timer, so a block keeps the instance shedding for up to
 *   `WINDOW_MS` after it ends.
 * - A loop blocked *right now* is caught without waiting for a sample: a request handled right after
 *   a block finds the sampling timer overdue (under-pressure's trick of timing its own timer).
 * - Delay counts only while the loop was busy: lateness is capped by the loop's active time over
 *   the same span. On Cloud Run with request-based billing the CPU is throttled between requests,
 *   so timers fire late on an idle loop; without the cap the first request after an idle spell
 *   would be shed.
 * - Queue depth is read on demand (texts admitted and unscored).
 *
 * Created by the composition root and passed to the app: no module-level state.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The span over which delay and utilization are judged. */
export const WINDOW_MS = 1000;
/** monitorEventLoopDelay's timer period; its samples include it, so it is subtracted. */
const HISTOGRAM_RESOLUTION_MS = 10;

export interface ShedLimits {
  /** ms; 0 = off. */
  readonly eventLoopDelayMs: number;
  /** 0..1; 0 = off. */
  readonly eventLoopUtilization: number;
  /** Texts; 0 = off. */
  readonly queueDepth: number;
  readonly sampleIntervalMs: number;
  /** ms a shed request's connection is not read (ConnectionTracker.holdBack); 0 = off. */
  readonly holdMs: number;
}

export type ShedReason = 'event_loop_delay' | 'event_loop_utilization' | 'queue_depth';

/** One limit exceeded: which measure, its value and the limit (also `requests_shed_total`'s reason). */
export interface Pressure {
  readonly reason: ShedReason;
  readonly value: number;
  readonly limit: number;
}

/** One sampling span: from the previous sample to this one. */
export interface PressureSample {
  /** When the span ended (ms, monotonic). */
  readonly at: number;
  readonly spanMs: number;
  /** Time the loop was not idle during the span. */
  readonly activeMs: number;
  /** Longest event-loop delay seen in the span, already capped by `activeMs`. */
  readonly delayMs: number;
}

export interface Measures {
  /** Worst delay over the window, including a block in progress; ms. */
  readonly eventLoopDelayMs: number;
  /** Busy share of the window; null before the first sample. */
  readonly eventLoopUtilization: number | null;
  /** null while no model is served. */
  readonly queueDepth: number | null;
}

const SETTING: Readonly<Record<ShedReason, string>> = {
  event_loop_delay: 'SHED_EVENT_LOOP_DELAY_MS',
  event_loop_utilization: 'SHED_EVENT_LOOP_UTILIZATION',
  queue_depth: 'SHED_QUEUE_DEPTH',
};

/** A sentence for the 503 body and logs: the measure, its value and the limit. */
export function describePressure(p: Pressure): string {
  switch (p.reason) {
    case 'event_loop_delay':
      return `event-loop delay is ${Math.round(p.value)} ms; expected at most ${p.limit} ms (${SETTING[p.reason]}); retry after Retry-After`;
    case 'event_loop_utilization':
      return `event-loop utilization over the last ${WINDOW_MS / 1000} s is ${p.value.toFixed(3)}; expected at most ${p.limit} (${SETTING[p.reason]}); retry after Retry-After`;
    case 'queue_depth':
      return `the inference queue holds ${p.value} texts; expected fewer than ${p.limit} (${SETTING[p.reason]}); retry after Retry-After`;
  }
}

/**
 * The measures from the samples in the window plus the span since the last sample (`pending`),
 * which catches a block in progress.
 */
export function measure(
  samples: readonly PressureSample[],
  pending: { readonly overdueMs: number; readonly activeMs: number },
  queueDepth: number | null,
): Measures {
  let delay = Math.max(0, Math.min(pending.overdueMs, pending.activeMs));
  let span = 0;
  let active = 0;
  for (const s of samples) {
    delay = Math.max(delay, s.delayMs);
    span += s.spanMs;
    active += s.activeMs;
  }
  return {
    eventLoopDelayMs: delay,
    eventLoopUtilization: span > 0 ? Math.min(1, active / span) : null,
    queueDepth,
  };
}

/** The first limit exceeded, in the order delay, utilization, queue depth; or null. */
export function assess(limits: ShedLimits, m: Measures): Pressure | null {
  if (limits.eventLoopDelayMs > 0 && m.eventLoopDelayMs > limits.eventLoopDelayMs) {
    return {
      reason: 'event_loop_delay',
      value: m.eventLoopDelayMs,
      limit: limits.eventLoopDelayMs,
    };
  }
  if (
    limits.eventLoopUtilization > 0 &&
    m.eventLoopUtilization !== null &&
    m.eventLoopUtilization > limits.eventLoopUtilization
  ) {
    return {
      reason: 'event_loop_utilization',
      value: m.eventLoopUtilization,
      limit: limits.eventLoopUtilization,
    };
  }
  if (limits.queueDepth > 0 && m.queueDepth !== null && m.queueDepth >= limits.queueDepth) {
    return { reason: 'queue_depth', value: m.queueDepth, limit: limits.queueDepth };
  }
  return null;
}

/** What the monitor reads; real `perf_hooks` by default, fakes in unit tests. */
export interface PressureSources {
  readonly now: () => number;
  /** The loop's cumulative active (not idle) time, ms (`performance.eventLoopUtilization`). */
  readonly activeMs: () => number;
  /** Longest delay (ms) since the last call, which starts a new span; null when not sampled. */
  readonly takeMaxDelayMs: () => number | null;
  readonly close: () => void;
}

function realSources(): PressureSources {
  const histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
  histogram.enable();
  return {
    now: () => performance.now(),
    activeMs: () => performance.eventLoopUtilization().active,
    takeMaxDelayMs: () => {
      const max = histogram.count > 0 ? histogram.max / 1e6 - HISTOGRAM_RESOLUTION_MS : null;
      histogram.reset();
      return max;
    },
    close: () => histogram.disable(),
  };
}

export interface PressureMonitor {
  readonly limits: ShedLimits;
  /** Whether any limit is on; an all-off monitor never samples. */
  readonly enabled: boolean;
  /** The first limit exceeded right now, or null. */
  pressure(): Pressure | null;
  measures(): Measures;
  /** Ends the current span and records it; the timer calls it, unit tests call it directly. */
  sample(): void;
  /** Starts the sampling timer (idempotent; nothing happens when delay and utilization are off). */
  start(): void;
  stop(): void;
}

export function createPressureMonitor(
  limits: ShedLimits,
  queueDepth: () => number | null,
  sources?: PressureSources,
): PressureMonitor {
  const sampled = limits.eventLoopDelayMs > 0 || limits.eventLoopUtilization > 0;
  let src: PressureSources | null = sources ?? null;
  let samples: PressureSample[] = [];
  let lastAt = 0;
  let lastActive: number | null = null;
  let timer: NodeJS.Timeout | null = null;

  const pending = (): { overdueMs: number; activeMs: number } => {
    if (src === null || lastActive === null) return { overdueMs: 0, activeMs: 0 };
    const overdueMs = src.now() - lastAt - limits.sampleIntervalMs;
    // Reading the loop's active time costs a little; only a late timer needs it.
    if (overdueMs <= 0) return { overdueMs, activeMs: 0 };
    return { overdueMs, activeMs: src.activeMs() - lastActive };
  };

  const monitor: PressureMonitor = {
    limits,
    enabled: sampled || limits.queueDepth > 0,
    measures() {
      return measure(samples, pending(), queueDepth());
    },
    pressure() {
      if (!monitor.enabled) return null;
      return assess(limits, monitor.measures());
    },
    sample() {
      if (src === null) return;
      const at = src.now();
      const active = src.activeMs();
      const maxDelay = src.takeMaxDelayMs();
      if (lastActive !== null) {
        const spanMs = at - lastAt;
        const activeMs = active - lastActive;
        const lateMs = spanMs - limits.sampleIntervalMs;
        const delayMs = Math.max(0, Math.min(Math.max(lateMs, maxDelay ?? 0), activeMs));
        samples.push({ at, spanMs, activeMs, delayMs });
        samples = samples.filter((s) => s.at > at - WINDOW_MS);
      }
      lastAt = at;
      lastActive = active;
    },
    start() {
      if (!sampled || timer !== null) return;
      src ??= realSources();
      monitor.sample();
      timer = setInterval(() => monitor.sample(), limits.sampleIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      src?.close();
    },
  };
  return monitor;
}
