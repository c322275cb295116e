/**
 * Base class for every error runwatch raises on purpose. The `code` is stable (clients and log
 * metrics match on it), `statusCode` is what an HTTP edge answers, and `cause` keeps the original
 * error for logs. Catalogues live one per area (`service/errors.ts`, `service/model/errors.ts`, ...)
 * and the README's error table is checked against them by a test.
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

/**
 * Builds an error without capturing a stack. For refusals by design (shedding, rate limits,
 * draining), which an overloaded instance raises thousands of times a second: their code and
 * message say everything, and the stack no one reads cost 6 % of the CPU of an instance shedding
 * at 4x its capacity (bench/overload, CPU profile). Not for faults: those keep their stacks.
 */
export function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** One entry of an error catalogue, as listed in the README. */
export interface ErrorSpec {
  readonly code: string;
  readonly statusCode: number;
  readonly meaning: string;
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
