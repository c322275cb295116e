/**
 * How every deployable reports its configuration: each problem as the variable, the value the
 * operator gave (a sensitive one as `[redacted]`) and what was expected; all problems of one load
 * at once, in one `ConfigError` (CFG_ERR_INVALID), on which the process exits 78.
 */
import { type ErrorSpec, RunwatchError } from '../errors.js';

/** Exit code for an invalid configuration (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

/** The configuration's error catalogue: one code, whatever the deployable. */
export const CONFIG_ERRORS: readonly ErrorSpec[] = [
  {
    code: 'CFG_ERR_INVALID',
    statusCode: 500,
    surface: `exit ${EXIT_CONFIG}`,
    meaning: 'The configuration is invalid; each problem is logged on its own line.',
  },
];

/** What a problem shows instead of a sensitive value. */
export const REDACTED = '[redacted]';

/** One thing wrong with the configuration: which variable, what it held, what was expected. */
export interface ConfigProblem {
  readonly variable: string;
  readonly value: string | undefined;
  readonly expected: string;
}

export function formatProblem(p: ConfigProblem): string {
  const shown = p.value === undefined ? '(unset)' : JSON.stringify(p.value);
  return `${p.variable}=${shown}: expected ${p.expected}`;
}

export class ConfigError extends RunwatchError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      'CFG_ERR_INVALID',
      500,
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`,
    );
    this.problems = problems;
  }
}

/**
 * What one load found: the problems (fatal, all thrown together at the end) and the warnings
 * (non-fatal, one sentence each, for the caller to log).
 */
export class ConfigReport {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];

  refuse(variable: string, value: string | undefined, expected: string): void {
    this.problems.push({ variable, value, expected });
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Whether a problem names `variable` already, so a rule can leave a second one unsaid. */
  refused(variable: string): boolean {
    return this.problems.some((p) => p.variable === variable);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
