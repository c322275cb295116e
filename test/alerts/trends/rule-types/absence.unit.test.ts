import test from 'ava';
import { absence } from '../../../../alerts/trends/rule-types/absence.js';
import { evaluateAt, MIN, series, spec, T0 } from './helpers.js';

const absent = spec(absence, { metric: 'up', for: '5m' });

const table = [
  { name: 'a sample 4 minutes ago keeps it silent', lastAgoMin: 4, want: null },
  { name: 'a sample exactly 5 minutes ago fires', lastAgoMin: 5, want: 'firing' },
  { name: 'a target never seen in the window fires', lastAgoMin: undefined, want: 'firing' },
] as const;

for (const row of table) {
  test(`absence: ${row.name}`, (t) => {
    const now = T0 + 60 * MIN;
    const samples =
      row.lastAgoMin === undefined ? [] : series('up', Array(61 - row.lastAgoMin).fill(1));
    t.is(evaluateAt(absence, absent, samples, now)?.state ?? null, row.want);
  });
}

test('absence: with the previous evaluation time given, the first sample after a silence resolves', (t) => {
  const samples = [...series('up', [1]), ...series('up', Array(21).fill(1)).slice(20)];
  // Seen at T0, silent until T0 + 20m.
  const now = T0 + 20 * MIN;
  t.is(evaluateAt(absence, absent, samples, now - MIN)?.state, 'firing');
  t.is(evaluateAt(absence, absent, samples, now, now - MIN)?.state, 'resolved');
  // Without `prev`, the previous time is the previous sample (T0), when nothing was absent.
  t.is(evaluateAt(absence, absent, samples, now), null);
});
