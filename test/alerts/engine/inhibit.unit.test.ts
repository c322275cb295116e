import test from 'ava';
import fc from 'fast-check';
import { fingerprint } from '../../../alerts/engine/fingerprint.js';
import { indexSources, isInhibited } from '../../../alerts/engine/inhibit.js';
import { newMatcher, parseMatchers } from '../../../alerts/engine/matchers.js';
import type { InhibitRule } from '../../../alerts/engine/types.js';

const rule = (source: string, target: string, equal: string[]): InhibitRule => ({
  sourceMatchers: parseMatchers(source),
  targetMatchers: parseMatchers(target),
  equal,
});

const alert = (labels: Record<string, string>) => ({ fingerprint: fingerprint(labels), labels });

const DOWN_MUTES_LATENCY = [
  rule('alertname="InferDown"', 'alertname="InferLatencyHigh"', ['target']),
];

const cases = [
  {
    name: 'a firing source with the same equal label mutes the target',
    target: { alertname: 'InferLatencyHigh', target: 'prod' },
    sources: [{ alertname: 'InferDown', target: 'prod' }],
    muted: 0,
  },
  {
    name: 'a source with another value of an equal label does not',
    target: { alertname: 'InferLatencyHigh', target: 'prod' },
    sources: [{ alertname: 'InferDown', target: 'dev' }],
    muted: null,
  },
  {
    name: 'a missing equal label on both sides counts as equal',
    target: { alertname: 'InferLatencyHigh' },
    sources: [{ alertname: 'InferDown' }],
    muted: 0,
  },
  {
    name: 'a missing equal label equals an empty one',
    target: { alertname: 'InferLatencyHigh', target: '' },
    sources: [{ alertname: 'InferDown' }],
    muted: 0,
  },
  {
    name: 'a missing equal label does not equal a set one',
    target: { alertname: 'InferLatencyHigh' },
    sources: [{ alertname: 'InferDown', target: 'prod' }],
    muted: null,
  },
  {
    name: 'a target the target matchers refuse is not muted',
    target: { alertname: 'InferUnhealthy', target: 'prod' },
    sources: [{ alertname: 'InferDown', target: 'prod' }],
    muted: null,
  },
  {
    name: 'a source the source matchers refuse does not mute',
    target: { alertname: 'InferLatencyHigh', target: 'prod' },
    sources: [{ alertname: 'InferLatencyTrend', target: 'prod' }],
    muted: null,
  },
  {
    name: 'the second source mutes when the first does not qualify; its fingerprint is returned',
    target: { alertname: 'InferLatencyHigh', target: 'prod' },
    sources: [
      { alertname: 'InferDown', target: 'dev' },
      { alertname: 'InferDown', target: 'prod' },
    ],
    muted: 1,
  },
];

for (const c of cases) {
  test(`inhibit: ${c.name}`, (t) => {
    const sources = c.sources.map(alert);
    const got = isInhibited(alert(c.target), sources, DOWN_MUTES_LATENCY);
    t.is(got, c.muted === null ? null : (sources[c.muted]?.fingerprint ?? 'missing'));
  });
}

test('inhibit: no firing sources, nothing is muted (the caller passes firing alerts only)', (t) => {
  t.is(isInhibited(alert({ alertname: 'InferLatencyHigh' }), [], DOWN_MUTES_LATENCY), null);
});

test('inhibit: an alert matching both sides never inhibits itself', (t) => {
  const rules = [rule('severity="critical"', 'severity=~"critical|warning"', ['target'])];
  const self = alert({ alertname: 'InferDown', severity: 'critical', target: 'prod' });
  t.is(isInhibited(self, [self], rules), null);
  const warning = alert({ alertname: 'InferUnhealthy', severity: 'warning', target: 'prod' });
  t.is(isInhibited(warning, [self, warning], rules), self.fingerprint);
});

