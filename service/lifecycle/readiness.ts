/** Whether the instance should take traffic: what /health/ready and /v2/health/ready answer. */
import type { PressureMonitor } from '../protection/pressure.js';
import type { HealthMonitor } from './health.js';
import { type Lifecycle, SERVICE_IS_DRAINING, SERVICE_IS_READY } from './state.js';

export interface ReadinessInputs {
  readonly lifecycle: Lifecycle;
  readonly health: HealthMonitor;
  readonly pressure: PressureMonitor;
}

export type NotReadyReason = 'starting' | 'draining' | 'unhealthy' | 'overloaded';

/**
 * Why the instance should not take traffic, or null when it should. Overloaded means inference
 * requests are being shed: readiness sends new traffic elsewhere, liveness stays up.
 */
export function notReadyReason(deps: ReadinessInputs): NotReadyReason | null {
  const state = deps.lifecycle.state;
  if (state === SERVICE_IS_DRAINING) return 'draining';
  if (state !== SERVICE_IS_READY) return 'starting';
  if (deps.health.snapshot().status === 'unhealthy') return 'unhealthy';
  return deps.pressure.pressure() === null ? null : 'overloaded';
}
