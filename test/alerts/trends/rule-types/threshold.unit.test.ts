import test from 'ava';
import fc from 'fast-check';
import { threshold } from '../../../../alerts/trends/rule-types/threshold.js';
import { evaluateAt, MIN, series, spec, T0, timeline } from './helpers.js';

// up: 1 good, 0 bad. Rule: up < 1 for 3m keep_firing_for 2m (the default InferDown).
const down = (extra: Record<string, unknown> = {}) =>
  spec(threshold, { metric: 'up', op: '<', value: 1, for: '3m', keep_firing_for: '2m', ...extra });
const ups = (pattern: string) =>
  series(
    'up',
    [...pattern].map((c) => (c === '0' ? 0 : 1)),
  );

// Each row: the `up` series (one char a minute) and the expected state after each sweep.
const table: readonly { name: string; up: string; rule: Record<string, unknown>; want: string }[] =
  [
    {
      name: 'for 3m fires at the fourth bad sweep in a row (3 minutes after the first)',
      up: '1100001',
      rule: { keep_firing_for: '0s' },
      want: '.....FR',
    },
    {
      name: 'for 3m never fires on a flapping series whose bad runs last < 3 minutes',
      up: '100100010010001000100',
      rule: {},
      want: '.....................',
    },
    {
      name: 'keep_firing_for 2m holds through good dips of one or two sweeps while the series flaps',
      up: '0000100110010011111',
      rule: {},
      want: '...FFFFFFFFFFFFFR..',
    },
    {
      name: 'keep_firing_for 3m holds through three good sweeps in a row, the fourth resolves',
      up: '000011101111',
      rule: { keep_firing_for: '3m' },
      want: '...FFFFFFFFR',
    },
    {
      name: 'keep_firing_for 2m resolves at the third good sweep; then for must hold again',
      up: '00001110000',
      rule: {},
      want: '...FFFR...F',
    },
    {
      name: 'without keep_firing_for one good sample resolves at once',
      up: '00001000',
      rule: { keep_firing_for: '0s' },
      want: '...FR...',
    },
    {
      name: 'for 0s fires on the first bad sample',
      up: '1011',
      rule: { for: '0s', keep_firing_for: '0s' },
      want: '.FR.',
    },
  ];

for (const row of table) {
  test(`threshold: ${row.name}`, (t) => {
    t.is(timeline(threshold, down(row.rule), ups(row.up)), row.want);
  });
}

test('threshold: a firing finding carries labels, the observed value, the threshold and the summary', (t) => {
  const rule = down({});
  const f = evaluateAt(
    threshold,
    {
      ...rule,
      summary: '{{target}} up={{value}} < {{threshold}} for {{for}}',
      runbook_url: 'https://rb.example/down',
    },
    ups('0000'),
    T0 + 3 * MIN,
  );
  t.deepEqual(f, {
    alertname: 'TestAlert',
    target: 'emotion',
    severity: 'warning',
    state: 'firing',
    ts: T0 + 3 * MIN,
    labels: { alertname: 'TestAlert', target: 'emotion', severity: 'warning' },
    annotations: {
      summary: 'emotion up=0 < 1 for 3m',
      observed: 0,
      threshold: 1,
      runbook_url: 'https://rb.example/down',
    },
  });
});

test('threshold: the hold counts from the first good sample, not from the newest bad one', (t) => {
  const rule = down({});
  const samples = ups('00001');
  t.is(evaluateAt(threshold, rule, samples, T0 + 6 * MIN - 1)?.state, 'firing');
  t.is(evaluateAt(threshold, rule, samples, T0 + 6 * MIN)?.state, 'resolved');
  // A firing series that is simply not sampled again keeps its last verdict (absence covers it).
  t.is(
    evaluateAt(threshold, down({ keep_firing_for: '0s' }), ups('0000'), T0 + 9 * MIN)?.state,
    'firing',
  );
});

test('threshold: the result depends only on the window it asks for (older history is ignored)', (t) => {
  const rule = down({});
  const tail = '0000011000';
  const a = ups(`${'1'.repeat(200)}${tail}`);
  const b = ups(`${'0'.repeat(200)}${tail}`);
  const now = T0 + 209 * MIN;
  t.deepEqual(evaluateAt(threshold, rule, a, now), evaluateAt(threshold, rule, b, now));
});

test('threshold (property): with `for`, a series that never crosses never fires', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 1, maxLength: 120 }),
      fc.integer({ min: 0, max: 10 }),
      (values, forMin) => {
        const rule = spec(threshold, {
          metric: 'latency_p95_ms',
          op: '>',
          value: 500,
          for: `${forMin}m`,
          keep_firing_for: '2m',
        });
        return (
          timeline(threshold, rule, series('latency_p95_ms', values)) === '.'.repeat(values.length)
        );
      },
    ),
  );
  t.pass();
});

test('threshold (property): with for N minutes, no bad run shorter than N minutes fires', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 30 }),
      (runs) => {
        // Alternating runs: `len` bad sweeps then one good sweep; for 3m needs 4 bad sweeps.
        const pattern = runs.map((len) => `${'0'.repeat(len)}1`).join('');
        return !timeline(threshold, down({ keep_firing_for: '0s' }), ups(pattern)).includes('F');
      },
    ),
  );
  t.pass();
});
