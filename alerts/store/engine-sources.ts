/**
 * Which active alerts the engine store reads as inhibition source candidates
 * (`EngineStore.activeAlerts`): the inhibition rules' source matchers as label conditions both
 * dialects test in their query, so active alerts that cannot be a source (a flood from a broken
 * source, say) stay in the database instead of being read into the function at every flush.
 *
 * A condition is "the label's value is one of these" (a missing label has the empty value, as the
 * matchers have it). A rule's `=` matchers give one each, and so do its `=~` matchers whose
 * regex is an alternation of plain words (`"InferDown|InferTargetAbsent"`: anchored, it matches
 * exactly those values); other matchers (`!=`, `!~`, other regexes) are left to the engine,
 * which applies every rule's matchers to what is read anyway. A rule with no condition could take
 * any alert as a source, so then nothing is filtered.
 */
import { LABEL_NAME_PATTERN } from '../engine/matchers.js';
import type { InhibitRule, Matcher } from '../engine/types.js';

/** The label's value (missing: empty) is one of `values`. */
export interface LabelIn {
  readonly name: string;
  readonly values: readonly string[];
}

/**
 * An alert passes when every condition of some entry holds (one entry per rule); null: every
 * active alert passes. It lets through every alert some rule's source matchers match, and may
 * let through more.
 */
export type SourceFilter = readonly (readonly LabelIn[])[] | null;

const LABEL_NAME = new RegExp(LABEL_NAME_PATTERN);
/** A regex that is one or more words (letters, digits, `_`, `-`, `:`, `/`, space) joined by `|`. */
const WORDS = /^[A-Za-z0-9_:/ -]+(?:\|[A-Za-z0-9_:/ -]+)*$/;

function condition(m: Matcher): LabelIn | null {
  if (!LABEL_NAME.test(m.name)) return null;
  if (m.op === '=') return { name: m.name, values: [m.value] };
  if (m.op === '=~' && WORDS.test(m.value)) return { name: m.name, values: m.value.split('|') };
  return null;
}

/** The filter for `rules`' source matchers (null: some rule's cannot be put in a query). */
export function sourceFilter(rules: readonly InhibitRule[]): SourceFilter {
  const entries = rules.map((rule) =>
    rule.sourceMatchers.map(condition).filter((c): c is LabelIn => c !== null),
  );
  return entries.some((e) => e.length === 0) ? null : entries;
}

/**
 * `filter` as a condition on the `labels` column, with its parameters in order: SQLite's `?`
 * placeholders, or PostgreSQL's from `$firstParam`.
 */
export function sourceFilterSql(
  filter: SourceFilter,
  dialect: 'sqlite' | 'postgres',
  firstParam = 1,
): { readonly sql: string; readonly params: unknown[] } {
  if (filter === null) return { sql: 'TRUE', params: [] };
  // No rules: nothing is a source.
  if (filter.length === 0) return { sql: 'FALSE', params: [] };
  const params: unknown[] = [];
  const next = (value: unknown): string => {
    params.push(value);
    return dialect === 'sqlite' ? '?' : `$${firstParam + params.length - 1}`;
  };
  const test = (c: LabelIn): string => {
    if (dialect === 'postgres') {
      return `COALESCE(labels ->> ${next(c.name)}::text, '') = ANY(${next(c.values)}::text[])`;
    }
    // The name is a classic label name (no quote), so quoting it makes a valid JSON path.
    const path = next(`$."${c.name}"`);
    return `COALESCE(json_extract(labels, ${path}), '') IN (${c.values.map(next).join(', ')})`;
  };
  const entries = filter.map((entry) => `(${entry.map(test).join(' AND ')})`);
  return { sql: `(${entries.join(' OR ')})`, params };
}
