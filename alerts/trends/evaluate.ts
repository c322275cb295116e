/**
 * Rule evaluation over the trend store: which samples each rule reads, read once per metric, and
 * each rule's verdict. Pure apart from the store reads; the sweep calls it after recording.
 */
import type { TrendStore } from '../store/store.js';
import type { Bucket, Finding, MetricName, RollupMetric, Sample } from '../types.js';
import { mergeRanges, type Range, type ReadPlan, readPlan } from './read-plan.js';
import type { RuleSpec, RuleType } from './rule.js';
import { RULE_TYPES } from './rule-types/index.js';

/**
 * Every rule over its window for every target it applies to (the sweep's step 4; bench/trends.ts
 * times it).
 * Per target, each rule's reads are planned (`readPlan`: raw sample ranges, and for burn-rate
 * rules hourly buckets where no exact window's edge can fall), then each metric's ranges over all
 * rules are merged and read once, and each rule gets exactly its own ranges, so rules sharing a
 * metric (the two burn-rate alerts) share its reads. Findings come in rule order, then target.
 */
export async function evaluate(
  store: TrendStore,
  rules: readonly RuleSpec[],
  targets: readonly { readonly name: string }[],
  ts: number,
): Promise<Finding[]> {
  const byRule: Finding[][] = rules.map(() => []);
  // A plan depends on the rule and the time, not on the target: made once per sweep.
  const allPlans: { index: number; rule: RuleSpec; type: RuleType<unknown>; plan: ReadPlan }[] = [];
  rules.forEach((rule, index) => {
    const type = RULE_TYPES[rule.type];
    if (type !== undefined)
      allPlans.push({ index, rule, type, plan: readPlan(type, rule.params, ts) });
  });
  const push = <K>(into: Map<K, Range[]>, key: K, ranges: readonly Range[]) => {
    const list = into.get(key);
    if (list === undefined) into.set(key, [...ranges]);
    else list.push(...ranges);
  };
  for (const target of targets) {
    const plans = allPlans.filter(
      ({ rule }) => rule.targets === undefined || rule.targets.includes(target.name),
    );
    const rawRanges = new Map<MetricName, Range[]>();
    const bucketRanges = new Map<RollupMetric, Range[]>();
    for (const { plan } of plans) {
      for (const r of plan.raw) push(rawRanges, r.metric, r.ranges);
      for (const b of plan.buckets) push(bucketRanges, b.metric, b.ranges);
    }
    // A range is (from, to]; the store's windows are [from, to).
    const span = (r: Range) => ({ target: target.name, from: r.from + 1, to: r.to + 1 });
    const raw = await readMerged(rawRanges, (metric, r) => store.window({ ...span(r), metric }));
    const rolled = await readMerged(bucketRanges, (metric, r) =>
      store.rollups({ ...span(r), metric }),
    );
    for (const { index, rule, type, plan } of plans) {
      const samples: Sample[] = [];
      for (const r of plan.raw) {
        for (const range of r.ranges) samples.push(...within(raw.get(r.metric) ?? [], range));
      }
      samples.sort((a, b) => a.ts - b.ts);
      const buckets: Bucket[] = [];
      for (const b of plan.buckets) {
        for (const range of b.ranges) buckets.push(...within(rolled.get(b.metric) ?? [], range));
      }
      buckets.sort((a, b) => a.ts - b.ts);
      const finding = type.evaluate({
        target: target.name,
        now: ts,
        samples,
        ...(plan.buckets.length === 0 ? {} : { buckets }),
        rule,
      });
      if (finding !== null) byRule[index]?.push(finding);
    }
  }
  return byRule.flat();
}

/**
 * Each key's ranges merged and read once, in order: merged ranges are disjoint and ascending, so
 * the concatenated results are too.
 */
async function readMerged<K, T>(
  ranges: ReadonlyMap<K, readonly Range[]>,
  read: (key: K, range: Range) => Promise<readonly T[]>,
): Promise<Map<K, T[]>> {
  const out = new Map<K, T[]>();
  for (const [key, list] of ranges) {
    const got: T[] = [];
    for (const r of mergeRanges(list)) got.push(...(await read(key, r)));
    out.set(key, got);
  }
  return out;
}

/** The items of `xs` (ascending by ts) with range.from < ts ≤ range.to, by binary search. */
function within<T extends { readonly ts: number }>(xs: readonly T[], range: Range): readonly T[] {
  const firstAbove = (t: number) => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((xs[mid] as T).ts <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const a = firstAbove(range.from);
  const b = firstAbove(range.to);
  return a === 0 && b === xs.length ? xs : xs.slice(a, b);
}
