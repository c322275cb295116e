/** The admin-key failure windows: when a client is refused, for how long, and what is forgotten. */
import test from 'ava';
import { FailureCounter } from '../../../service/auth/failure-counter.js';

test('failure counter: a client is refused from its limit-th failure to the end of the window that opened at its first', (t) => {
  const c = new FailureCounter(3, 60_000, 100);
  t.is(c.note('a', 0), 1);
  t.is(c.note('a', 10_000), 2);
  t.is(c.retryAfterS('a', 10_000), 0, 'under the limit');
  t.is(c.note('a', 20_000), 3);
  t.is(c.retryAfterS('a', 20_000), 40, 'the window opened at 0');
  t.is(c.retryAfterS('a', 59_500), 1, 'never 0 while refused');
  t.is(c.retryAfterS('b', 20_000), 0, 'another client is not refused');
  t.is(c.retryAfterS('a', 60_000), 0, 'the window has ended');
  t.is(c.note('a', 60_000), 1, 'and the next failure opens a new one');
});

test('failure counter: expired windows are dropped, so a quiet counter is empty again', (t) => {
  const c = new FailureCounter(3, 1000, 100);
  c.note('a', 0);
  t.is(c.size, 1);
  t.is(c.retryAfterS('a', 1000), 0);
  t.is(c.size, 0);
});

test('failure counter: past its capacity the client whose window opened first is forgotten', (t) => {
  const c = new FailureCounter(2, 60_000, 2);
  c.note('a', 0);
  c.note('a', 1);
  c.note('b', 2);
  c.note('c', 3);
  t.is(c.size, 2);
  t.is(c.retryAfterS('a', 4), 0, 'a was the oldest');
  t.is(c.note('b', 5), 2, 'b is remembered');
});
