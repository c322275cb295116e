/**
 * Inhibition (Alertmanager's `inhibit_rules`): a target alert is muted while a firing source alert
 * matches a rule's source matchers, the target matches its target matchers, and both have the
 * same value for every `equal` label (a missing label is the empty value, so missing equals
 * empty). An alert never inhibits itself; and, as Alertmanager's `hasEqual`, when the target
 * also matches the source matchers, a source that also matches the target matchers does not
 * count (two alerts matching both sides never mute each other).
 *
 * The firing sources are indexed once (`indexSources`: per rule, by the values of its `equal`
 * labels), so deciding whether one target is muted costs a lookup per rule, whatever the number of
 * sources.
 */
import { matchesAll } from './matchers.js';
import type { InhibitRule } from './types.js';

type Labels = Readonly<Record<string, string>>;

export interface InhibitionSource {
  readonly fingerprint: string;
  readonly labels: Labels;
}

export interface InhibitionIndex {
  /**
   * The fingerprint of a firing source that mutes `target`, or null. Sources whose fingerprint is
   * in `skip` are passed over (the caller knows their state better: see the engine's flush).
   */
  mutedBy(target: InhibitionSource, skip?: ReadonlySet<string>): string | null;
}

const labelValue = (labels: Labels, name: string): string =>
  Object.hasOwn(labels, name) ? (labels[name] as string) : '';

const equalKey = (rule: InhibitRule, labels: Labels): string =>
  JSON.stringify(rule.equal.map((n) => labelValue(labels, n)));

/** One rule's sources with one tuple of `equal` values, split by whether they match the target side too. */
interface Bucket {
  readonly oneSided: InhibitionSource[];
  readonly twoSided: InhibitionSource[];
}

/** Whether `rule` can use an alert with `labels` as a source (matches its source matchers). */
export function isSourceOf(rule: InhibitRule, labels: Labels): boolean {
  return matchesAll(rule.sourceMatchers, labels);
}

function first(
  sources: readonly InhibitionSource[],
  target: InhibitionSource,
  skip: ReadonlySet<string> | undefined,
): string | null {
  for (const source of sources) {
    if (source.fingerprint !== target.fingerprint && skip?.has(source.fingerprint) !== true)
      return source.fingerprint;
  }
  return null;
}

/**
 * Indexes `firingSources` (which must hold only alerts firing now: the caller's filter) for the
 * rules; alerts that match no rule's source matchers are left out.
 */
export function indexSources(
  rules: readonly InhibitRule[],
  firingSources: readonly InhibitionSource[],
): InhibitionIndex {
  const byRule = rules.map((rule) => {
    const buckets = new Map<string, Bucket>();
    for (const source of firingSources) {
      if (!isSourceOf(rule, source.labels)) continue;
      const key = equalKey(rule, source.labels);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { oneSided: [], twoSided: [] };
        buckets.set(key, bucket);
      }
      (matchesAll(rule.targetMatchers, source.labels) ? bucket.twoSided : bucket.oneSided).push(
        source,
      );
    }
    return buckets;
  });
  return {
    mutedBy(target, skip) {
      for (const [i, rule] of rules.entries()) {
        if (!matchesAll(rule.targetMatchers, target.labels)) continue;
        const bucket = byRule[i]?.get(equalKey(rule, target.labels));
        if (bucket === undefined) continue;
        const found =
          first(bucket.oneSided, target, skip) ??
          // A target on both sides is muted by one-sided sources only (and never by itself).
          (isSourceOf(rule, target.labels) ? null : first(bucket.twoSided, target, skip));
        if (found !== null) return found;
      }
      return null;
    },
  };
}

/**
 * The fingerprint of a firing source that mutes the target, or null; `indexSources` once and
 * `mutedBy` per target when there are many targets. `firingSources` must hold only alerts firing
 * now (the caller's filter).
 */
export function isInhibited(
  target: InhibitionSource,
  firingSources: readonly InhibitionSource[],
  rules: readonly InhibitRule[],
): string | null {
  return indexSources(rules, firingSources).mutedBy(target);
}
