/**
 * Reads a settings tree from the environment with convict, which maps each variable to its key,
 * coerces and validates it with its format, applies the context's defaults and reports every
 * refused value at once. Two things convict cannot say are added here: which problem belongs to
 * which variable (its report is one joined message), and which variables the operator set
 * (its values do not tell a default from a variable set to the same value).
 */
import convict from 'convict';
import { Expected } from './formats.js';
import type { PresetContext } from './presets.js';
import { ConfigReport, REDACTED } from './problems.js';
import {
  convictSchema,
  leaves,
  type Setting,
  type SettingTree,
  type ValuesOf,
} from './settings.js';

/** The environment as a deployable receives it; tests pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The variables as the operator wrote them, for rules that blame or quote one. */
export class OperatorEnv {
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  /** Whether the operator set `variable`, even to the empty string (which reads as unset). */
  has(variable: string): boolean {
    return this.#env[variable] !== undefined;
  }

  /** What the operator wrote for `variable`. */
  text(variable: string): string | undefined {
    return this.#env[variable];
  }
}

export interface Reading<S extends SettingTree> {
  /** Every setting's value; a refused one is its default, so later rules need not guard it. */
  readonly values: ValuesOf<S>;
  /** The refused values, one problem each; rules add theirs. */
  readonly report: ConfigReport;
  readonly operator: OperatorEnv;
}

export function readSettings<S extends SettingTree>(
  tree: S,
  env: Env,
  ctx: PresetContext,
): Reading<S> {
  const config = convict<Record<string, unknown>>(convictSchema(tree, ctx), {
    env: withoutEmpty(env),
    args: [],
  });
  const report = new ConfigReport();
  try {
    config.validate({ allowed: 'strict' });
  } catch (failure) {
    // convict ran every format and joined what they threw into one message; each setting's
    // format says again what it refused, so each problem names its own variable.
    for (const [path, s] of leaves(tree)) {
      const expected = refusal(s, config.get(path));
      if (expected === null) continue;
      report.refuse(s.env, s.sensitive ? REDACTED : env[s.env], expected);
      config.reset(path);
    }
    if (report.problems.length === 0) throw failure;
  }
  // The schema was built from `tree`, so its properties have the tree's shape and formats' types.
  const values = config.getProperties() as ValuesOf<S>;
  return { values, report, operator: new OperatorEnv(env) };
}

/** An empty variable reads as unset (`FOO= command` is how a shell clears one). */
function withoutEmpty(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** What `s`'s format expected instead of `value`, or null when it accepts it. */
function refusal(s: Setting<unknown>, value: unknown): string | null {
  if (value === null && s.default === null) return null;
  try {
    s.format.validate(value);
    return null;
  } catch (e) {
    if (e instanceof Expected) return e.message;
    throw e;
  }
}
