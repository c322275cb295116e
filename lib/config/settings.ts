/**
 * How a deployable declares its settings: convict's own schema fields (`env`, `doc`, `format`,
 * `default`, `sensitive`), where a default may be a `Preset` and `defaultDoc` says what the docs
 * show when the value alone would not do. Settings nest in trees shaped like the config object
 * they fill, so convict hands the values back in that shape and `ValuesOf` types them.
 */
import type { Format } from './formats.js';
import { Preset, type PresetContext } from './presets.js';

interface Declaration<T> {
  /** The environment variable convict reads it from. */
  readonly env: string;
  /** The contract, for the configuration docs: what the value means and what it must be. */
  readonly doc: string;
  readonly format: Format<T>;
  /** The docs' default column, when the default's own text would not say it. */
  readonly defaultDoc?: string;
  /** Never echoed: convict masks it, and a problem shows `[redacted]`. */
  readonly sensitive?: boolean;
}

export class Setting<T> {
  readonly env: string;
  readonly doc: string;
  readonly format: Format<NonNullable<T>>;
  /** null: unset unless the operator sets it. */
  readonly default: T | Preset<T>;
  readonly defaultDoc: string | undefined;
  readonly sensitive: boolean;

  constructor(d: Declaration<NonNullable<T>> & { readonly default: T | Preset<T> }) {
    this.env = d.env;
    this.doc = d.doc;
    this.format = d.format;
    this.default = d.default;
    this.defaultDoc = d.defaultDoc;
    this.sensitive = d.sensitive === true;
  }

  /** The default in `ctx`. */
  defaultIn(ctx: PresetContext): T {
    return this.default instanceof Preset ? this.default.valueFor(ctx) : this.default;
  }
}

/** A setting without a default: null unless the operator sets it. */
export function setting<T>(d: Declaration<T> & { readonly default: null }): Setting<T | null>;
export function setting<T>(
  d: Declaration<T> & { readonly default: NoInfer<T> | Preset<NoInfer<T>> },
): Setting<T>;
export function setting<T>(
  d: Declaration<T> & { readonly default: T | Preset<T> | null },
): Setting<T | null> {
  return new Setting<T | null>(d as Declaration<NonNullable<T>> & { default: T | null });
}

export interface SettingTree {
  readonly [key: string]: Setting<unknown> | SettingTree;
}

/** The values convict returns for a tree: each setting's value type, nested the same way. */
export type ValuesOf<S> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ValuesOf<S[K]>;
};

/** Every setting of a tree with its dotted path, in declaration order. */
export function* leaves(tree: SettingTree, prefix = ''): Generator<[string, Setting<unknown>]> {
  for (const [key, node] of Object.entries(tree)) {
    if (node instanceof Setting) yield [`${prefix}${key}`, node];
    else yield* leaves(node, `${prefix}${key}.`);
  }
}

/** The convict schema for `tree` in `ctx`: each preset resolved to that context's default. */
export function convictSchema(tree: SettingTree, ctx: PresetContext): Record<string, object> {
  const schema: Record<string, object> = {};
  for (const [key, node] of Object.entries(tree)) {
    schema[key] =
      node instanceof Setting
        ? {
            doc: node.doc,
            env: node.env,
            format: node.format.name,
            ...node.format.params,
            default: node.defaultIn(ctx),
            ...(node.default === null ? { nullable: true } : {}),
            ...(node.sensitive ? { sensitive: true } : {}),
          }
        : convictSchema(node, ctx);
  }
  return schema;
}
