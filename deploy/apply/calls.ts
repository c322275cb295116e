/**
 * One Logging or Monitoring call's failure as DEPLOY_APPLY_ERR_CALL_FAILED, naming the call, the
 * resource, the gRPC status and the API's own message; and the guard that stops an API's
 * remaining calls once it has proved unreachable, so that a wrong endpoint costs one timeout,
 * not one per resource.
 */
import { grpcCode } from '../../alerts/pubsub/client.js';
import { DEPLOY_APPLY_ERR_CALL_FAILED, DeployApplyError } from './errors.js';

const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const NOT_FOUND = 5;
export const ALREADY_EXISTS = 6;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** `7 PERMISSION_DENIED` for a gRPC error; undefined for anything else. */
export function statusOf(e: unknown): string | undefined {
  const code = grpcCode(e);
  return code === undefined ? undefined : `${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}`;
}

export function callFailed(call: string, name: string, cause: unknown): DeployApplyError {
  if (cause instanceof DeployApplyError) return cause;
  const details = (cause as { details?: unknown })?.details;
  const text =
    typeof details === 'string' && details !== ''
      ? details
      : cause instanceof Error
        ? cause.message.split(' : Previous errors')[0]
        : String(cause);
  const status = statusOf(cause);
  return new DeployApplyError(
    DEPLOY_APPLY_ERR_CALL_FAILED,
    502,
    `${call} ${name} failed${status === undefined ? '' : ` (gRPC ${status})`}: ${text}`,
    { cause },
  );
}

/** Whether the API itself could not be reached (as opposed to refusing one request). */
export const isUnreachable = (e: unknown): boolean => {
  const code = grpcCode((e as { cause?: unknown })?.cause ?? e);
  return code === UNAVAILABLE || code === DEADLINE_EXCEEDED;
};

/**
 * Runs an API's calls until one shows the API unreachable; after that, each further call fails
 * at once with that first failure, said to be why it was not tried.
 */
export class ApiGuard {
  #down: DeployApplyError | null = null;

  constructor(readonly api: string) {}

  async run<T>(call: string, name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#down !== null) {
      throw new DeployApplyError(
        DEPLOY_APPLY_ERR_CALL_FAILED,
        502,
        `${call} ${name} not tried: ${this.api} was unreachable (${this.#down.message})`,
      );
    }
    try {
      return await fn();
    } catch (e) {
      const failure = callFailed(call, name, e);
      if (isUnreachable(e)) this.#down = failure;
      throw failure;
    }
  }
}
