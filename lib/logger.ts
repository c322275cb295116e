/**
 * Pino shaped for Cloud Logging: one JSON object per line with `severity`, `message` and an
 * RFC 3339 `time`, so the logging agent lifts them into the LogEntry (gcp-formats.md §7).
 * Lifecycle lines carry a stable `event` field that log-based metrics and tests match on.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/** pino's levels, as LOG_LEVEL accepts them (service and local stack alike). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export interface LoggerOptions {
  readonly level: string;
  /** Human-readable lines instead of JSON (development on a TTY). */
  readonly pretty?: boolean;
  /** Where lines go; stdout (synchronously) by default. */
  readonly destination?: DestinationStream;
  /** Fields on every line. */
  readonly base?: Record<string, unknown>;
}

export type { Logger };

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination ??
    (options.pretty
      ? pretty({ colorize: true, messageKey: 'message', sync: true, ignore: 'severity' })
      : // Synchronous writes: a line logged just before exit (drain.completed, a fatal error) is
        // never lost, and Cloud Run collects stdout anyway.
        pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level,
      messageKey: 'message',
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      // Belt and braces: nothing should log these, and if something does they never leave.
      redact: {
        // Explicit paths only: a wildcard makes every line walk every top-level field
        // (measured: docs/benchmarks.md).
        paths: [
          'headers["x-api-key"]',
          'headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.authorization',
          'request.headers["x-api-key"]',
          'request.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
