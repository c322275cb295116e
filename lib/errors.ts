/**
 * Base class for every error runwatch raises on purpose. The `code` is stable (clients and log
 * metrics match on it), `statusCode` is what an HTTP edge answers, and `cause` keeps the original
 * error for logs. Catalogues live one per area (`service/errors.ts`, `lib/model-package/errors.ts`, ...)
 * and docs/errors.md is generated from them.
 */
export class RunwatchError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** A JSON path of the offending input field, when the error is about one field. */
  readonly field: string | undefined;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    options: { cause?: unknown; field?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.field = options.field;
  }
}

/** One entry of an error catalogue, as listed in docs/errors.md (generated from the catalogues). */
export interface ErrorSpec {
  readonly code: string;
  readonly statusCode: number;
  readonly meaning: string;
  /**
   * How the error reaches its caller when that is not an HTTP answer with `statusCode`: an exit
   * code (`exit 66`), a refusal at start-up (`start`) or while loading definitions (`load`), a
   * per-target result of a sweep (`sweep`), or an acknowledged Pub/Sub event (`ack`).
   */
  readonly surface?: string;
}

/** Quotes a value for an error message without echoing large or private input. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
