/**
 * The drain after SIGTERM (service/lifecycle/drain.ts): how long to keep serving before the
 * listener closes, how long in-flight requests then get, and how long the shutdown handlers get.
 * The three must end before the platform's SIGKILL.
 */
import { integer } from '../../lib/config/formats.js';
import type { Platform } from '../../lib/config/platform.js';
import { byPlatform } from '../../lib/config/presets.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';

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

export const drainSettings = {
  drain: {
    preCloseDelayMs: setting({
      env: 'DRAIN_PRE_CLOSE_DELAY_MS',
      doc: 'After SIGTERM, keep serving (readiness 503) this long before closing the listener, so load balancers stop routing here.',
      format: integer(0, 60000),
      default: byPlatform(0, 5000, 0),
    }),
    timeoutMs: setting({
      env: 'DRAIN_TIMEOUT_MS',
      doc: 'Time in-flight requests get to finish after the listener closes; then the rest are cut and counted as abandoned.',
      format: integer(0, 600000),
      default: byPlatform(8000, 23000, 25000),
    }),
    handlersTimeoutMs: setting({
      env: 'SHUTDOWN_HANDLERS_TIMEOUT_MS',
      doc: 'Total time for the shutdown handlers (close the model, flush logs) after the drain.',
      format: integer(0, 60000),
      default: byPlatform(1000, 1000, 1000),
    }),
  },
};

export type DrainConfig = ValuesOf<typeof drainSettings>;

export function checkDrain(
  { drain, platform }: DrainConfig & { readonly platform: Platform },
  report: ConfigReport,
): void {
  const limit = PLATFORM_DRAIN_LIMIT_MS[platform];
  const sum = drain.preCloseDelayMs + drain.timeoutMs + drain.handlersTimeoutMs;
  if (limit !== null && sum >= limit) {
    report.refuse(
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS',
      `${drain.preCloseDelayMs} + ${drain.timeoutMs} + ${drain.handlersTimeoutMs} = ${sum}`,
      `a sum below ${limit} ms, ${platform === 'cloud-run' ? 'the Cloud Run SIGTERM-to-SIGKILL window (10 s) less a margin' : 'the Kubernetes default termination grace period (30 s)'}`,
    );
  }
}
