/**
 * Pieces every deployable's config module shares: parsers that keep the raw text for error
 * messages, a problem list that reports everything at once, and the `ConfigError` (exit 78).
 *
 * convict owns the schema (env names, docs, sensitivity, defaults); the parsers here turn each raw
 * env string into a typed value or a problem, because convict's own validation stops at one joined
 * message and coerces "abc" to NaN before we can quote it.
 */
import { type ErrorSpec, RunwatchError } from './errors.js';

/** Exit code for an invalid configuration (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

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

/** Thrown by a parser; carries only what was expected, the caller adds variable and value. */
export class Expected extends Error {}

export type Parser<T> = (raw: string) => T;

export const intRange =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new Expected(`an integer from ${min} to ${max}`);
    }
    return n;
  };

export const numberRange =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Expected(`a number from ${min} to ${max}`);
    }
    return n;
  };

export const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw) => {
    if (!(values as readonly string[]).includes(raw)) {
      throw new Expected(`one of ${values.join(', ')}`);
    }
    return raw as T;
  };

export const nonEmptyString: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Expected('a non-empty string');
  return raw;
};

export const anyString: Parser<string> = (raw) => raw;

export const booleanText: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Expected('true or false');
};

/**
 * Collects problems while reading env values, so a bad config reports every problem at once.
 * `read` returns undefined for an absent or bad value; callers fall back to the preset.
 */
export class ProblemList {
  readonly problems: ConfigProblem[] = [];

  add(variable: string, value: string | undefined, expected: string): void {
    this.problems.push({ variable, value, expected });
  }

  /** Parses `env[variable]`; a sensitive value is reported as `[redacted]`, never echoed. */
  read<T>(
    env: Readonly<Record<string, string | undefined>>,
    variable: string,
    parse: Parser<T>,
    sensitive = false,
  ): T | undefined {
    const raw = env[variable];
    if (raw === undefined || raw === '') return undefined;
    try {
      return parse(raw);
    } catch (e) {
      if (!(e instanceof Expected)) throw e;
      this.add(variable, sensitive ? '[redacted]' : raw, e.message);
      return undefined;
    }
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Facts a default may depend on: the environment preset and the platform. */
export interface PresetContext {
  readonly environment: string;
  readonly platform: string;
}

/**
 * One configuration key. `parse` validates the raw env text; `preset` gives the default, which
 * may depend on the environment and platform (null: no value unless set). `defaultDoc` is what the
 * README's configuration table shows as the default.
 */
export interface Setting<T> {
  readonly env: string;
  readonly doc: string;
  readonly parse: Parser<T>;
  readonly preset: (ctx: PresetContext) => T | null;
  readonly defaultDoc: string;
  readonly sensitive?: boolean;
}

export function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

/** A fixed default that does not depend on the preset. */
export function fixed<T>(value: T, doc = String(value)): Pick<Setting<T>, 'preset' | 'defaultDoc'> {
  return { preset: () => value, defaultDoc: doc };
}

/** A default per environment, in the order production / staging / development. */
export function byEnvironment<T>(
  production: T,
  staging: T,
  development: T,
): Pick<Setting<T>, 'preset' | 'defaultDoc'> {
  const table: Record<string, T> = { production, staging, development };
  return {
    preset: (ctx) => table[ctx.environment] ?? development,
    defaultDoc: `${String(production)} / ${String(staging)} / ${String(development)} (prod / staging / dev)`,
  };
}

/** A default per platform. */
export function byPlatform<T>(
  cloudRun: T,
  kubernetes: T,
  local: T,
): Pick<Setting<T>, 'preset' | 'defaultDoc'> {
  const table: Record<string, T> = { 'cloud-run': cloudRun, kubernetes, local };
  return {
    preset: (ctx) => table[ctx.platform] ?? local,
    defaultDoc: `${String(cloudRun)} / ${String(kubernetes)} / ${String(local)} (Cloud Run / Kubernetes / elsewhere)`,
  };
}

/** The configuration's error catalogue: one code, whatever the deployable. */
export const CONFIG_ERRORS: readonly ErrorSpec[] = [
  {
    code: 'CFG_ERR_INVALID',
    statusCode: 500,
    surface: `exit ${EXIT_CONFIG}`,
    meaning: 'The configuration is invalid; each problem is logged on its own line.',
  },
];
