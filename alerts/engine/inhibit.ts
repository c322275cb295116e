/**
 * Inhibition (Alertmanager's `inhibit_rules`): a target alert is muted while a firing source alert
 * matches a rule's source matchers, the target matches its target matchers, and both have the
 * same value for every `equal` label (a missing label is the empty value, so missing equals
 * empty). An alert never inhibits itself; and, as Alertmanager's `hasEqual`, when the target
 * also matches the source matchers, a source that also matches the target matchers does not
 * count (two alerts matching both sides never mute each other).
 */
import { matchesAll } from './matchers.js';
import type { InhibitRule } from './types.js';

type Labels = Readonly<Record<string, string>>;

export interface InhibitionSource {
  readonly fingerprint: string;
  readonly labels: Labels;
}

const labelValue = (labels: Labels, name: string): string =>
  Object.hasOwn(labels, name) ? (labels[name] as string) : '';

/**
 * The fingerprint of the first firing source (rule by rule, source by source) that mutes the
 * target, or null. `firingSources` must hold only alerts firing now (the caller's filter).
 */
export function isInhibited(
  target: { readonly fingerprint: string; readonly labels: Labels },
  firingSources: readonly InhibitionSource[],
  rules: readonly InhibitRule[],
): string | null {
  for (const rule of rules) {
    if (!matchesAll(rule.targetMatchers, target.labels)) continue;
    const twoSided = matchesAll(rule.sourceMatchers, target.labels);
    for (const source of firingSources) {
      if (source.fingerprint === target.fingerprint) continue;
      if (!matchesAll(rule.sourceMatchers, source.labels)) continue;
      if (!rule.equal.every((n) => labelValue(source.labels, n) === labelValue(target.labels, n)))
        continue;
      if (twoSided && matchesAll(rule.targetMatchers, source.labels)) continue;
      return source.fingerprint;
    }
  }
  return null;
}
