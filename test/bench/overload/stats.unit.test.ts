import test from 'ava';
import { lowerMedian, quantile, ratePerSecond, ratio } from '../../../bench/overload/stats.js';

test('overload stats: quantile is the nearest rank, 0 with no samples', (t) => {
  const values = [5, 1, 4, 2, 3];
  t.is(quantile(values, 0.5), 3);
  t.is(quantile(values, 0.99), 5);
  t.is(quantile(values, 1), 5);
  t.is(quantile([], 0.99), 0);
});

test('overload stats: the lower median of an even count is the smaller middle value', (t) => {
  t.is(lowerMedian([0.9, 0.8]), 0.8);
});

test('overload stats: a ratio over nothing is 0', (t) => {
  t.is(ratio(5, 0), 0);
  t.is(ratio(0, 0), 0);
  t.is(ratio(3, 4), 0.75);
});

test('overload stats: a per-second rate counts whole seconds [from, to), missing ones as 0', (t) => {
  const bySecond = [100, 200, 300];
  t.is(ratePerSecond(bySecond, 1, 3), 250);
  t.is(ratePerSecond(bySecond, 2, 5), 100);
  t.is(ratePerSecond(bySecond, 2, 2), 0);
});
