/**
 * The overload bench's load: POST /predict from autocannon, every response classified as it
 * arrives (200, 503 with or without Retry-After and SVC_ERR_OVERLOADED, anything else), in closed
 * loop (capacity) or at a target rate (overload).
 *
 * autocannon's rate limit is a per-connection quota per second, and a connection sends its next
 * request only after the previous response, so a rated load is open-loop only while the server
 * answers fast enough; a pass reports the rate it got answered beside the rate it offered.
 */
import type { IncomingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import { PREDICT_BODIES } from '../lib/bodies.js';
import type { CapacityCell, PassReplies } from './result.js';
import { ORIGIN } from './variants.js';

/** Per-status tallies, filled by autocannon's onResponse. */
interface Tally {
  ok: number;
  /** 200s by whole second since `from`. */
  okBySecond: number[];
  shed: number;
  shedWithRetryAfter: number;
  shedOverloadedCode: number;
  other: number;
  /** performance.now() when the load started. */
  from: number;
}

const newTally = (from: number): Tally => ({
  ok: 0,
  okBySecond: [],
  shed: 0,
  shedWithRetryAfter: 0,
  shedOverloadedCode: 0,
  other: 0,
  from,
});

function predictRequests(tally: Tally) {
  return PREDICT_BODIES.map((body) => ({
    method: 'POST' as const,
    path: '/predict',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body,
    onResponse: (status: number, resBody: string, _ctx: object, headers?: IncomingHttpHeaders) => {
      if (status === 200) {
        tally.ok++;
        const second = Math.floor((performance.now() - tally.from) / 1000);
        tally.okBySecond[second] = (tally.okBySecond[second] ?? 0) + 1;
      } else if (status === 503) {
        tally.shed++;
        // Header names arrive as the server wrote them; Node writes them lower-case.
        const h = (headers ?? {}) as Record<string, unknown>;
        if (h['retry-after'] !== undefined || h['Retry-After'] !== undefined) {
          tally.shedWithRetryAfter++;
        }
        if (resBody.includes('SVC_ERR_OVERLOADED')) tally.shedOverloadedCode++;
      } else {
        tally.other++;
      }
    },
  }));
}

/** A closed-loop window, and how many requests failed (any status but 200 and 503, errors). */
export interface ClosedLoopWindow extends CapacityCell {
  readonly failed: number;
}

/** Closed-loop load for `seconds`; rates over the whole span. */
export async function closedLoop(
  port: number,
  connections: number,
  seconds: number,
): Promise<ClosedLoopWindow> {
  const tally = newTally(performance.now());
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: predictRequests(tally),
  });
  return {
    concurrency: connections,
    okPerS: tally.ok / seconds,
    shedPerS: tally.shed / seconds,
    p99Ms: r.latency.p99,
    failed: tally.other + r.errors + r.timeouts,
  };
}

/** `warmupS` of closed loop not counted, then `durationS` counted. */
export async function warmClosedLoop(
  port: number,
  connections: number,
  warmupS: number,
  durationS: number,
): Promise<ClosedLoopWindow> {
  await closedLoop(port, connections, warmupS);
  return closedLoop(port, connections, durationS);
}

/** What a rated load got back: the replies by kind, and the 200s of every second. */
export interface RatedLoad {
  readonly replies: PassReplies;
  readonly okBySecond: readonly number[];
}

/** `rate` requests per second over `connections` connections for `seconds` (10 s timeout). */
export async function ratedLoad(
  port: number,
  connections: number,
  rate: number,
  seconds: number,
): Promise<RatedLoad> {
  const tally = newTally(performance.now());
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    overallRate: rate,
    duration: seconds,
    timeout: 10,
    requests: predictRequests(tally),
  });
  return {
    replies: {
      ok: tally.ok,
      shed: tally.shed,
      shedWithRetryAfter: tally.shedWithRetryAfter,
      shedOverloadedCode: tally.shedOverloadedCode,
      otherStatus: tally.other,
      clientTimeouts: r.timeouts,
      connectionErrors: r.errors - r.timeouts,
    },
    okBySecond: tally.okBySecond,
  };
}
