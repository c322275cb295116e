/**
 * Burn rate over hourly rollups: the ticket pairs' long windows read buckets for their older part
 * (store migration 4) and must decide as over raw samples, exactly when the windows' old edges
 * fall on the hour and within one hour's counts otherwise.
 */
import test from 'ava';
import fc from 'fast-check';
import { readPlan } from '../../../../alerts/trends/read-plan.js';
import { PREVIOUS_EVALUATION_SLACK_MS } from '../../../../alerts/trends/rule.js';
import { burnRate, errorTotals } from '../../../../alerts/trends/rule-types/burn-rate.js';
import type { Sample } from '../../../../alerts/types.js';
import {
  evaluateAt,
  evaluateWithRollups,
  MIN,
  rollUp,
  SLOTH_PAGE,
  SLOTH_TICKET,
  spec,
  T0,
  TARGET,
} from './helpers.js';

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const rule = (pairs: typeof SLOTH_PAGE, minRequests = 500) =>
  spec(burnRate, { objective: 0.995, min_requests: minRequests, pairs });

test('burn rate rollup: raw hours where an exact window can have an edge (now, or down to 15 min earlier), hourly buckets between', (t) => {
  const page = rule(SLOTH_PAGE);
  const ticket = rule(SLOTH_TICKET);
  t.deepEqual(burnRate.rollup?.(page.params), {
    metrics: ['requests_delta', 'errors_delta'],
    exactMs: [5 * MIN, HOUR, 30 * MIN, 6 * HOUR],
  });
  // The ticket pairs' 1d and 3d long windows are not exact.
  t.deepEqual(burnRate.rollup?.(ticket.params), {
    metrics: ['requests_delta', 'errors_delta'],
    exactMs: [2 * HOUR, 6 * HOUR],
  });
  const D5 = T0 + 5 * DAY;
  const now = D5 + 20 * MIN;
  const both = <R>(ranges: R) => [
    { metric: 'requests_delta', ranges },
    { metric: 'errors_delta', ranges },
  ];
  // Page: edges of 5m, 30m and 1h windows fall in the last two hours; of 6h, 6 h back (read from
  // the start of the page rule's 6 h 15 m window: none of its windows reaches before).
  t.deepEqual(readPlan(burnRate, page.params, now), {
    raw: both([
      { from: now - 6 * HOUR - PREVIOUS_EVALUATION_SLACK_MS - 1, to: D5 - 5 * HOUR },
      { from: D5 - HOUR, to: now },
    ]),
    buckets: both([{ from: D5 - 5 * HOUR, to: D5 - HOUR }]),
  });
  // Ticket: edges of 2h and 6h windows; buckets from the start of the 3-day window (the first
  // bucket reaching before it) to the raw hours.
  const start = now - 3 * DAY - PREVIOUS_EVALUATION_SLACK_MS;
  t.deepEqual(readPlan(burnRate, ticket.params, now), {
    raw: both([
      { from: D5 - 6 * HOUR, to: D5 - 5 * HOUR },
      { from: D5 - 2 * HOUR, to: D5 - HOUR },
      { from: D5, to: now },
    ]),
    buckets: both([
      { from: start, to: D5 - 6 * HOUR },
      { from: D5 - 5 * HOUR, to: D5 - 2 * HOUR },
      { from: D5 - HOUR, to: D5 },
    ]),
  });
});

/** Per-minute deltas on two instances with arbitrary integer values, `hours` hours from T0. */
const arbitraryTraffic = (hours: number) =>
  fc
    .array(fc.tuple(fc.nat(400), fc.nat(40), fc.nat(400)), {
      minLength: hours * 60,
      maxLength: hours * 60,
    })
    .map((minutes) =>
      minutes.flatMap(([a, e, b], m): Sample[] => {
        const ts = T0 + (m + 1) * MIN;
        const at = (metric: Sample['metric'], instance: string, value: number): Sample => ({
          target: TARGET,
          metric,
          instance,
          ts,
          value,
        });
        return [
          at('requests_delta', 'i-a', a),
          at('errors_delta', 'i-a', Math.min(e, a)),
          at('requests_delta', 'i-b', b),
        ];
      }),
    );

