/**
 * Load shedding on inference routes (service/protection/pressure.ts): the event-loop and queue
 * levels past which a request is refused with 503 SVC_ERR_OVERLOADED, and how long a shed
 * connection is then left unread. A limit of 0 is off.
 */
import { decimal, integer } from '../../lib/config/formats.js';
import { byEnvironment } from '../../lib/config/presets.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import type { OperatorEnv } from '../../lib/config/read.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';
import { RETRY_AFTER_S } from '../lifecycle/state.js';
import type { HealthConfig } from './health.js';
import type { HttpConfig } from './http.js';
import type { ModelConfig } from './model.js';

/** SHED_QUEUE_DEPTH when unset (capped at MAX_QUEUE_DEPTH). */
const DEFAULT_SHED_QUEUE_DEPTH = 64;

/** How much shorter than the keep-alive timeout a shed connection's hold must be. */
const SHED_HOLD_MARGIN_MS = 1000;

export const sheddingSettings = {
  shedding: {
    eventLoopDelayMs: setting({
      env: 'SHED_EVENT_LOOP_DELAY_MS',
      doc: 'Refuse inference requests (503 SVC_ERR_OVERLOADED) while the event-loop delay over the last second, or a block in progress, exceeds this many ms; 0 turns it off. Unlike EVENT_LOOP_DELAY_* (which only report), this refuses work now; at most EVENT_LOOP_DELAY_UNHEALTHY_MS. Off in development, where a debugger pause looks like a block.',
      format: integer(0, 60000),
      default: byEnvironment(200, 200, 0),
    }),
    eventLoopUtilization: setting({
      env: 'SHED_EVENT_LOOP_UTILIZATION',
      doc: 'Refuse inference requests while event-loop utilization (busy share of wall time) over the last second exceeds this; 0 turns it off. Off by default: a batching server near capacity keeps its loop busy while still meeting its latency, so utilization cannot tell saturation from overload. Reported in /health and /security_status either way.',
      format: decimal(0, 1),
      default: 0,
    }),
    queueDepth: setting({
      env: 'SHED_QUEUE_DEPTH',
      doc: 'Refuse inference requests before reading their body while at least this many texts are admitted and unscored; 0 turns it off. At most MAX_QUEUE_DEPTH (which still refuses a request that does not fit whole). A shallow queue serves more under overload than a deep one: queued requests that outlive a scavenge cost garbage collection.',
      format: integer(0, 1_000_000),
      default: null,
      defaultDoc: `${DEFAULT_SHED_QUEUE_DEPTH} (or MAX_QUEUE_DEPTH if smaller)`,
    }),
    sampleIntervalMs: setting({
      env: 'SHED_SAMPLE_INTERVAL_MS',
      doc: 'How often event-loop delay and utilization are sampled for shedding, in ms.',
      format: integer(10, 1000),
      default: 100,
    }),
    holdMs: setting({
      env: 'SHED_HOLD_MS',
      doc: 'After shedding a request (503 SVC_ERR_OVERLOADED, Retry-After: 2), read nothing more from its keep-alive connection for between half this many ms and this many, drawn per connection so that connections shed together come back spread out (by default up to the Retry-After). A client retrying at once then waits in its own socket, its request unread but not lost, instead of taking CPU the overloaded instance needs. 0 turns it off; at most KEEP_ALIVE_TIMEOUT_MS less 1000, or Node could close a held connection as idle. Released at once when a drain starts.',
      format: integer(0, 10000),
      default: RETRY_AFTER_S.overloaded * 1000,
    }),
  },
};

type SheddingValues = ValuesOf<typeof sheddingSettings>['shedding'];

export interface SheddingConfig {
  readonly shedding: Omit<SheddingValues, 'queueDepth'> & { readonly queueDepth: number };
}

export function sheddingConfig(
  { shedding }: ValuesOf<typeof sheddingSettings>,
  { inference }: ModelConfig,
): SheddingConfig {
  return {
    shedding: {
      eventLoopDelayMs: shedding.eventLoopDelayMs,
      eventLoopUtilization: shedding.eventLoopUtilization,
      // Before the body is read, well before the batcher's own limit (see the setting's doc).
      queueDepth:
        shedding.queueDepth ?? Math.min(DEFAULT_SHED_QUEUE_DEPTH, inference.maxQueueDepth),
      sampleIntervalMs: shedding.sampleIntervalMs,
      holdMs: shedding.holdMs,
    },
  };
}

export function checkShedding(
  config: SheddingConfig & HttpConfig & ModelConfig & HealthConfig,
  report: ConfigReport,
  operator: OperatorEnv,
): void {
  const { shedding } = config;
  const { keepAliveTimeoutMs } = config.http;
  const { maxQueueDepth } = config.inference;
  const { eventLoopUnhealthyMs } = config.health;
  if (shedding.holdMs > 0 && shedding.holdMs > keepAliveTimeoutMs - SHED_HOLD_MARGIN_MS) {
    // A held connection is not read, so nothing resets Node's keep-alive timer on it: past
    // KEEP_ALIVE_TIMEOUT_MS Node destroys the socket, and the unread request with it. The margin
    // covers a loop that is late to read the socket once the hold ends (it is shedding).
    report.refuse(
      'SHED_HOLD_MS',
      String(shedding.holdMs),
      `at most KEEP_ALIVE_TIMEOUT_MS (${keepAliveTimeoutMs}) less ${SHED_HOLD_MARGIN_MS} ms: Node closes a connection idle that long, and a held one's unread request would be lost; or 0 (off)`,
    );
  }
  if (shedding.queueDepth > maxQueueDepth) {
    // The batcher refuses past MAX_QUEUE_DEPTH first, so a deeper limit would never act.
    report.refuse(
      'SHED_QUEUE_DEPTH',
      operator.text('SHED_QUEUE_DEPTH'),
      `at most MAX_QUEUE_DEPTH (${maxQueueDepth}), or 0 (off)`,
    );
  }
  if (shedding.eventLoopDelayMs > eventLoopUnhealthyMs) {
    // Past that delay the instance already reports unhealthy; shedding later protects nothing.
    if (operator.has('SHED_EVENT_LOOP_DELAY_MS')) {
      report.refuse(
        'SHED_EVENT_LOOP_DELAY_MS',
        operator.text('SHED_EVENT_LOOP_DELAY_MS'),
        `at most EVENT_LOOP_DELAY_UNHEALTHY_MS (${eventLoopUnhealthyMs}), or 0 (off)`,
      );
    } else {
      report.refuse(
        'EVENT_LOOP_DELAY_UNHEALTHY_MS',
        operator.text('EVENT_LOOP_DELAY_UNHEALTHY_MS'),
        `at least SHED_EVENT_LOOP_DELAY_MS (${shedding.eventLoopDelayMs}), or SHED_EVENT_LOOP_DELAY_MS=0`,
      );
    }
  }
}
