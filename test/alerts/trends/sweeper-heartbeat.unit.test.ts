import test from 'ava';
import { checkSweeperHeartbeat } from '../../../alerts/trends/sweeper-heartbeat.js';

const T0 = Date.UTC(2026, 10, 27, 13, 0);
const S = 1000;
const MAX = 45 * S;

const table = [
  { name: 'a sweep 30 s ago is quiet', last: -30, since: -600, wasFiring: false, want: null },
  {
    name: 'a sweep exactly 45 s ago is quiet',
    last: -45,
    since: -600,
    wasFiring: false,
    want: null,
  },
  { name: 'a sweep 46 s ago fires', last: -46, since: -600, wasFiring: false, want: 'firing' },
  {
    name: 'still silent after firing fires again',
    last: -90,
    since: -600,
    wasFiring: true,
    want: 'firing',
  },
  {
    name: 'a fresh sweep after firing resolves',
    last: -5,
    since: -600,
    wasFiring: true,
    want: 'resolved',
  },
  {
    name: 'no sweep yet, watch 10 s old, is quiet',
    last: null,
    since: -10,
    wasFiring: false,
    want: null,
  },
  {
    name: 'no sweep at all, watch 60 s old, fires',
    last: null,
    since: -60,
    wasFiring: false,
    want: 'firing',
  },
  {
    name: 'an old sweep from before a watch 10 s old is quiet',
    last: -86_400,
    since: -10,
    wasFiring: false,
    want: null,
  },
  {
    name: 'an old sweep from before a watch 50 s old fires',
    last: -86_400,
    since: -50,
    wasFiring: false,
    want: 'firing',
  },
  {
    name: 'firing before a restart, no fresh sweep since, keeps firing through the grace',
    last: -86_400,
    since: -10,
    wasFiring: true,
    want: 'firing',
  },
  {
    name: 'firing with no sweep ever stored keeps firing through the grace',
    last: null,
    since: -10,
    wasFiring: true,
    want: 'firing',
  },
  {
    name: 'a sweep time in the future (clock skew) is quiet',
    last: 5,
    since: -600,
    wasFiring: false,
    want: null,
  },
] as const;

for (const row of table) {
  test(`sweeper heartbeat: ${row.name}`, (t) => {
    const finding = checkSweeperHeartbeat({
      job: 'local-health-sweep',
      lastRecordedAt: row.last === null ? null : T0 + row.last * S,
      watchingSince: T0 + row.since * S,
      now: T0,
      maxSilenceMs: MAX,
      wasFiring: row.wasFiring,
    });
    t.is(finding?.state ?? null, row.want);
  });
}

test('sweeper heartbeat: a firing finding carries the labels, the silence and the threshold in seconds', (t) => {
  const finding = checkSweeperHeartbeat({
    job: 'local-health-sweep',
    lastRecordedAt: T0 - 47_500,
    watchingSince: T0 - 600 * S,
    now: T0,
    maxSilenceMs: MAX,
    wasFiring: false,
    runbookUrl: 'https://example.com/rb/sweeper-absent',
  });
  t.deepEqual(finding, {
    alertname: 'SweeperAbsent',
    target: 'local-health-sweep',
    severity: 'critical',
    state: 'firing',
    ts: T0,
    labels: { alertname: 'SweeperAbsent', target: 'local-health-sweep', severity: 'critical' },
    annotations: {
      summary:
        'local-health-sweep: no health sweep recorded for 47.5 s (allowed 45 s; last sweep 2026-11-27T12:59:12.500Z)',
      observed: 47.5,
      threshold: 45,
      runbook_url: 'https://example.com/rb/sweeper-absent',
    },
  });
});

test('sweeper heartbeat: with no sweep stored, the silence counts from the start of the watch', (t) => {
  const finding = checkSweeperHeartbeat({
    job: 'local-health-sweep',
    lastRecordedAt: null,
    watchingSince: T0 - 60 * S,
    now: T0,
    maxSilenceMs: MAX,
    wasFiring: false,
  });
  t.is(finding?.annotations.observed, 60);
  t.is(
    finding?.annotations.summary,
    'local-health-sweep: no health sweep recorded since the watch began 60 s ago (allowed 45 s)',
  );
});

test('sweeper heartbeat: a resolved finding says sweeps are back and keeps the severity given', (t) => {
  const finding = checkSweeperHeartbeat({
    job: 'healthSweep',
    lastRecordedAt: T0 - 2 * S,
    watchingSince: T0 - 600 * S,
    now: T0,
    maxSilenceMs: MAX,
    wasFiring: true,
    severity: 'warning',
  });
  t.is(finding?.state, 'resolved');
  t.is(finding?.labels.severity, 'warning');
  t.is(finding?.annotations.observed, 2);
  t.regex(finding?.annotations.summary ?? '', /^healthSweep: health sweeps are recorded again/);
});