test("inhibit: two alerts that both match both sides do not mute each other (Alertmanager's two-sided rule)", (t) => {
  const rules = [rule('severity="critical"', 'severity="critical"', ['target'])];
  const a = alert({ alertname: 'InferDown', severity: 'critical', target: 'prod' });
  const b = alert({ alertname: 'InferTargetAbsent', severity: 'critical', target: 'prod' });
  t.is(isInhibited(a, [a, b], rules), null);
  t.is(isInhibited(b, [a, b], rules), null);
});

test('inhibit: rules are tried in order; any one muting is enough', (t) => {
  const rules = [rule('alertname="X"', 'alertname="InferLatencyHigh"', []), ...DOWN_MUTES_LATENCY];
  const down = alert({ alertname: 'InferDown', target: 'prod' });
  t.is(
    isInhibited(alert({ alertname: 'InferLatencyHigh', target: 'prod' }), [down], rules),
    down.fingerprint,
  );
});

test('inhibit index: one index answers many targets; skip passes over the sources named', (t) => {
  const sources = ['a', 'b', 'c'].map((target) => alert({ alertname: 'InferDown', target }));
  const index = indexSources(DOWN_MUTES_LATENCY, sources);
  for (const s of sources) {
    const target = alert({ alertname: 'InferLatencyHigh', target: s.labels.target as string });
    t.is(index.mutedBy(target), s.fingerprint);
    t.is(index.mutedBy(target, new Set([s.fingerprint])), null, 'its only source skipped');
  }
  t.is(index.mutedBy(alert({ alertname: 'InferLatencyHigh', target: 'z' })), null);
});

/** The reference: Alertmanager's inhibitor, rule by rule and source by source. */
function naive(
  target: { fingerprint: string; labels: Record<string, string> },
  sources: readonly { fingerprint: string; labels: Record<string, string> }[],
  rules: readonly InhibitRule[],
): boolean {
  const v = (l: Record<string, string>, n: string) => l[n] ?? '';
  const all = (ms: InhibitRule['sourceMatchers'], l: Record<string, string>) =>
    ms.every((m) => (m.op === '=' ? v(l, m.name) === m.value : v(l, m.name) !== m.value));
  return rules.some(
    (r) =>
      all(r.targetMatchers, target.labels) &&
      sources.some(
        (s) =>
          s.fingerprint !== target.fingerprint &&
          all(r.sourceMatchers, s.labels) &&
          r.equal.every((n) => v(s.labels, n) === v(target.labels, n)) &&
          !(all(r.sourceMatchers, target.labels) && all(r.targetMatchers, s.labels)),
      ),
  );
}

test('inhibit index: agrees with a naive reference on random rules, sources and targets', (t) => {
  const VALUES = ['', '1', '2'];
  const labelsArb = fc.record(
    { a: fc.constantFrom(...VALUES), b: fc.constantFrom(...VALUES), c: fc.constantFrom(...VALUES) },
    { requiredKeys: [] },
  );
  const matcherArb = fc
    .record({
      name: fc.constantFrom('a', 'b', 'c'),
      op: fc.constantFrom('=' as const, '!=' as const),
      value: fc.constantFrom(...VALUES),
    })
    .map((m) => newMatcher(m.name, m.op, m.value));
  const ruleArb = fc.record({
    sourceMatchers: fc.array(matcherArb, { minLength: 1, maxLength: 2 }),
    targetMatchers: fc.array(matcherArb, { minLength: 1, maxLength: 2 }),
    equal: fc.subarray(['a', 'b', 'c']),
  });
  fc.assert(
    fc.property(
      fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
      fc.array(labelsArb, { maxLength: 8 }),
      labelsArb,
      (rules, sourceLabels, targetLabels) => {
        const sources = sourceLabels.map(alert);
        const target = alert(targetLabels);
        // The target may be one of the sources (a group's member is both).
        const got = indexSources(rules, sources).mutedBy(target) !== null;
        return got === naive(target, sources, rules);
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});
