/**
 * A flush's decision for a member the last notification showed firing that stopped firing and is
 * not shown now (its new streak pending, or resolved before it fired): planFlush with the
 * member's earlier streak from alert-state.ts `endedStreak`.
 */
import test from 'ava';
import { type AlertRow, endedStreak, evaluate } from '../../../alerts/engine/alert-state.js';
import {
  type FlushMember,
  type NotificationLog,
  planFlush,
} from '../../../alerts/engine/decide.js';
import type { AlertSnapshot } from '../../../alerts/engine/types.js';

const M = 60_000;
const NO_FLAP = { forMs: 0, keepFiringForMs: 0, minFlipIntervalMs: 0 };
const FOR_2M = { ...NO_FLAP, forMs: 2 * M };

const row = (over: Partial<AlertRow> = {}): AlertRow => ({
  fingerprint: 'x',
  source: 'monitoring',
  labels: { alertname: 'X' },
  annotations: {},
  startsAt: 0,
  endsAt: null,
  lifecycle: true,
  lastEventAt: 0,
  receivedAt: 0,
  state: 'resolved',
  stateSince: 0,
  firedAt: null,
  ...over,
});

const firing = (fingerprint: string, startsAt = 0): AlertSnapshot => ({
  fingerprint,
  status: 'firing',
  source: 'monitoring',
  labels: { alertname: fingerprint },
  annotations: {},
  startsAt,
  endsAt: null,
});

/** `x` fired at 2, stopped at 3, and is pending on a new streak from 6. */
const pendingAgain = row({ state: 'pending', startsAt: 6 * M, firedAt: 2 * M, stateSince: 3 * M });
const endedX: AlertSnapshot = {
  ...firing('x', 2 * M),
  labels: { alertname: 'X' },
  status: 'resolved',
  endsAt: 3 * M,
};
const hiddenX: FlushMember = {
  snapshot: { ...firing('x', 6 * M), labels: { alertname: 'X' } },
  hidden: true,
  ended: endedX,
  muted: false,
};
const shownY: FlushMember = { snapshot: firing('y'), hidden: false, muted: false };

const log = (f: string[], resolved: string[] = []): NotificationLog => ({
  firing: f,
  resolved,
  at: 0,
});
const flush = (members: FlushMember[], l: NotificationLog | null, sendResolved = true) =>
  planFlush({ members, log: l, now: 7 * M, repeatIntervalMs: 240 * M, sendResolved });

test('alert-state: endedStreak is the streak a row fired in before its current one, when the current one is not shown', (t) => {
  t.deepEqual(endedStreak(pendingAgain), { startsAt: 2 * M, endsAt: 3 * M });
  // Resolved again before the new streak fired: pending ⇄ resolved leaves stateSince as it was.
  const resolvedAgain = evaluate(
    { ...pendingAgain, endsAt: 7 * M, lastEventAt: 7 * M },
    7 * M,
    0,
    FOR_2M,
  );
  t.is(resolvedAgain.state, 'resolved');
  t.deepEqual(endedStreak(resolvedAgain), { startsAt: 2 * M, endsAt: 3 * M });
  // Never fired, firing, or resolved after firing in its current streak (shown as it is): none.
  t.is(endedStreak(row({ state: 'pending' })), null);
  t.is(endedStreak(row({ state: 'firing', firedAt: 0 })), null);
  t.is(endedStreak(row({ state: 'resolved', firedAt: 0, stateSince: 3 * M })), null);
});

test('decide: a member notified firing that is hidden now is shown resolved as its earlier streak ended', (t) => {
  const alone = flush([hiddenX], log(['x']));
  t.is(alone.reason, 'all alerts resolved');
  t.deepEqual(alone.alerts, [endedX]);
  t.deepEqual(alone.log, { firing: [], resolved: ['x'], at: 7 * M });
  // Still pending: it stays in the group, and is shown when it fires.
  t.deepEqual(alone.remove, []);

  const beside = flush([hiddenX, shownY], log(['x', 'y']));
  t.is(beside.reason, 'some alerts resolved');
  t.deepEqual(beside.alerts, [firing('y'), endedX]);
  t.deepEqual(beside.log, { firing: ['y'], resolved: ['x'], at: 7 * M });
});

test('decide: a hidden member the last notification did not show firing stays hidden', (t) => {
  t.deepEqual(flush([hiddenX], null).reason, null);
  t.deepEqual(flush([hiddenX], log([], ['x'])).reason, null);
  const beside = flush([hiddenX, shownY], log(['y'], ['x']));
  t.is(beside.reason, null);
  t.is(beside.log, null);
});

test('decide: a muted earlier streak is not shown, as a muted resolved alert is not', (t) => {
  const plan = flush([{ ...hiddenX, muted: true }, shownY], log(['x', 'y']));
  t.is(plan.reason, null);
});

test('decide: without send_resolved the earlier streak follows needsUpdate: alone it clears the log, beside firing alerts it changes nothing', (t) => {
  const alone = flush([hiddenX], log(['x']), false);
  t.is(alone.reason, 'all alerts resolved');
  t.is(alone.alerts, null);
  t.deepEqual(alone.log, { firing: [], resolved: ['x'], at: 7 * M });
  const beside = flush([hiddenX, shownY], log(['x', 'y']), false);
  t.is(beside.reason, null);
  t.is(beside.log, null);
});
