/**
 * The service's lifecycle. The state names double as probe bodies (lightship's convention), so an
 * operator reading a probe response sees exactly which state the instance is in.
 */
export const SERVICE_IS_STARTING = 'SERVICE_IS_STARTING';
export const SERVICE_IS_READY = 'SERVICE_IS_READY';
export const SERVICE_IS_DRAINING = 'SERVICE_IS_DRAINING';
export type ServiceState =
  | typeof SERVICE_IS_STARTING
  | typeof SERVICE_IS_READY
  | typeof SERVICE_IS_DRAINING;

/**
 * Drain phases. `serving`: normal. `pre-close`: readiness fails but requests are still served
 * (with `Connection: close`) while load balancers notice. `closing`: the listener is closed and
 * new requests on existing sockets get 503 `SVC_ERR_DRAINING`.
 */
export type DrainPhase = 'serving' | 'pre-close' | 'closing';

export interface Lifecycle {
  readonly state: ServiceState;
  readonly phase: DrainPhase;
  readonly startedAt: number;
  /** Requests refused with 503 because the instance was closing. */
  readonly refused: number;
  markReady(): void;
  beginDrain(): void;
  beginClosing(): void;
  noteRefused(): void;
}

export function createLifecycle(now: () => number = Date.now): Lifecycle {
  let state: ServiceState = SERVICE_IS_STARTING;
  let phase: DrainPhase = 'serving';
  let refused = 0;
  const startedAt = now();
  return {
    get state() {
      return state;
    },
    get phase() {
      return phase;
    },
    startedAt,
    get refused() {
      return refused;
    },
    markReady() {
      if (state === SERVICE_IS_STARTING) state = SERVICE_IS_READY;
    },
    beginDrain() {
      state = SERVICE_IS_DRAINING;
      if (phase === 'serving') phase = 'pre-close';
    },
    beginClosing() {
      state = SERVICE_IS_DRAINING;
      phase = 'closing';
    },
    noteRefused() {
      refused++;
    },
  };
}

/**
 * `Retry-After` seconds: a draining instance's clients should retry at once (another instance
 * answers); a starting one needs a few seconds for the model; an overloaded one has a queue that
 * empties in milliseconds, but two seconds keep retrying clients from re-filling it at once, and
 * match the longest hold of a shed connection (SHED_HOLD_MS), so a client that honours it finds
 * its connection read again.
 */
export const RETRY_AFTER_S = { draining: 1, starting: 5, overloaded: 2 } as const;