test('burn rate rollup (property): window sums over raw + buckets equal the raw sums when the old edge is on the hour, and differ by less than its hour otherwise', (t) => {
  const HOURS = 12;
  fc.assert(
    fc.property(
      arbitraryTraffic(HOURS),
      fc.integer({ min: 1, max: HOURS - 2 }),
      fc.integer({ min: 0, max: (HOURS - 1) * 60 }),
      fc.integer({ min: 0, max: 60 }),
      (samples, splitHour, oldEdgeMin, newEdgeAfterSplitMin) => {
        const split = T0 + splitHour * HOUR;
        const raw = samples.filter((s) => s.ts > split);
        const buckets = rollUp(samples.filter((s) => s.ts <= split));
        const to = split + newEdgeAfterSplitMin * MIN;
        const from = Math.min(T0 + oldEdgeMin * MIN, to);
        const exact = errorTotals(samples, from, to);
        const mixed = errorTotals(raw, from, to, buckets);
        if ((from - T0) % HOUR === 0 || from >= split) {
          return exact.requests === mixed.requests && exact.errors === mixed.errors;
        }
        // The hour the old edge cuts: its bucket's sums bound the difference.
        const cut = buckets.filter((b) => b.ts - HOUR < from && from < b.ts);
        const bound = (metric: string) =>
          cut.filter((b) => b.metric === metric).reduce((n, b) => n + b.value, 0);
        return (
          Math.abs(exact.requests - mixed.requests) <= bound('requests_delta') &&
          Math.abs(exact.errors - mixed.errors) <= bound('errors_delta')
        );
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

/**
 * Four days of one scrape a minute whose rates change only on the hour (so a bucket cut at a minute
 * boundary pro-rates exactly), with an error burst at `burstHour` lasting `burstHours`.
 */
function hourlySteadyTraffic(
  burstHour: number,
  burstHours: number,
  errorPerMille: number,
): Sample[] {
  const out: Sample[] = [];
  for (let m = 1; m <= 4 * 24 * 60; m++) {
    const hour = Math.floor((m - 1) / 60);
    const requests = 200 + 40 * (hour % 7);
    const burst = hour >= burstHour && hour < burstHour + burstHours;
    const ts = T0 + m * MIN;
    out.push({ target: TARGET, metric: 'requests_delta', instance: 'i-a', ts, value: requests });
    out.push({
      target: TARGET,
      metric: 'errors_delta',
      instance: 'i-a',
      ts,
      value: burst ? (requests * errorPerMille) / 1000 : 0,
    });
  }
  return out;
}

test('burn rate rollup: the ticket rule decides exactly as over raw samples, firing and resolving, every 10 minutes of the fourth day', (t) => {
  const ticket = rule(SLOTH_TICKET);
  // 10 % errors for 5 h on the fourth day (hours 80 to 85): both pairs fire, then the 6 h short
  // window of the 1x pair resolves the alert about 6 h after the burst.
  const samples = hourlySteadyTraffic(80, 5, 100);
  const states = { raw: '', rollups: '' };
  for (let now = T0 + 3 * DAY; now <= T0 + 4 * DAY; now += 10 * MIN) {
    const prev = now - 10 * MIN;
    const a = evaluateAt(burnRate, ticket, samples, now, prev);
    const b = evaluateWithRollups(burnRate, ticket, samples, now, prev);
    t.deepEqual(b, a, `at ${(now - T0) / MIN} min`);
    states.raw += a === null ? '.' : a.state[0];
    states.rollups += b === null ? '.' : b.state[0];
  }
  t.is(states.rollups, states.raw);
  t.regex(states.raw, /^\.+f+r\.+$/);
});

test('burn rate rollup: sweep-like evaluation times (not on the hour, prev the latest sample before now) give the same decisions over the Sloth ticket pairs', (t) => {
  const ticket = rule(SLOTH_TICKET);
  const samples = hourlySteadyTraffic(78, 6, 80);
  let decided = 0;
  for (let now = T0 + 3 * DAY + 7 * MIN; now <= T0 + 4 * DAY; now += 37 * MIN) {
    const a = evaluateAt(burnRate, ticket, samples, now);
    const b = evaluateWithRollups(burnRate, ticket, samples, now);
    t.is(b?.state ?? null, a?.state ?? null, `at ${(now - T0) / MIN} min`);
    t.deepEqual(b?.labels, a?.labels);
    if (a !== null) decided++;
  }
  t.true(decided > 0);
});

test('burn rate rollup (property): the page rule over raw + buckets gives the same finding as over raw samples, at any minute with the previous evaluation up to 15 minutes earlier', (t) => {
  const page = rule(SLOTH_PAGE, 100);
  fc.assert(
    fc.property(
      arbitraryTraffic(9),
      fc.integer({ min: 6 * 60 + 16, max: 9 * 60 }),
      fc.integer({ min: 1, max: 15 }),
      fc.integer({ min: 0, max: 9 * 60 }),
      fc.integer({ min: 0, max: 120 }),
      (traffic, nowMin, prevBack, burstAt, burstLen) => {
        // An error burst (every request of instance i-a fails) so that the pairs do fire.
        const samples = traffic.map((s) => {
          const m = (s.ts - T0) / MIN;
          const failing = s.metric === 'errors_delta' && m >= burstAt && m < burstAt + burstLen;
          const requests = traffic.find(
            (r) => r.ts === s.ts && r.metric === 'requests_delta' && r.instance === s.instance,
          );
          return failing ? { ...s, value: requests?.value ?? s.value } : s;
        });
        const now = T0 + nowMin * MIN;
        const prev = now - prevBack * MIN;
        t.deepEqual(
          evaluateWithRollups(burnRate, page, samples, now, prev),
          evaluateAt(burnRate, page, samples, now, prev),
        );
      },
    ),
    { numRuns: 60 },
  );
});
