/**
 * Service config tests: the problem lines a load reports, and a table of refusals, one test per
 * row, each expecting exactly its own problem.
 */
import test from 'ava';
import { ConfigError, formatProblem } from '../../lib/config/problems.js';
import { loadServiceConfig } from '../../service/config/index.js';

/** The problems `env` is refused with, one formatted line each; none when it loads. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadServiceConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

export interface Refusal {
  readonly name: string;
  readonly env: Record<string, string>;
  /** The one problem line: the variable, the value, and what was expected. */
  readonly message: string;
}

export function testRefusals(area: string, rows: readonly Refusal[]): void {
  for (const r of rows) {
    test(`config ${area}: ${r.name} is rejected with its own message`, (t) => {
      t.deepEqual(problemsOf(r.env), [r.message]);
    });
  }
}
